"""Strings of the Dataset tab (capture, COCO metrics, sweep), English and Korean."""

EN: dict[str, str] = {
    "tab.dataset": "Dataset",
    "look.dataset": "**What to look for:** thresholds are tuned on a validation set, not one image. Capture a dataset "
                    "once; every slider then replays all of it and the COCO metrics follow — the model never runs "
                    "again.",
    "ds.explain": "A capture keeps, for every image, each RPN candidate any slider setting can use and the RoI head's "
                  "answer for it, so that all seven thresholds replay over the whole dataset. The numbers are "
                  "COCOeval's (pycocotools gives the same on the same detections).",
    "ds.source": "Images",
    "ds.source.demo": "the demo dataset (held-out synthetic scenes)",
    "ds.source.folder": "a folder on this server",
    "ds.demo_count": "Demo scenes",
    "ds.images": "Image folder on the server",
    "ds.annotations": "Annotations: a COCO JSON file or a Pascal VOC folder",
    "ds.capture": "Capture with the selected model",
    "ds.none": "No dataset yet: pick the demo dataset (or a folder) and capture it with the model selected on the "
               "left.",
    "ds.captured": "**{name}**: {images} images captured with **{model}** ({folder}). Move the sliders below.",
    "ds.cancel": "Cancel the capture",
    "ds.job_progress": "Capturing in the background: image {done} of {total} (your other tabs stay live).",
    "ds.job_prepare": "Preparing the images…",
    "ds.job_session": "A capture is already running for you: wait for it to finish or cancel it first.",
    "ds.job_server": "{limit} captures are already running on this server (its limit, app.py --capture-jobs): try "
                     "again in a minute.",
    "ds.job_cancelled": "Capture cancelled after {done} of {total} images. The images done are kept: capture again "
                        "to resume.",
    "ds.cancel_none": "No capture is running for you.",
    "ds.cancelling": "Cancelling the capture after the image in progress…",
    "ds.quota_full": "The captures' disk quota ({quota}) is full and every capture in it is in use: try again when a "
                     "capture is finished, or ask to raise app.py --capture-quota.",
    "ds.server_paths_off": "Folders on the server can only be read when RCNN Lens is served to this machine alone "
                           "(--host 127.0.0.1). Use the demo dataset here, or the command line (lens_dataset.py).",
    "ds.missing_paths": "Give the image folder and the annotation file (or VOC folder).",
    "ds.thresholds": "The dataset's own seven thresholds (replayed over the whole dataset; the sidebar's sliders "
                     "apply to the single image)",
    "ds.col.metric": "metric",
    "ds.col.value": "value",
    "ds.col.dap": "ΔAP50 if fixed",
    "ds.metric.ap": "AP @[.5:.95]",
    "ds.metric.ap50": "AP @0.5",
    "ds.metric.ap75": "AP @0.75",
    "ds.metric.ap_small": "AP small",
    "ds.metric.ap_medium": "AP medium",
    "ds.metric.ap_large": "AP large",
    "ds.metric.ar1": "AR, 1 detection",
    "ds.metric.ar10": "AR, 10 detections",
    "ds.metric.ar100": "AR, 100 detections",
    "ds.metric.ar_small": "AR small",
    "ds.metric.ar_medium": "AR medium",
    "ds.metric.ar_large": "AR large",
    "ds.metric.f1_50": "F1 @0.5",
    "ds.metric.precision50": "precision @0.5",
    "ds.metric.recall50": "recall @0.5",
    "ds.metric.AR@100": "proposal AR@100",
    "ds.metric.AR@1000": "proposal AR@1000",
    "ds.metric.proposal_ar100": "proposal AR@100",
    "ds.metric.proposal_ar1000": "proposal AR@1000",
    "ds.operating_point": "At IoU 0.5 over {images} images: **{detections}** detections · TP {tp} · FP {fp} · FN {fn} · "
                          "precision {precision:.3f} · recall {recall:.3f} · F1 {f1:.3f}",
    "ds.per_class": "AP per class",
    "ds.axis.ap": "AP",
    "ds.axis.recall": "recall",
    "ds.axis.precision": "precision",
    "ds.axis.ar": "average recall",
    "ds.pr_title": "Precision–recall per class (IoU {iou:g})",
    "ds.tide_title": "Errors, as TIDE classifies them (the whole dataset)",
    "ds.tide_note": "ΔAP50: how much AP@0.5 would rise if every error of that type were fixed.",
    "ds.proposal_title": "Proposal recall vs number of proposals",
    "ds.area.all": "all objects",
    "ds.area.small": "small",
    "ds.area.medium": "medium",
    "ds.area.large": "large",
    "ds.worst": "The worst images by AP (click one to open it in the other tabs with its ground truth)",
    "ds.worst_caption": "{name} · AP {ap} · FP {fp} · missed {missed}",
    "ds.sweep_title": "Find the best thresholds",
    "ds.sweep_metric": "Metric to maximise",
    "ds.sweep_run": "Sweep score × NMS",
    "ds.sweep_apply": "Use the best settings",
    "ds.sweep_result": "Best **{metric}** = **{best:.4f}** (the model's own settings: {baseline:.4f}) over {points} "
                       "settings: {settings}.",
    "ds.sweep_same": "the model's own settings",
    "ds.sweep_code": "The tuned settings as torchvision constructor arguments, to paste into your code:",
    "ds.sweep_none": "Run a sweep first.",
    "ds.summary": "JSON (the same as the evaluate_dataset API returns)",
    "action.dataset": "capturing or evaluating the dataset",
    # dataset diagnosis (app/tabs/dataset_diagnosis.py)
    "dsd.title": "Diagnosis: which class for what, the best confidence per class, where objects are lost, anchors",
    "dsd.explain": "Each view follows the seven sliders above (on release) and says which thresholds made it. The "
                   "IoU slider decides what counts as a match for the confusion matrix, the operating points and the "
                   "funnel.",
    "dsd.iou": "IoU of a match",
    "dsd.refresh": "Show the diagnosis",
    "dsd.confusion_title": "Confusion matrix (rows: the true class; columns: the predicted one; background last)",
    "dsd.cell_hint": "Click a cell to see its images and boxes",
    "dsd.background": "background",
    "dsd.true": "true class",
    "dsd.predicted": "predicted",
    "dsd.true_predicted": "true \\ predicted",
    "dsd.cell": "**{true} → {predicted}**: {count} boxes in {images} images (showing {shown}).",
    "dsd.made_at": "Made at {values}.",
    "dsd.made_at_iou": "Made at IoU {iou} and {values}.",
    "dsd.operating_title": "Operating points per class: F1 against confidence, the confidence that maximises it",
    "dsd.confidence": "confidence (keep score ≥ it)",
    "dsd.all": "all classes",
    "dsd.applied": "With these per-class thresholds: AP {ap_before} → {ap_after}, F1 at IoU 0.5 {f1_before} → "
                   "{f1_after}.",
    "dsd.ap_vs_f1": "AP is computed over every confidence, so a threshold can only shorten the precision-recall "
                    "curve (AP stays or falls); F1 is one point of it, so dropping false positives raises it. "
                    "torchvision has one box_score_thresh: paste the filter below after the model.",
    "dsd.funnel_title": "Where objects are lost, over the whole dataset",
    "dsd.funnel_note": "Each object is lost after the last stage at which a box still reached the IoU; the last "
                       "column is the dataset's recall if that stage's slider were at its most permissive value.",
    "dsd.recovered_later": "A slider move updates the counts; the last column (seven more evaluations of the "
                           "dataset) is filled in by “Show the diagnosis”.",
    "dsd.found": "found",
    "dsd.anchors_title": "Do the anchors fit the objects?",
    "dsd.anchor_summary": "{boxes} ground-truth boxes in the model's frame. Best anchor IoU ≥ {threshold}: "
                          "{share}; a positive anchor only through the low-quality rule: {low}. The suggested "
                          "anchors would reach {suggested}. New anchors mean retraining the RPN. (Independent of "
                          "the thresholds.)",
    "dsd.compare_title": "This capture beside another one (same images)",
    "dsd.compare_other": "The other capture's folder on the server",
    "dsd.compare_run": "Compare",
    "dsd.compare_missing": "Give the folder of the other capture.",
    "dsd.compare_made": "A = {a}, B = {b}.",
    "dsd.col.class": "class",
    "dsd.col.confidence": "F1-optimal confidence",
    "dsd.col.precision": "precision",
    "dsd.col.recall": "recall",
    "dsd.col.stage": "stage",
    "dsd.col.lost": "objects lost there",
    "dsd.col.recovered": "recall if relaxed",
    "dsd.col.group": "group",
    "dsd.col.objects": "objects",
    "dsd.col.share": "share ≥ {threshold}",
    "dsd.col.mean_iou": "mean best IoU",
    "dsd.col.metric": "metric",
    "dsd.col.ci": "95 % CI over images",
}

KO: dict[str, str] = {
    "tab.dataset": "데이터셋",
    "look.dataset": "**살펴볼 점:** 임계값은 이미지 한 장이 아니라 검증 세트에서 조정합니다. 데이터셋을 한 번 캡처하면 "
                    "모든 슬라이더가 데이터셋 전체를 다시 계산하고 COCO 지표가 따라 바뀝니다 — 모델은 다시 실행되지 "
                    "않습니다.",
    "ds.explain": "캡처는 이미지마다 어떤 슬라이더 설정에서든 쓰일 수 있는 RPN 후보와 그에 대한 RoI 헤드의 출력을 모두 "
                  "저장해서, 일곱 임계값 모두를 데이터셋 전체에 대해 다시 계산합니다. 숫자는 COCOeval의 값입니다 (같은 "
                  "검출에 대해 pycocotools도 같은 값을 냅니다).",
    "ds.source": "이미지",
    "ds.source.demo": "데모 데이터셋 (학습에 쓰지 않은 합성 장면)",
    "ds.source.folder": "이 서버의 폴더",
    "ds.demo_count": "데모 장면 수",
    "ds.images": "서버의 이미지 폴더",
    "ds.annotations": "주석: COCO JSON 파일 또는 Pascal VOC 폴더",
    "ds.capture": "선택한 모델로 캡처",
    "ds.none": "아직 데이터셋이 없습니다. 데모 데이터셋(또는 폴더)을 고르고 왼쪽에서 선택한 모델로 캡처하세요.",
    "ds.captured": "**{name}**: 이미지 {images}개를 **{model}**(으)로 캡처했습니다 ({folder}). 아래 슬라이더를 "
                   "움직여 보세요.",
    "ds.cancel": "캡처 취소",
    "ds.job_progress": "백그라운드에서 캡처하는 중: 이미지 {total}개 중 {done}개 (다른 탭은 계속 쓸 수 있습니다).",
    "ds.job_prepare": "이미지를 준비하는 중…",
    "ds.job_session": "이미 캡처가 실행 중입니다. 끝날 때까지 기다리거나 먼저 취소하세요.",
    "ds.job_server": "이 서버에서 이미 캡처 {limit}개가 실행 중입니다 (한도: app.py --capture-jobs). 잠시 뒤에 다시 "
                     "시도하세요.",
    "ds.job_cancelled": "이미지 {total}개 중 {done}개에서 캡처를 취소했습니다. 끝난 이미지는 남아 있으니 다시 캡처하면 "
                        "이어서 진행합니다.",
    "ds.cancel_none": "실행 중인 캡처가 없습니다.",
    "ds.cancelling": "지금 처리 중인 이미지가 끝나면 캡처를 취소합니다…",
    "ds.quota_full": "캡처용 디스크 한도({quota})가 가득 찼고 그 안의 캡처는 모두 사용 중입니다. 캡처가 끝난 뒤 다시 "
                     "시도하거나 app.py --capture-quota를 늘려 달라고 하세요.",
    "ds.server_paths_off": "RCNN Lens가 이 컴퓨터에만 열려 있을 때 (--host 127.0.0.1)만 서버의 폴더를 읽을 수 있습니다. "
                           "여기서는 데모 데이터셋을 쓰거나 명령줄(lens_dataset.py)을 사용하세요.",
    "ds.missing_paths": "이미지 폴더와 주석 파일(또는 VOC 폴더)을 입력하세요.",
    "ds.thresholds": "데이터셋 전용 임계값 일곱 개 (데이터셋 전체에 다시 계산; 사이드바의 슬라이더는 이미지 한 장에 "
                     "적용)",
    "ds.col.metric": "지표",
    "ds.col.value": "값",
    "ds.col.dap": "고쳤을 때의 ΔAP50",
    "ds.metric.ap": "AP @[.5:.95] 평균",
    "ds.metric.ap50": "AP @0.5 기준",
    "ds.metric.ap75": "AP @0.75 기준",
    "ds.metric.ap_small": "AP 작은 물체",
    "ds.metric.ap_medium": "AP 중간 물체",
    "ds.metric.ap_large": "AP 큰 물체",
    "ds.metric.ar1": "AR, 검출 1개",
    "ds.metric.ar10": "AR, 검출 10개",
    "ds.metric.ar100": "AR, 검출 100개",
    "ds.metric.ar_small": "AR 작은 물체",
    "ds.metric.ar_medium": "AR 중간 물체",
    "ds.metric.ar_large": "AR 큰 물체",
    "ds.metric.f1_50": "F1 @0.5 기준",
    "ds.metric.precision50": "정밀도 @0.5",
    "ds.metric.recall50": "재현율 @0.5",
    "ds.metric.AR@100": "제안 영역 AR@100",
    "ds.metric.AR@1000": "제안 영역 AR@1000",
    "ds.metric.proposal_ar100": "제안 영역 AR@100",
    "ds.metric.proposal_ar1000": "제안 영역 AR@1000",
    "ds.operating_point": "이미지 {images}개, IoU 0.5 기준: 검출 **{detections}**개 · TP {tp} · FP {fp} · FN {fn} · "
                          "정밀도 {precision:.3f} · 재현율 {recall:.3f} · F1 {f1:.3f}",
    "ds.per_class": "클래스별 AP",
    "ds.axis.ap": "AP 값",
    "ds.axis.recall": "재현율",
    "ds.axis.precision": "정밀도",
    "ds.axis.ar": "평균 재현율",
    "ds.pr_title": "클래스별 정밀도–재현율 (IoU {iou:g})",
    "ds.tide_title": "TIDE 기준의 오류 분류 (데이터셋 전체)",
    "ds.tide_note": "ΔAP50: 그 유형의 오류를 모두 고친다면 AP@0.5가 얼마나 오르는지입니다.",
    "ds.proposal_title": "제안 영역 개수별 재현율",
    "ds.area.all": "전체 물체",
    "ds.area.small": "작은 물체",
    "ds.area.medium": "중간 물체",
    "ds.area.large": "큰 물체",
    "ds.worst": "AP가 가장 낮은 이미지 (클릭하면 정답과 함께 다른 탭에서 엽니다)",
    "ds.worst_caption": "{name} · AP {ap} · FP {fp} · 놓침 {missed}",
    "ds.sweep_title": "가장 좋은 임계값 찾기",
    "ds.sweep_metric": "최대화할 지표",
    "ds.sweep_run": "점수 × NMS 탐색",
    "ds.sweep_apply": "가장 좋은 설정 사용",
    "ds.sweep_result": "**{metric}** 최고값 **{best:.4f}** (모델 자체 설정: {baseline:.4f}), 설정 {points}개를 "
                       "탐색: {settings}.",
    "ds.sweep_same": "모델 자체 설정",
    "ds.sweep_code": "조정한 설정을 torchvision 생성자 인자로 — 코드에 붙여 넣으세요:",
    "ds.sweep_none": "먼저 탐색을 실행하세요.",
    "ds.summary": "JSON (evaluate_dataset API가 돌려주는 것과 같음)",
    "action.dataset": "데이터셋을 캡처하거나 평가하는 중",
    "engine.dataset.annotations_missing": "{path}에 주석 파일이나 폴더가 없습니다. COCO JSON 파일 또는 Pascal VOC 폴더를 "
                                          "주세요.",
    "engine.dataset.annotations_unreadable": "주석 파일 {name}이(가) UTF-8 JSON이 아닙니다 ({reason}).",
    "engine.dataset.not_coco": "{name}: COCO 주석 파일이 아닙니다. \"images\"와 \"categories\" 목록 (그리고 "
                               "\"annotations\")이 필요합니다.",
    "engine.dataset.not_coco_detail": "{name}: 올바른 COCO 주석 파일이 아닙니다 ({reason}).",
    "engine.dataset.unknown_category": "{name}에는 \"categories\" 목록에 없는 카테고리 id {ids}의 주석이 있습니다.",
    "engine.dataset.voc_empty": "{path} (또는 그 Annotations 폴더)에 Pascal VOC .xml 파일이 없습니다.",
    "engine.dataset.voc_unreadable": "VOC 주석 {name}을(를) 읽을 수 없습니다 ({reason}).",
    "engine.dataset.images_missing": "{path}에 이미지 폴더가 없습니다.",
    "engine.dataset.no_images_matched": "{annotations}의 이미지를 주어진 이미지 중에서 하나도 찾지 못했습니다 (예: "
                                        "{example}). 주석의 파일 이름이 기준으로 삼는 폴더를 주세요.",
    "engine.dataset.size_mismatch": "{name}: 이미지는 {width}×{height} 픽셀인데 주석에는 {ann_width}×{ann_height}로 "
                                    "적혀 있습니다. 정답이 이미지와 맞지 않게 됩니다.",
    "engine.dataset.no_shared_classes": "데이터셋의 클래스({dataset})와 모델의 클래스({model})에 공통 이름이 없습니다. "
                                        "데이터셋의 클래스 이름(라벨 파일)으로 모델을 불러오세요.",
    "engine.dataset.capture_missing": "{path}에 데이터셋 캡처가 없습니다 (manifest.json 없음).",
    "engine.dataset.capture_unreadable": "{path}의 데이터셋 캡처를 읽을 수 없습니다 ({reason}).",
    "engine.dataset.format_version": "{path}의 데이터셋 캡처는 형식 버전 {found}로 저장되었습니다. 이 버전의 RCNN Lens는 "
                                     "버전 {expected}를 읽습니다. 새 폴더에 다시 캡처하세요.",
    "engine.dataset.other_model": "{path}의 데이터셋 캡처는 다른 모델로 만들어졌습니다 ({found}, 지금은 {given}). 새 폴더에 "
                                  "캡처하거나 그 모델을 사용하세요.",
    "engine.dataset.other_dataset": "{path}의 데이터셋 캡처는 다른 이미지나 주석으로 만들어졌습니다. 새 폴더에 캡처하거나, "
                                    "이어서 하려면 같은 이미지와 주석을 주세요.",
    "engine.dataset.other_settings": "{path}의 데이터셋 캡처는 {name} = {found}로 만들어졌습니다 (지금은 {given}). 바꾸려면 "
                                     "새 폴더에 캡처하세요.",
    "engine.dataset.incomplete": "{path}의 데이터셋 캡처가 끝나지 않았습니다 (이미지 {total}개 중 {done}개). 같은 캡처를 "
                                 "다시 실행하면 이어서 진행합니다.",
    "engine.dataset.not_a_folder": "{path}: 이미 있는 폴더가 아닌 파일입니다. 데이터셋 캡처에 쓸 폴더 이름을 고르세요.",
    "engine.dataset.not_empty": "{path}: 데이터셋 캡처가 아닌 다른 파일이 들어 있는 폴더입니다. 새 폴더나 빈 폴더를 "
                                "고르세요.",
    "engine.dataset.record_missing": "{path}의 데이터셋 캡처가 손상되었습니다. 이미지 {index} ({name})의 기록 파일 "
                                     "{file}이(가) 없거나 읽을 수 없습니다. 같은 캡처를 다시 실행하면 기록이 없거나 "
                                     "손상된 이미지만 다시 캡처합니다.",
    "engine.dataset.record_truncated": "{path}의 데이터셋 캡처가 손상되었습니다. 이미지 {index} ({name})의 기록 파일 "
                                       "{file}이(가) 잘려 있습니다 ({expected:,}바이트 중 {size:,}바이트). 손상된 기록은 "
                                       "모두 {count}개입니다. 같은 캡처를 다시 실행하면 그 이미지만 다시 캡처합니다.",
    "engine.dataset.record_changed": "{path}의 데이터셋 캡처가 손상되었습니다. 이미지 {index} ({name})의 기록 파일 "
                                     "{file}이(가) 매니페스트의 체크섬과 맞지 않습니다 (내용이 바뀌었습니다). 손상된 "
                                     "기록은 모두 {count}개입니다. 같은 캡처를 다시 실행하면 그 이미지만 다시 "
                                     "캡처합니다.",
    "engine.dataset.record_absent": "{path}의 데이터셋 캡처가 손상되었습니다. 이미지 {index} ({name})의 기록 파일 "
                                    "{file}이(가) 없습니다. 손상된 기록은 모두 {count}개입니다. 같은 캡처를 다시 "
                                    "실행하면 그 이미지만 다시 캡처합니다.",
    "engine.dataset.pre_nms_above_capture": "rpn_pre_nms_top_n = {value}: 이 데이터셋 캡처가 저장한 값(레벨당 {high}개)보다 "
                                            "큽니다. {high} 이하로 고르거나, 더 큰 최댓값으로 다시 캡처하세요.",
    "engine.dataset.unknown_engine": "알 수 없는 캡처 엔진 {engine!r}: \"local\" 또는 \"ray\"를 쓰세요.",
    "engine.dataset.ray_missing": "Ray 엔진에는 Ray가 필요합니다: pip install -r requirements-ray.txt ({reason}).",
    "engine.dataset.unknown_metric": "알 수 없는 지표 {name!r}. 다음 중에서 고르세요: {choices}.",
    "engine.dataset.unknown_image": "이 데이터셋 캡처에 이미지 {name!r}이(가) 없습니다.",
    # dataset diagnosis (app/tabs/dataset_diagnosis.py)
    "dsd.title": "진단: 무엇을 어떤 클래스로 보았나, 클래스별 최적 신뢰도, 객체를 잃는 단계, 앵커",
    "dsd.explain": "각 보기는 위의 일곱 슬라이더를 (놓을 때) 따라가며 어떤 임계값으로 만들었는지 보여 줍니다. IoU "
                   "슬라이더는 혼동 행렬, 동작점, 퍼널에서 무엇을 일치로 볼지 정합니다.",
    "dsd.iou": "일치로 보는 IoU",
    "dsd.refresh": "진단 보기",
    "dsd.confusion_title": "혼동 행렬 (행: 실제 클래스, 열: 예측 클래스, 마지막은 배경)",
    "dsd.cell_hint": "칸을 클릭하면 그 이미지와 상자를 봅니다",
    "dsd.background": "배경",
    "dsd.true": "실제 클래스",
    "dsd.predicted": "예측",
    "dsd.true_predicted": "실제 \\ 예측",
    "dsd.cell": "**{true} → {predicted}**: 이미지 {images}장에 상자 {count}개 ({shown}장 표시).",
    "dsd.made_at": "{values} 에서 계산.",
    "dsd.made_at_iou": "IoU {iou}, {values} 에서 계산.",
    "dsd.operating_title": "클래스별 동작점: 신뢰도에 따른 F1과 F1이 가장 큰 신뢰도",
    "dsd.confidence": "신뢰도 (점수 ≥ 이 값만 유지)",
    "dsd.all": "모든 클래스",
    "dsd.applied": "이 클래스별 임계값을 쓰면: AP {ap_before} → {ap_after}, IoU 0.5에서 F1 {f1_before} → "
                   "{f1_after}.",
    "dsd.ap_vs_f1": "AP는 모든 신뢰도에 걸쳐 계산하므로 임계값은 정밀도-재현율 곡선을 줄일 뿐입니다 (AP는 같거나 "
                    "낮아짐). F1은 곡선의 한 점이므로 거짓 양성을 버리면 올라갑니다. torchvision에는 "
                    "box_score_thresh가 하나뿐이니 아래 필터를 모델 뒤에 붙이세요.",
    "dsd.funnel_title": "데이터셋 전체에서 객체를 잃는 단계",
    "dsd.funnel_note": "각 객체는 상자가 그 IoU에 마지막으로 닿은 단계 다음에서 잃은 것으로 셉니다. 마지막 열은 그 "
                       "단계의 슬라이더를 가장 너그러운 값으로 두었을 때의 데이터셋 재현율입니다.",
    "dsd.recovered_later": "슬라이더를 움직이면 개수가 바뀝니다. 마지막 열(데이터셋을 일곱 번 더 평가)은 “진단 보기”를 "
                           "누르면 채워집니다.",
    "dsd.found": "찾음",
    "dsd.anchors_title": "앵커가 객체에 맞을까?",
    "dsd.anchor_summary": "모델 좌표계의 정답 상자 {boxes}개. 가장 잘 맞는 앵커의 IoU ≥ {threshold}: {share}; "
                          "저품질 규칙으로만 양성 앵커를 얻는 비율: {low}. 제안한 앵커는 {suggested}에 이릅니다. "
                          "앵커를 바꾸면 RPN을 다시 학습해야 합니다. (임계값과 무관)",
    "dsd.compare_title": "이 캡처와 다른 캡처 나란히 보기 (같은 이미지)",
    "dsd.compare_other": "서버에 있는 다른 캡처의 폴더",
    "dsd.compare_run": "비교",
    "dsd.compare_missing": "다른 캡처의 폴더를 입력하세요.",
    "dsd.compare_made": "A = {a}, B = {b}.",
    "dsd.col.class": "클래스",
    "dsd.col.confidence": "F1 최적 신뢰도",
    "dsd.col.precision": "정밀도",
    "dsd.col.recall": "재현율",
    "dsd.col.stage": "단계",
    "dsd.col.lost": "잃은 객체",
    "dsd.col.recovered": "풀었을 때 재현율",
    "dsd.col.group": "묶음",
    "dsd.col.objects": "객체",
    "dsd.col.share": "≥ {threshold} 비율",
    "dsd.col.mean_iou": "평균 최고 IoU",
    "dsd.col.metric": "지표",
    "dsd.col.ci": "이미지 부트스트랩 95% 구간",
}
