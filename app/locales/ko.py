"""한국어 UI 문자열: 영어 표와 같은 키. 용어는 국내 자료의 표기를 따른다 (앵커, 제안 영역, 특징 맵, 객체성 …).

자리표시자({name}, {eps:g} …)는 이름과 형식 지정자까지 영어와 똑같이 둔다. 조사가 자리표시자 값에 따라 달라지지
않도록 "{name}: …", "{name} 파일은 …"처럼 쓴다. engine.<code> 키는 inspectors/errors.py MESSAGES의 한국어판이다.
"""

KO: dict[str, str] = {
    # --- app frame -------------------------------------------------------------------------------------------
    "app.title": "RCNN Lens",
    "app.subtitle": "torchvision Faster R-CNN을 위한 시각적 디버거: 이미지를 올리면 모든 단계를 볼 수 있고, "
                    "임계값을 바꾸면 결과가 바로 바뀝니다.",
    "status.empty": "이미지를 올리거나 예시를 클릭해 시작하세요.",
    "app.auth_message": "RCNN Lens: 선생님께 받은 사용자 이름과 비밀번호로 로그인하세요.",
    "status.ready": "**{model}** · {width}×{height} px · 제안 영역 {proposals}개 · 모델 실행 {total_ms:.0f} ms",
    "status.detections": "검출 {count}개",
    # API 출력 이름: gradio_client가 보여 주는 식별자이므로 영어 그대로 둔다.
    "api.summary": "summary",
    "api.status": "status",
    "api.detections_count": "detections_count",
    # --- inputs ----------------------------------------------------------------------------------------------
    "input.image": "이미지",
    "input.examples": "예시 (하나를 클릭하세요)",
    "input.model": "모델",
    "input.model.info": "데모 모델은 작아서 CPU에서도 빠르게 실행됩니다. COCO 모델은 처음 한 번 가중치를 내려받습니다.",
    "input.inspect": "분석",
    "input.custom": "사용자 체크포인트",
    "input.custom.explain": "직접 미세 조정한 Faster R-CNN을 분석합니다. 아키텍처와 state_dict(.pth: 일반, Lightning, "
                            "DDP 형식)를 고르고, 필요하면 라벨 파일(UTF-8, 한 줄에 클래스 이름 하나, 배경은 맨 앞에 "
                            "두거나 생략)도 고르세요.",
    "input.custom.arch": "아키텍처",
    "upload.image": "이미지",
    "upload.checkpoint": "체크포인트",
    "error.file_too_large": "{name}의 크기는 {size}로, 이 서버의 {what} 상한 {cap}을 넘습니다. 앱을 시작하는 사람이 "
                            "{flag} 2gb 처럼 올릴 수 있습니다.",
    "input.custom.checkpoint": "체크포인트 (.pth)",
    "input.custom.labels": "라벨 (.txt)",
    "input.custom.load": "체크포인트 불러오기",
    "input.custom.loaded": "**{name}** 불러오기 완료 (클래스 {classes}개). 이제 모델 목록에서 이 모델이 선택되어 "
                           "있습니다 (본인에게만 보이며, 이 서버의 다른 사용자는 내 체크포인트를 볼 수 없습니다).",
    "input.custom.trained_from": "학습 시작점",
    "input.custom.trained_from.info": "torchvision의 빌더와 같은 규칙으로 백본의 정규화 층을 정합니다. '자동'은 "
                                      "체크포인트의 BatchNorm 카운터를 읽고, 카운터가 없으면 COCO 가중치에서 "
                                      "시작한 것으로 가정합니다.",
    "input.custom.trained_from.auto": "자동",
    "input.custom.trained_from.coco": "COCO 가중치에서",
    "input.custom.trained_from.imagenet": "ImageNet 백본에서",
    "input.custom.trained_from.scratch": "처음부터",
    "model.normalization": "백본 정규화: **{layer}, eps {eps:g}** — {how}.",
    "model.normalization.assumed": "가정: COCO 가중치에서 미세 조정한 모델로 봅니다 (체크포인트에 BatchNorm "
                                   "카운터가 없음). ImageNet 백본에서만 시작해 학습했다면 위에서 그 항목을 고르고 "
                                   "다시 불러오세요",
    "model.normalization.checkpoint": "체크포인트에서 판단: BatchNorm 카운터(num_batches_tracked)가 있음 → "
                                      "학습 시작점: {trained_from}",
    "model.normalization.given": "직접 선택한 학습 시작점: {trained_from}",
    "model.demo": "데모 (도형: 원, 직사각형, 삼각형)",
    # --- thresholds ------------------------------------------------------------------------------------------
    "thresholds.title": "임계값",
    "thresholds.explain": "슬라이더를 움직이면 저장해 둔 단계만 다시 계산합니다. 백본은 다시 실행되지 않습니다.",
    "thresholds.rpn": "RPN (영역 제안 네트워크)",
    "thresholds.roi": "RoI 헤드 (최종 검출)",
    "thresholds.reset": "모델 기본값으로 되돌리기",
    "th.rpn_pre_nms_top_n": "NMS 전 상위 n개 (레벨별)",
    "th.rpn_pre_nms_top_n.info": "NMS 전에 각 FPN 레벨에서 객체성 점수가 가장 높은 앵커 n개를 남깁니다.",
    "th.rpn_nms_thresh": "RPN NMS IoU 임계값",
    "th.rpn_nms_thresh.info": "점수가 더 높은 제안 영역과의 IoU가 이 값보다 크면 제거합니다.",
    "th.rpn_post_nms_top_n": "NMS 후 상위 n개",
    "th.rpn_post_nms_top_n.info": "RoI 헤드로 넘어가는 제안 영역(RoI)의 개수입니다.",
    "th.rpn_score_thresh": "RPN 점수",
    "th.rpn_score_thresh.info": "객체성 확률이 이 값보다 낮은 제안 영역을 버립니다.",
    "th.box_score_thresh": "검출 점수",
    "th.box_score_thresh.info": "클래스 점수가 이 값보다 낮은 검출을 버립니다.",
    "th.box_nms_thresh": "검출 NMS IoU 임계값",
    "th.box_nms_thresh.info": "클래스별로, 점수가 더 높은 박스와의 IoU가 이 값보다 크면 제거합니다.",
    "th.box_detections_per_img": "이미지당 검출 수",
    "th.box_detections_per_img.info": "점수가 높은 순서로 최대 이 개수만 남깁니다.",
    # --- errors -------------------------------------------------------------------------------------------
    "error.title": "갱신하지 못했습니다",
    "error.no_image": "먼저 이미지를 올려 주세요.",
    "error.not_an_image": "이 파일은 열 수 있는 이미지가 아닙니다 (JPEG, PNG, WebP, BMP를 사용하세요).",
    "error.bad_image": "이미지를 사용할 수 없습니다: {reason}",
    "error.model_load": "모델을 불러올 수 없습니다. {reason}",
    "error.no_session": "먼저 이미지를 분석하세요. 아직 다시 계산할 결과가 없습니다 (또는 세션이 캐시에서 만료되었습니다).",
    "error.annotations": "정답 파일을 사용할 수 없습니다: {reason}",
    "error.custom_missing": "먼저 체크포인트 파일을 고르세요.",
    "error.labels_file": "라벨 파일을 읽을 수 없습니다: {reason}",
    "error.unknown_model": "알 수 없는 모델 '{name}'입니다. 다음 중에서 고르세요: {choices}.",
    "error.missing_thresholds": "빠진 임계값: {names}.",
    "error.internal": "{action} 중에 문제가 생겼습니다: {reason}",
    "action.inspect": "이미지 분석",
    "action.rethreshold": "임계값 다시 적용",
    "action.view": "화면 그리기",
    "layout.desktop": "데스크톱",
    "layout.projector": "프로젝터",
    "action.language": "언어 전환",
    "progress.load_model": "모델 {name} 불러오는 중…",
    "progress.capture": "훅을 걸고 모델을 한 번 실행하는 중…",
    "progress.draw": "단계별 그림을 그리는 중…",
    # --- tabs: overview --------------------------------------------------------------------------------------
    "tab.overview": "개요",
    "overview.explain": "Faster R-CNN은 두 단계로 동작합니다. **특징 피라미드**를 갖춘 백본이 이미지를 특징 맵으로 "
                        "바꾸고, **RPN**이 수천 개의 **앵커**에 점수를 매겨 가장 좋은 것들을 **제안 영역**으로 "
                        "만듭니다. 이어서 **RoI 헤드**가 제안 영역마다 특징을 풀링해 클래스를 분류하고 박스를 "
                        "다듬습니다. 아래 숫자는 모두 이 이미지의 값입니다.",
    "overview.pipeline": "파이프라인 (이 이미지의 개수, 한 번 실행한 모델의 단계별 시간)",
    "overview.stage.image": "이미지",
    "overview.stage.anchors": "앵커",
    "overview.stage.pre_nms": "NMS 전",
    "overview.stage.proposals": "제안 영역",
    "overview.stage.rois": "RoI",
    "overview.stage.detections": "검출",
    "overview.timing.transform": "전처리",
    "overview.timing.backbone_body": "백본",
    "overview.timing.fpn": "특징 피라미드(FPN)",
    "overview.timing.rpn": "RPN(영역 제안)",
    "overview.timing.roi_heads": "RoI 헤드",
    "overview.timing.postprocess": "후처리",
    "overview.timings": "모델 실행: 총 {total_ms:.0f} ms. 마지막 재계산: {replay_ms:.0f} ms.",
    "overview.frames": "세 가지 좌표계",
    "overview.frames.explain": "모델은 이미지의 종횡비를 유지한 채 크기를 조정하고, 모든 피라미드 레벨의 셀 수가 "
                               "정수가 되도록 가로세로를 32의 배수로 맞춰 0으로 패딩합니다. 박스는 원본 이미지의 "
                               "픽셀 좌표로 표시합니다.",
    "overview.frame.original": "원본",
    "overview.frame.resized": "크기 조정",
    "overview.frame.padded": "패딩",
    "overview.frame.scale": "가로 × {sx:.3f}, 세로 × {sy:.3f}",
    "overview.frame.pad": "오른쪽 +{right} px, 아래쪽 +{bottom} px",
    # --- tabs: feature pyramid -------------------------------------------------------------------------------
    "tab.features": "특징 맵 (FPN)",
    "features.explain": "백본 본체는 특징 맵 C2–C5를 만들며, 각 맵의 크기는 앞 맵의 절반입니다. FPN은 하향식(top-down) "
                        "경로와 측면 연결을 더해 P2–P5가 모두 같은 채널 수와 강한 의미 정보를 갖게 하고, P6는 가장 큰 "
                        "앵커를 위해 P5를 최대 풀링한 맵입니다. 밝을수록 활성값이 큽니다.",
    "features.family": "특징 맵",
    "features.family.body": "백본 본체 (C)",
    "features.family.fpn": "FPN 출력 (P)",
    "features.mode": "표시 방법",
    "features.mode.mean": "채널 평균",
    "features.mode.max": "채널 최댓값",
    "features.mode.channel": "채널 하나",
    "features.channel": "채널",
    "features.heatmaps": "히트맵 (마우스를 올리면 값이 보입니다)",
    "features.overlays": "이미지 위에 겹쳐 보기",
    "features.level_title": "{name} · {channels}×{height}×{width} · 스트라이드 {stride}",
    "features.table.level": "레벨",
    "features.table.shape": "형태 (C×H×W)",
    "features.table.stride": "스트라이드 (px)",
    "features.channel_clamped": "{name} 레벨의 채널은 {channels}개입니다. 채널 {channel}번을 표시합니다.",
    # --- tabs: anchors ---------------------------------------------------------------------------------------
    "tab.anchors": "앵커",
    "anchors.explain": "RPN은 모든 레벨의 모든 셀에 크기와 종횡비가 정해진 기준 박스(앵커)를 몇 개씩 놓습니다. "
                       "FPN에서는 레벨마다 크기가 하나씩 배정되고, 원 논문은 스트라이드 16인 특징 맵 하나에 "
                       "앵커 9개(크기 3가지 × 비율 3가지)를 썼습니다. **이미지를 클릭**하면 그 지점의 앵커를 "
                       "모든 레벨에서 볼 수 있습니다.",
    "anchors.click_image": "지점을 클릭하세요",
    "anchors.point": "원본 이미지의 ({x:.0f}, {y:.0f}) px에 중심이 가장 가까운 앵커입니다.",
    "anchors.model_config": "이 모델 (FPN)",
    "anchors.paper_config": "논문 (단일 레벨, 앵커 9개)",
    "anchors.border": "이미지 경계를 넘는 앵커: {total}개 중 {crossing}개 ({percent:.0f}%). torchvision은 이 앵커를 "
                      "그대로 쓰고, 여기서 나온 제안 영역을 이미지 경계에 맞춰 자릅니다. 논문에서는 학습할 때 이 "
                      "앵커를 무시했습니다.",
    "anchors.col.level": "레벨",
    "anchors.col.stride": "스트라이드",
    "anchors.col.grid": "격자 (H×W)",
    "anchors.col.per_location": "셀당 개수",
    "anchors.col.sizes": "크기 (px)",
    "anchors.col.ratios": "비율 (h/w)",
    "anchors.col.total": "앵커 수",
    "anchors.col.inside": "내부",
    "anchors.col.inside_image": "이미지 내부",
    "anchors.col.crossing": "경계를 넘음",
    "anchors.col.shape": "크기 · h/w",
    "anchors.col.level_cell": "레벨 (y, x)",
    "anchors.col.box": "박스 (px)",
    "anchors.col.objectness": "P(객체)",
    # --- tabs: objectness ------------------------------------------------------------------------------------
    "tab.objectness": "객체성",
    "objectness.explain": "RPN은 앵커마다 객체를 덮고 있을 가능성(객체성)과 앵커를 얼마나 옮기고 늘릴지를 예측합니다. "
                          "각 레벨에는 앵커 모양마다 맵이 하나씩 있으며, 모양별 최댓값을 보면 RPN이 그 스케일에서 "
                          "어디에 객체가 있다고 보는지 알 수 있습니다. 작은 객체는 세밀한 레벨(P2, P3)에서, 큰 "
                          "객체는 거친 레벨에서 밝게 나타납니다.",
    "objectness.level": "레벨",
    "objectness.all_levels": "모든 레벨: 앵커 모양별 최댓값",
    "objectness.per_shape": "{level} 레벨: 앵커 모양마다 맵 하나",
    "objectness.overlay": "{level} 레벨 (모양별 최댓값)을 이미지 위에 표시",
    "objectness.shape_title": "크기 {size:g}, 비율 {ratio:g}",
    "objectness.level_title": "{name} · 격자 {height}×{width}",
    "objectness.colorbar": "P(객체)",
    "objectness.col.level": "레벨",
    "objectness.col.grid": "격자 (H×W)",
    "objectness.col.anchors": "앵커 수",
    "objectness.col.max": "최고 P(객체)",
    "objectness.col.above": "P > 0.5인 앵커",
    # --- tabs: proposals -------------------------------------------------------------------------------------
    "tab.proposals": "제안 영역",
    "proposals.explain": "RPN은 앵커마다 예측한 오프셋을 디코딩해 박스로 만들고, 레벨마다 상위 n개를 남긴 뒤 이미지 "
                         "경계에 맞춰 자르고, 아주 작거나 점수가 낮은 박스를 버린 다음 레벨별로 NMS를 실행합니다. "
                         "색은 박스가 나온 FPN 레벨을 나타냅니다. 이 화면은 RPN 슬라이더를 따릅니다.",
    "proposals.top_n": "상위 N개 박스 표시",
    "proposals.pre_nms": "NMS 전: {total}개 중 {shown}개",
    "proposals.post_nms": "NMS 후 (제안 영역): {total}개 중 {shown}개",
    "proposals.steps": "필터 단계마다 제거된 수",
    "proposals.col.step": "단계",
    "proposals.col.before": "전",
    "proposals.col.after": "후",
    "proposals.col.removed": "제거",
    "proposals.legend": "레벨 색상:",
    # --- tabs: RoI pooling -----------------------------------------------------------------------------------
    "tab.roi": "RoI 풀링",
    "roi.explain": "RoI 헤드에는 제안 영역마다 고정된 7×7 특징 격자가 필요합니다. 제안 영역은 크기에 따라 피라미드 "
                   "레벨 하나에 배정되고, 그 특징 맵 위로 투영된 뒤 풀링됩니다. **RoIPool**은 박스와 bin 경계를 "
                   "정수 셀 단위로 반올림(양자화)하고 최댓값을 취합니다. **RoIAlign**은 정확한 좌표를 그대로 "
                   "두고 양선형 보간으로 얻은 샘플 값의 평균을 냅니다. 목록에서 제안 영역을 고르거나 이미지에서 "
                   "클릭하세요.",
    "roi.proposal": "제안 영역",
    "roi.channel": "채널",
    "roi.click_image": "제안 영역 (하나를 클릭하세요)",
    "roi.choice": "#{index} · 점수 {score:.2f} · {width:.0f}×{height:.0f} px · {level}에서 제안",
    "roi.assignment": "제안 영역 #{index}: 원본 이미지에서 {width:.0f}×{height:.0f} px이고 {proposed_level}의 앵커에서 "
                      "나왔습니다. 하지만 RoI 풀링은 박스 크기만으로 레벨을 고르므로 **{level}**에서 풀링됩니다 "
                      "(공간 스케일 1/{inverse_scale:g}). {reason}",
    "roi.level_rule": "√(w·h) = √({width:.1f}·{height:.1f}) = {side:.1f} px (크기 조정 좌표계); k = ⌊{k0} + "
                      "log2({side:.1f}/{s0})⌋ = ⌊{raw:.2f}⌋, {kmin}..{kmax} 범위로 제한 → {level}",
    "overview.levels": "레벨 {count}개",
    "overview.stage.nms": "NMS 적용",
    "roi.on_feature": "{level}의 RoI, 채널 {channel}",
    "roi.pool_cells": "RoIPool: 양자화된 셀",
    "roi.align_points": "RoIAlign: 샘플 점",
    "roi.out_pool": "RoIPool 7×7 출력",
    "roi.out_align": "RoIAlign 7×7 출력",
    "roi.out_diff": "차이 (align − pool)",
    "roi.outputs": "두 가지 7×7 출력, 채널 {channel}",
    "roi.none": "이 임계값에서는 제안 영역이 없습니다.",
    # --- tabs: detections ------------------------------------------------------------------------------------
    "tab.detections": "검출",
    "detections.explain": "RoI 헤드는 RoI마다 클래스별 점수와 클래스별 박스를 예측합니다. 후처리에서는 점수가 낮은 "
                          "박스와 아주 작은 박스를 버리고, 클래스별로 NMS를 실행한 뒤 점수가 높은 것부터 남깁니다. "
                          "이 화면은 RoI 헤드 슬라이더를 따릅니다.",
    "detections.table": "검출 결과",
    "detections.image_label": "검출 {count}개 · 점수 > {score:g} · NMS IoU {nms:g}",
    "detections.per_class": "클래스별",
    "detections.steps": "후처리 단계마다 제거된 수",
    "detections.summary": "JSON 요약 (API가 돌려주는 것과 같음)",
    "detections.col.label": "클래스",
    "detections.col.score": "점수",
    "detections.col.box": "박스 (x1, y1, x2, y2)",
    "detections.col.proposal": "RoI 번호",
    "detections.col.count": "개수",
    "detections.none": "이 임계값에서는 검출이 없습니다. 검출 점수를 낮춰 보세요.",
    # --- engine step names (inspectors' FilterStep.name) ----------------------------------------------------
    "step.anchors": "앵커",
    "step.per-level top-k": "레벨별 상위 k개",
    "step.clip + remove small": "경계 자르기 + 작은 박스 제거",
    "step.score threshold": "점수 임계값",
    "step.NMS": "NMS",
    "step.post-NMS top-n": "NMS 후 상위 n개",
    "step.remove tiny boxes": "아주 작은 박스 제거",
    "step.per-class NMS": "클래스별 NMS",
    "step.detections per image": "이미지당 검출 수",
    # --- engine errors by code (inspectors/errors.py MESSAGES); a threshold's {name} arrives as its slider label ---
    # images
    "engine.image.unsupported_type": "지원하지 않는 이미지 형식입니다: {kind}. 경로, PIL 이미지 또는 H×W×3 배열을 "
                                     "넘겨 주세요.",
    "engine.image.bad_array": "H×W×3 이미지 배열이 필요합니다. 받은 배열의 형태: {shape}.",
    "engine.image.bad_tensor": "3×H×W 이미지 텐서가 필요합니다. 받은 텐서의 형태: {shape}.",
    "engine.image.missing": "{path} 경로에 이미지 파일이 없습니다.",
    "engine.image.not_an_image": "{name}: Pillow로 읽을 수 있는 이미지 파일이 아닙니다.",
    "engine.image.undecodable": "{name}: 이미지를 디코딩할 수 없습니다 ({reason}).",
    "engine.image.too_many_pixels": "이미지가 너무 큽니다: {width}×{height} = {pixels:,} 픽셀로, 안전 한도인 "
                                    "{limit:,} 픽셀(약 {side}×{side})을 넘습니다. 먼저 이미지를 줄이세요.",
    "engine.image.too_small": "이미지가 {width}×{height} 픽셀밖에 되지 않아 검출할 것이 없습니다.",
    "engine.image.aspect_ratio": "이미지가 {width}×{height} 픽셀로, 이 모델에는 너무 길쭉합니다. 모델이 이미지를 "
                                 "약 {resized_width}×{resized_height} px로 크기 조정하는데, 짧은 변은 최소 "
                                 "{min_side} px가 되어야 합니다. 이 모델이 받는 종횡비는 최대 {max_ratio:.0f}:1이니 "
                                 "먼저 이미지를 잘라 주세요.",
    # thresholds
    "engine.threshold.unknown": "알 수 없는 임계값: {names}. 사용할 수 있는 임계값: {known}.",
    "engine.threshold.not_a_number": "{name} 값은 숫자여야 합니다. 받은 값: {value!r}.",
    "engine.threshold.not_finite": "{name} 값은 유한한 숫자여야 합니다. 받은 값: {value}.",
    "engine.threshold.not_integer": "{name} 값은 정수여야 합니다. 받은 값: {value}.",
    "engine.threshold.out_of_range": "{name} = {value}: 허용 범위({low} … {high})를 벗어났습니다.",
    # models and checkpoints
    "engine.model.unknown": "알 수 없는 모델 {name!r}입니다. 다음 중에서 고르세요: {choices}.",
    "engine.model.unknown_weights": "{name} 모델에 없는 가중치입니다: {weights!r}.",
    "engine.model.trained_from": "trained_from 값은 {choices} 중 하나여야 합니다. 받은 값: {value!r}.",
    "engine.model.demo_checkpoint": "데모 모델은 자체 가중치가 들어 있어 체크포인트를 받지 않습니다. 체크포인트를 "
                                    "분석하려면 그 체크포인트를 학습할 때 쓴 torchvision 아키텍처를 지정하세요 "
                                    "({architectures}).",
    "engine.model.demo_missing": "이 설치본에서는 데모 모델을 쓸 수 없습니다 ({reason}).",
    "engine.model.weights_unavailable": "{name}의 COCO 가중치를 쓸 수 없습니다: 내려받지 못했습니다 ({reason}). "
                                        "오프라인에서 쓰려면 인터넷이 되는 컴퓨터에서 {url} 파일을 내려받아 {folder} "
                                        "폴더에 {file} 이름으로 넣으세요 (TORCH_HOME / torch.hub 캐시).",
    "engine.model.weights_corrupt": "{name}의 COCO 가중치를 쓸 수 없습니다: {path} 파일이 있지만 불러오지 "
                                    "못했습니다 ({reason}). {url} 파일을 다시 내려받아 바꿔 넣으세요.",
    "engine.checkpoint.missing": "{path} 경로에 체크포인트 파일이 없습니다.",
    "engine.checkpoint.evicted": "체크포인트 {name} 파일은 이제 이 서버에 없습니다 (새로 올린 파일에 자리를 "
                                 "내주었습니다). 파일을 다시 불러오세요.",
    "engine.checkpoint.unreadable": "{name} 파일은 안전하게 불러올 수 있는 PyTorch state dict가 아닙니다 ({reason}). "
                                    "torch.save(model.state_dict(), path)로 저장하세요. 언피클(unpickle)할 때 코드를 "
                                    "실행해야 하는 파일은 거부합니다.",
    "engine.checkpoint.not_state_dict": "{name} 파일에 state dict(파라미터 이름 → 텐서 매핑)가 없습니다.",
    "engine.checkpoint.not_faster_rcnn": "{name} 파일에 {key} 키가 없습니다. Faster R-CNN의 state dict가 아닙니다.",
    "engine.checkpoint.non_finite": "{name} 파일의 {tensor}{more}에 유한하지 않은 값(NaN 또는 무한대)이 {count}개 있어 모델이 "
                                    "의미 있는 값을 계산할 수 없습니다. 학습이 발산하기 전에 저장한 체크포인트를 쓰세요.",
    "engine.checkpoint.mismatch": "{name} 파일이 {architecture} 구조와 맞지 않습니다. {details}.",
    "engine.checkpoint.other_architecture": "{name} 파일은 {fits} 체크포인트입니다 ({architecture} 아님). "
                                            "아키텍처에서 {fits} 항목을 고르고 다시 불러오세요.",
    "engine.checkpoint.norm_conflict": "{name} 파일은 백본에 BatchNorm 카운터(num_batches_tracked)가 있으므로 "
                                       "{given} 가중치에서 시작한 것이 아니라 BatchNorm2d 층으로 처음부터 학습한 "
                                       "모델입니다. '처음부터'로 불러오거나 RCNN Lens가 정하도록 '자동'을 고르세요.",
    "engine.checkpoint.norm_conflict_scratch": "{name} 파일은 백본에 BatchNorm 카운터(num_batches_tracked)가 "
                                               "없으므로 처음부터 학습한 것이 아니라 FrozenBatchNorm2d로 (COCO 또는 "
                                               "ImageNet 가중치에서 시작해) 학습한 모델입니다. 'COCO 가중치에서'나 "
                                               "'ImageNet 백본에서'로 불러오거나 '자동'을 고르세요.",
    # labels files
    "engine.labels.missing": "{path} 경로에 라벨 파일이 없습니다.",
    "engine.labels.not_text": "라벨 파일 {name}: UTF-8 텍스트가 아닙니다 (바이너리이거나 다른 인코딩으로 보입니다). "
                              "한 줄에 클래스 이름 하나씩 UTF-8로 저장하세요.",
    "engine.labels.empty": "라벨 파일 {name}에 클래스 이름이 없습니다.",
    "engine.labels.count": "라벨 목록의 이름은 {names}개인데 체크포인트는 클래스 {classes}개(배경 포함)를 예측합니다. "
                           "이름을 한 줄에 하나씩 {expected}개 적어 주세요.",
    # teaching: NMS walk-through, box stories, provenance, RoI projection, ablations
    "engine.frame.unknown": "frame 값은 'original' 또는 'resized'여야 합니다. 받은 값: {frame!r}.",
    "engine.nms.unknown_stage": "알 수 없는 NMS 단계입니다: {stage!r}. 가능한 단계: {stages}.",
    "engine.nms.unknown_group": "{stage} NMS에는 {group!r} 그룹이 없습니다. 그룹 번호는 {low} … {high}입니다 "
                                "(rpn은 FPN 레벨 번호, box는 클래스 라벨).",
    "engine.explain.detection_index": "검출 {index}번은 없습니다. 현재 임계값에서 검출은 {count}개입니다.",
    "engine.explain.proposal_index": "제안 영역 {index}번은 없습니다. 현재 임계값에서 제안 영역은 {count}개입니다.",
    "engine.provenance.candidate_index": "{stage} 후보 {index}번은 없습니다. 현재 임계값에서 후보는 {count}개입니다.",
    "engine.provenance.anchor_index": "앵커 {index}번은 없습니다. 이 이미지의 앵커는 {count}개입니다.",
    "engine.provenance.label": "클래스 라벨 {label}번은 없습니다. 라벨은 1 … {high}입니다 (0은 배경).",
    "engine.roi.bad_box": "박스는 유한한 숫자 네 개(x1, y1, x2, y2)여야 합니다. 받은 값: {box}.",
    "engine.roi.bad_scale": "공간 스케일은 양의 유한한 숫자(1 / 스트라이드)여야 합니다. 받은 값: {scale}.",
    "engine.ablation.unknown_kind": "알 수 없는 ablation 종류입니다: {kind!r}. 'no_reg', 'no_cls' 또는 박스 목록 "
                                    "[x1, y1, x2, y2]를 지정하세요.",
    "engine.ablation.bad_seed": "난수 시드는 정수여야 합니다. 받은 값: {seed!r}.",
    "engine.ablation.boxes_shape": "박스는 [x1, y1, x2, y2]의 목록이어야 합니다. 받은 값의 형태: {shape}.",
    "engine.ablation.no_boxes": "박스 [x1, y1, x2, y2]를 하나 이상 지정하세요.",
    "engine.ablation.too_many_boxes": "박스 {count}개는 RoI 헤드를 한 번에 실행할 수 있는 최대 개수({limit}개)보다 "
                                      "많습니다.",
    "engine.ablation.box_not_finite": "박스 {index} {box}: 유한한 숫자가 아닌 좌표가 있습니다.",
    "engine.ablation.box_empty": "박스 {index} {box}: 넓이가 0입니다. x2는 x1보다, y2는 y1보다 커야 합니다.",
    "engine.ablation.box_outside": "박스 {index} {box}: 전체가 {width}×{height} 이미지 바깥에 있습니다.",
}


def _feature_tables() -> None:
    from app.locales import dataset, ground_truth, masks, teach

    for module in (teach, ground_truth, dataset, masks):
        KO.update(module.KO)


_feature_tables()
