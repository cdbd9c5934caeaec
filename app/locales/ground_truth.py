"""Strings of the ground-truth views (annotations, anchor labels, recall, the funnel, TP/FP/FN, losses), English and
Korean; the Korean of the engine's annotation and loss messages (their English lives in inspectors/errors.py)."""

EN: dict[str, str] = {
    "tab.gt": "Ground truth",
    "look.gt": "**What to look for:** each row is one object; read it left to right to see the last stage where some "
               "box still covered it (IoU ≥ t) — red cells mark where it was lost. Click a row to see its best box "
               "at every stage.",
    "gt.explain": "Give an annotation file with the image (COCO JSON or Pascal VOC XML) — the demo scenes and "
                  "photographs bring their own — and RCNN Lens follows every object through both stages: the "
                  "anchors the RPN would train on, the proposals, the RoI head, the final match. Everything follows "
                  "the sliders; nothing re-runs the backbone.",
    "input.annotations": "Ground truth (optional)",
    "input.annotations.info": "COCO JSON or Pascal VOC XML for this image. The bundled examples load theirs.",
    "gt.none": "No ground truth for this image. Add a COCO JSON or VOC XML file under the image (the bundled "
               "examples bring their own).",
    "gt.source": "Ground truth: **{name}** · {count} object(s) the model can know · {ignored} ignore region(s)",
    "gt.funnel_title": "The funnel: best IoU with each object, stage by stage",
    "gt.iou": "Funnel IoU ≥",
    "gt.object_select": "Object",
    "gt.object_choice": "#{index} {name} · {state}",
    "gt.detected": "detected",
    "gt.col.class": "class",
    "gt.col.lost_at": "lost at",
    "gt.col.match": "matching",
    "gt.col.error": "error type",
    "gt.col.count": "count",
    "gt.col.meaning": "meaning",
    "gt.col.loss": "loss",
    "gt.col.value": "value",
    "gt.scores": "**AP@0.5** {ap50} · **AP@[.5:.95]** {ap} (pycocotools, this image) · proposal **AR@100** {ar100} · "
                 "**AR@1000** {ar1000} · {objects} object(s)",
    "gt.lost_where": "Objects lost, by stage: {where}.",
    "gt.none_lost": "No object was lost: every one has a true-positive match.",
    "gt.tide_title": "Errors, as TIDE classifies them",
    "gt.recall_title": "Proposal recall",
    "gt.anchors_title": "Anchor labels: how the RPN is trained on this image",
    "gt.anchor_level": "Level",
    "gt.losses_title": "Training losses for this image",
    "gt.warnings": "Notes on the annotation file",
    "gt.object": "**Object #{index}** ({name}, {width:.0f}×{height:.0f} px).",
    "gt.viewer_object": "Ground truth: object #{index}",
    "gt.object.detected": "Detected: detection #{detection} (score {score:.3f}) overlaps it with IoU {iou:.2f}.",
    "gt.object.lost": "**Lost at “{stage}”**: after this stage no box reaches IoU ≥ {threshold:g} with it.",
    "gt.rpn_nms": "In the RPN's NMS its best candidate was removed by candidate #{by} (objectness {score:.3f}, "
                  "IoU {iou:.2f} between the two); that candidate covers the object only with IoU {cover:.2f}.",
    "gt.box_nms": "In the per-class NMS its best box was removed by box #{by} (score {score:.3f}, IoU {iou:.2f} "
                  "between the two); that box covers the object with IoU {cover:.2f}.",
    "gt.head": "The RoI head gives its best proposal {prob:.3f} for “{name}”; it prefers “{preferred}” "
               "({preferred_prob:.3f}).",
    "gt.recall_iou": "Recall vs IoU ({proposals} proposals)",
    "gt.recall_proposals": "Recall vs number of proposals",
    "gt.all_sizes": "all objects",
    "gt.size.small": "small ({count})",
    "gt.size.medium": "medium ({count})",
    "gt.size.large": "large ({count})",
    "gt.at_iou": "IoU {iou:g}",
    "gt.axis.iou": "IoU threshold",
    "gt.axis.proposals": "proposals (top N)",
    "gt.axis.recall": "recall",
    "gt.loss_share": "The largest is {name}: {share:.0f}% of their sum (a loss that dominates is a hint of what to "
                     "check first).",
    "gt.anchor.rule": "torchvision's rule: an anchor is **positive** when its IoU with an object is ≥ {fg:g} (or it "
                      "is an object's best anchor), **negative** below {bg:g}, **ignored** in between. One training "
                      "step samples {batch} anchors, at most {fraction:.0%} positive (seed {seed}).",
    "gt.anchor.col.level": "level",
    "gt.anchor.col.positive": "positive",
    "gt.anchor.col.ignored": "ignored",
    "gt.anchor.col.negative": "negative",
    "gt.anchor.col.sampled_positive": "sampled +",
    "gt.anchor.col.sampled_negative": "sampled −",
    "gt.anchor.object": "object #{index}: best anchor on {level} ({size:g} px, h/w {ratio:g}) with IoU {iou:.2f}; "
                        "{positives} positive anchor(s)",
    "gt.anchor.low_quality_tag": "— **no anchor reaches the IoU threshold: trained on its best anchor only**",
    "gt.anchor.low_quality": "**{count} of {total} object(s) have no anchor with IoU ≥ {fg:g}.** In training, "
                             "torchvision's matcher (allow_low_quality_matches) still makes each one's best anchor(s) "
                             "positive, so the RPN learns these objects from one or two anchors instead of many. This "
                             "is about training, not about this picture: the model may well find them all here. It "
                             "matters when a model trained on such images misses objects: then compare the object "
                             "sizes with the anchor sizes (Anchors tab).",
    "gt.anchor.border": "The paper ignored anchors crossing the image border in training; torchvision does not. Here "
                        "{crossing} anchors cross it; the paper's rule would drop {lost} positive label(s) and leave "
                        "{objects} object(s) without any positive anchor.",
    "gt.anchor_legend": "Green: positive · yellow: ignored · red: the negatives one training step samples · white "
                        "dashed: the objects.",
    "gt.status.tp": "TP",
    "gt.status.fp": "FP",
    "gt.status.ignored": "ignored",
    "gt.det_label": "{name} {score:.2f} · {status}",
    "gt.legend": "Dashed white: ground truth. Green: true positive · red: false positive (with its TIDE type).",
    "tide.cls": "cls",
    "tide.loc": "loc",
    "tide.both": "both",
    "tide.dupe": "dupe",
    "tide.bkg": "bkg",
    "tide.miss": "miss",
    "tide.cls.explain": "the right place, the wrong class (IoU ≥ 0.5 with an object of another class)",
    "tide.loc.explain": "the right class, a poor box (0.1 ≤ IoU < 0.5)",
    "tide.both.explain": "wrong class and poor box",
    "tide.dupe.explain": "a second box on an object already found",
    "tide.bkg.explain": "on background (IoU < 0.1 with every object)",
    "tide.miss.explain": "an object no detection found",
    "loss.loss_objectness": "RPN objectness",
    "loss.loss_rpn_box_reg": "RPN box regression",
    "loss.loss_classifier": "RoI head classification",
    "loss.loss_box_reg": "RoI head box regression",
    "funnel.stage.anchors": "anchors",
    "funnel.stage.decoded": "decoded",
    "funnel.stage.top_k": "top-k",
    "funnel.stage.clip_small": "clip/small",
    "funnel.stage.rpn_score": "RPN score",
    "funnel.stage.rpn_nms": "RPN NMS",
    "funnel.stage.post_nms_top_n": "top-n",
    "funnel.stage.roi_head": "RoI head",
    "funnel.stage.box_score": "score",
    "funnel.stage.box_nms": "class NMS",
    "funnel.stage.detections_per_img": "per image",
    "funnel.stage.matched": "matched",
    "funnel.stage.mask": "mask",
    "gt.mask_scores": "Masks: **mask AP@0.5** {ap50} · **mask AP@[.5:.95]** {ap} (pycocotools segm, this image; a "
                      "mask pixel counts above {threshold})",
    "gt.why.anchors": "No anchor overlaps it enough: its size or shape is outside what the anchors cover.",
    "gt.why.decoded": "The RPN's regression did not move any anchor onto it.",
    "gt.why.top_k": "Its good boxes were not among the pre-NMS top-n of their level: try a larger pre-NMS top-n.",
    "gt.why.clip_small": "Its good boxes were removed as too small after clipping.",
    "gt.why.rpn_score": "Its good boxes scored below the RPN score threshold.",
    "gt.why.rpn_nms": "Its good boxes were suppressed by the RPN's NMS (see below).",
    "gt.why.post_nms_top_n": "Its good boxes survived NMS but fell beyond the post-NMS top-n.",
    "gt.why.roi_head": "The RoI head's box for its class moved away from it.",
    "gt.why.box_score": "The RoI head's score for its class is below the detection score threshold.",
    "gt.why.box_nms": "Its box was suppressed by the per-class NMS (see below).",
    "gt.why.detections_per_img": "Its box fell beyond the detections-per-image limit.",
    "gt.why.matched": "A detection covers it, but COCO's matching gave that detection to another object.",
    "gt.why.mask": "Box found, mask IoU below the threshold: its detection's mask (probability above the mask "
                   "threshold) overlaps the object's mask too little.",
}

KO: dict[str, str] = {
    "tab.gt": "정답 비교",
    "look.gt": "**살펴볼 점:** 한 행이 물체 하나입니다. 왼쪽에서 오른쪽으로 읽으며 어느 단계까지 그 물체를 덮는 박스가 "
               "남아 있었는지 (IoU ≥ t) 확인하세요. 빨간 칸이 놓친 단계입니다. 행을 클릭하면 단계마다 가장 좋은 박스를 "
               "보여 줍니다.",
    "gt.explain": "이미지와 함께 주석 파일 (COCO JSON 또는 Pascal VOC XML)을 주면 — 데모 장면과 사진에는 이미 들어 있습니다 "
                  "— RCNN Lens가 모든 물체를 두 단계에 걸쳐 따라갑니다. RPN이 학습할 앵커, 제안 영역, RoI 헤드, 최종 "
                  "매칭까지. 모든 값이 슬라이더를 따라 바뀌며 백본은 다시 실행되지 않습니다.",
    "input.annotations": "정답 (선택)",
    "input.annotations.info": "이 이미지의 COCO JSON 또는 Pascal VOC XML. 함께 제공되는 예시는 정답을 자동으로 불러옵니다.",
    "gt.none": "이 이미지에는 정답이 없습니다. 이미지 아래에 COCO JSON 또는 VOC XML 파일을 추가하세요 (함께 제공되는 예시에는 "
               "정답이 들어 있습니다).",
    "gt.source": "정답: **{name}** · 모델이 아는 물체 {count}개 · 무시 영역 {ignored}개",
    "gt.funnel_title": "깔때기: 단계별로 각 물체와의 최고 IoU",
    "gt.iou": "깔때기 IoU 기준",
    "gt.object_select": "물체",
    "gt.object_choice": "#{index} {name} · {state}",
    "gt.detected": "검출됨",
    "gt.col.class": "클래스",
    "gt.col.lost_at": "놓친 단계",
    "gt.col.match": "매칭 기준",
    "gt.col.error": "오류 유형",
    "gt.col.count": "개수",
    "gt.col.meaning": "의미",
    "gt.col.loss": "손실",
    "gt.col.value": "값",
    "gt.scores": "**AP@0.5** {ap50} · **AP@[.5:.95]** {ap} (pycocotools, 이 이미지) · 제안 영역 **AR@100** {ar100} · "
                 "**AR@1000** {ar1000} · 물체 {objects}개",
    "gt.lost_where": "단계별로 놓친 물체: {where}.",
    "gt.none_lost": "놓친 물체가 없습니다. 모든 물체에 참 양성(TP) 매칭이 있습니다.",
    "gt.tide_title": "TIDE 기준의 오류 분류",
    "gt.recall_title": "제안 영역 재현율",
    "gt.anchors_title": "앵커 라벨: 이 이미지에서 RPN이 학습하는 방식",
    "gt.anchor_level": "레벨",
    "gt.losses_title": "이 이미지의 학습 손실",
    "gt.warnings": "주석 파일에 대한 참고",
    "gt.object": "**물체 #{index}** ({name}, {width:.0f}×{height:.0f} px).",
    "gt.viewer_object": "정답: 물체 #{index}",
    "gt.object.detected": "검출됨: 검출 #{detection} (점수 {score:.3f})이 IoU {iou:.2f}로 겹칩니다.",
    "gt.object.lost": "**“{stage}” 단계에서 놓침**: 이 단계 이후로는 IoU ≥ {threshold:g}인 박스가 없습니다.",
    "gt.rpn_nms": "RPN의 NMS에서 이 물체의 가장 좋은 후보가 후보 #{by} (객체성 {score:.3f}, 두 박스의 IoU {iou:.2f})에 "
                  "의해 제거되었습니다. 그 후보는 물체를 IoU {cover:.2f}로만 덮습니다.",
    "gt.box_nms": "클래스별 NMS에서 이 물체의 가장 좋은 박스가 박스 #{by} (점수 {score:.3f}, 두 박스의 IoU {iou:.2f})에 "
                  "의해 제거되었습니다. 그 박스는 물체를 IoU {cover:.2f}로 덮습니다.",
    "gt.head": "RoI 헤드는 가장 좋은 제안 영역에 “{name}” 확률 {prob:.3f}를 주고, “{preferred}” ({preferred_prob:.3f})를 "
               "더 선호합니다.",
    "gt.recall_iou": "IoU별 재현율 (제안 영역 {proposals}개)",
    "gt.recall_proposals": "제안 영역 개수별 재현율",
    "gt.all_sizes": "전체 물체",
    "gt.size.small": "작은 물체 ({count})",
    "gt.size.medium": "중간 물체 ({count})",
    "gt.size.large": "큰 물체 ({count})",
    "gt.at_iou": "IoU {iou:g} 기준",
    "gt.axis.iou": "IoU 임계값",
    "gt.axis.proposals": "제안 영역 (상위 N개)",
    "gt.axis.recall": "재현율",
    "gt.loss_share": "가장 큰 손실은 {name}로 합계의 {share:.0f}%입니다 (한 손실이 지배적이라면 먼저 확인할 곳을 "
                     "알려 줍니다).",
    "gt.anchor.rule": "torchvision의 규칙: 물체와의 IoU가 {fg:g} 이상이면 (또는 그 물체의 최고 앵커이면) **양성**, {bg:g} "
                      "미만이면 **음성**, 그 사이는 **무시**합니다. 학습 한 단계는 앵커 {batch}개를 뽑으며, 양성은 최대 "
                      "{fraction:.0%}입니다 (시드 {seed}).",
    "gt.anchor.col.level": "레벨",
    "gt.anchor.col.positive": "양성",
    "gt.anchor.col.ignored": "무시",
    "gt.anchor.col.negative": "음성",
    "gt.anchor.col.sampled_positive": "샘플 +",
    "gt.anchor.col.sampled_negative": "샘플 −",
    "gt.anchor.object": "물체 #{index}: 최고 앵커는 {level} ({size:g} px, h/w {ratio:g}), IoU {iou:.2f}; 양성 앵커 "
                        "{positives}개",
    "gt.anchor.low_quality_tag": "— **IoU 임계값에 닿는 앵커 없음: 최고 앵커로만 학습**",
    "gt.anchor.low_quality": "**물체 {total}개 중 {count}개는 IoU {fg:g} 이상인 앵커가 없습니다.** 학습 때 torchvision의 "
                             "매처(allow_low_quality_matches)가 각 물체의 최고 앵커를 그래도 양성으로 삼으므로, RPN은 이 "
                             "물체들을 많은 앵커가 아니라 한두 개로 배웁니다. 이것은 학습에 관한 이야기이지 이 이미지의 "
                             "결과가 아닙니다: 여기서 모델은 모두 찾을 수도 있습니다. 이런 이미지로 학습한 모델이 물체를 "
                             "놓칠 때 중요합니다: 그때 물체 크기를 앵커 크기(앵커 탭)와 비교해 보세요.",
    "gt.anchor.border": "논문은 학습할 때 이미지 경계를 넘는 앵커를 무시했지만 torchvision은 무시하지 않습니다. 여기서는 "
                        "앵커 {crossing}개가 경계를 넘습니다. 논문의 규칙이라면 양성 라벨 {lost}개가 빠지고, 물체 "
                        "{objects}개는 양성 앵커가 하나도 없게 됩니다.",
    "gt.anchor_legend": "초록: 양성 · 노랑: 무시 · 빨강: 학습 한 단계가 뽑는 음성 · 흰 점선: 물체.",
    "gt.status.tp": "TP",
    "gt.status.fp": "FP",
    "gt.status.ignored": "무시",
    "gt.det_label": "{name} {score:.2f} · {status}",
    "gt.legend": "흰 점선: 정답. 초록: 참 양성(TP) · 빨강: 거짓 양성(FP, TIDE 오류 유형 표시).",
    "tide.cls": "cls (클래스)",
    "tide.loc": "loc (위치)",
    "tide.both": "both (둘 다)",
    "tide.dupe": "dupe (중복)",
    "tide.bkg": "bkg (배경)",
    "tide.miss": "miss (놓침)",
    "tide.cls.explain": "위치는 맞고 클래스가 틀림 (다른 클래스의 물체와 IoU ≥ 0.5)",
    "tide.loc.explain": "클래스는 맞고 박스가 부정확함 (0.1 ≤ IoU < 0.5)",
    "tide.both.explain": "클래스도 틀리고 박스도 부정확함",
    "tide.dupe.explain": "이미 찾은 물체에 두 번째 박스",
    "tide.bkg.explain": "배경에 놓인 박스 (모든 물체와 IoU < 0.1)",
    "tide.miss.explain": "어떤 검출도 찾지 못한 물체",
    "loss.loss_objectness": "RPN 객체성",
    "loss.loss_rpn_box_reg": "RPN 박스 회귀",
    "loss.loss_classifier": "RoI 헤드 분류",
    "loss.loss_box_reg": "RoI 헤드 박스 회귀",
    "funnel.stage.anchors": "앵커",
    "funnel.stage.decoded": "디코딩",
    "funnel.stage.top_k": "상위 k",
    "funnel.stage.clip_small": "자르기/소형 제거",
    "funnel.stage.rpn_score": "RPN 점수",
    "funnel.stage.rpn_nms": "RPN의 NMS",
    "funnel.stage.post_nms_top_n": "상위 n",
    "funnel.stage.roi_head": "RoI 헤드",
    "funnel.stage.box_score": "점수",
    "funnel.stage.box_nms": "클래스별 NMS",
    "funnel.stage.detections_per_img": "이미지당",
    "funnel.stage.matched": "매칭",
    "funnel.stage.mask": "마스크",
    "gt.mask_scores": "마스크: **마스크 AP@0.5** {ap50} · **마스크 AP@[.5:.95]** {ap} (pycocotools segm, 이 이미지; "
                      "확률이 {threshold}보다 큰 픽셀이 마스크)",
    "gt.why.anchors": "충분히 겹치는 앵커가 없습니다. 물체의 크기나 모양이 앵커가 다루는 범위 밖에 있습니다.",
    "gt.why.decoded": "RPN의 회귀가 어떤 앵커도 이 물체 위로 옮기지 못했습니다.",
    "gt.why.top_k": "좋은 박스들이 자기 레벨의 NMS 전 상위 n개에 들지 못했습니다. NMS 전 상위 n을 늘려 보세요.",
    "gt.why.clip_small": "좋은 박스들이 경계로 자른 뒤 너무 작아 제거되었습니다.",
    "gt.why.rpn_score": "좋은 박스들의 점수가 RPN 점수 임계값보다 낮았습니다.",
    "gt.why.rpn_nms": "좋은 박스들이 RPN의 NMS에서 억제되었습니다 (아래 참고).",
    "gt.why.post_nms_top_n": "좋은 박스들이 NMS는 통과했지만 NMS 후 상위 n개 밖으로 밀려났습니다.",
    "gt.why.roi_head": "RoI 헤드가 이 클래스의 박스를 물체에서 벗어나게 옮겼습니다.",
    "gt.why.box_score": "RoI 헤드가 이 클래스에 준 점수가 검출 점수 임계값보다 낮습니다.",
    "gt.why.box_nms": "이 물체의 박스가 클래스별 NMS에서 억제되었습니다 (아래 참고).",
    "gt.why.detections_per_img": "이 물체의 박스가 이미지당 검출 수 제한 밖으로 밀려났습니다.",
    "gt.why.matched": "검출이 이 물체를 덮지만, COCO 매칭이 그 검출을 다른 물체에 배정했습니다.",
    "gt.why.mask": "박스는 찾았지만 마스크 IoU가 임계값보다 낮습니다. 검출의 마스크(확률이 마스크 임계값보다 큰 픽셀)가 "
                   "물체의 마스크와 너무 적게 겹칩니다.",
    # engine messages: annotation files
    "engine.annotations.unsupported_type": "주석은 파일 경로나 COCO 딕셔너리여야 합니다. 받은 값: {kind}.",
    "engine.annotations.missing": "주석 파일이 없습니다: {path}",
    "engine.annotations.empty": "주석 파일 {name}이(가) 비어 있습니다.",
    "engine.annotations.too_large": "주석 파일 {name}의 크기는 {size_mb:.1f} MB로, 제한 {limit_mb:.0f} MB를 넘습니다.",
    "engine.annotations.not_text": "{name}: 텍스트 파일이 아닙니다 (바이너리이거나 UTF-8이 아닙니다). COCO JSON 또는 "
                                   "Pascal VOC XML 파일을 주세요.",
    "engine.annotations.unknown_format": "{name}: COCO JSON도 Pascal VOC XML도 아닙니다 (시작 부분: {start!r}).",
    "engine.annotations.bad_json": "{name}: 올바른 JSON이 아닙니다. {reason} ({line}번째 줄, {column}번째 칸).",
    "engine.annotations.bad_xml": "{name}: 올바른 XML이 아닙니다. {reason}.",
    "engine.annotations.xml_forbidden": "{name} 파일을 거부했습니다. DTD, 엔티티 또는 외부 참조를 선언합니다 ({reason}). "
                                        "주석 파일에는 필요 없고 파서를 공격하는 데 쓰일 수 있으므로 (엔티티 확장 폭탄, "
                                        "외부 파일) 읽지 않습니다.",
    "engine.annotations.bad_schema": "{name}: COCO 정답 파일도 Pascal VOC 주석도 아닙니다. {detail}.",
    "engine.annotations.no_images": "{name}에 이미지 목록이 없어 이 이미지의 정답이 없습니다.",
    "engine.annotations.which_image": "{name} 파일은 이미지 {count}개를 주석합니다 ({examples}). 어느 이미지의 정답인지 "
                                      "알려 주세요.",
    "engine.annotations.image_not_found": "{name}에는 이미지 {image}에 대한 항목이 없습니다. 다른 이미지 {count}개를 "
                                          "주석합니다 ({examples}). 다른 이미지의 주석 파일이 아닌가요?",
    "engine.annotations.ambiguous_image": "{name}에 파일 이름이 {image}인 항목이 {count}개 있어 어느 이미지인지 "
                                          "알 수 없습니다.",
    "engine.annotations.other_image": "{name}: 이 파일은 {image}가 아니라 {annotated}의 주석입니다.",
    "engine.annotations.size_mismatch": "{name}: {declared_width}×{declared_height} 픽셀 이미지용 주석인데, 이 이미지는 "
                                        "{width}×{height} 픽셀입니다. 박스가 엉뚱한 곳에 놓이게 됩니다.",
    "engine.annotations.size_rotated": "{name}: {declared_width}×{declared_height} 픽셀 이미지용 주석인데, 이 이미지는 "
                                       "{width}×{height}로 같은 이미지를 90° 돌린 모양입니다. 사진에 EXIF 회전 정보가 있는데 "
                                       "주석 도구가 무시했을 가능성이 큽니다. 이미지를 똑바로 저장한 뒤 다시 주석하세요.",
    "engine.annotations.bad_entries": "읽을 수 없는 주석 {count}개를 뺐습니다 (첫 항목: {example}). {kept}개를 "
                                      "유지합니다.",
    "engine.annotations.degenerate": "넓이가 없는 박스 {count}개를 뺐습니다 (x2 ≤ x1 또는 y2 ≤ y1; {ids}). {kept}개를 "
                                     "유지합니다.",
    "engine.annotations.clipped": "{width}×{height} 이미지 밖으로 나간 박스 {count}개를 이미지 경계에 맞춰 잘랐습니다 "
                                  "({ids}).",
    "engine.annotations.outside": "{width}×{height} 이미지 완전히 바깥에 있는 박스 {count}개를 뺐습니다 ({ids}). "
                                  "{kept}개를 유지합니다.",
    "engine.annotations.crowd": "군집 영역 {count}개 (COCO iscrowd)는 찾아야 할 물체가 아니라 무시 영역입니다. COCO 평가처럼 "
                                "그 안의 검출은 맞은 것도 틀린 것도 아닙니다.",
    "engine.annotations.difficult": "difficult로 표시된 물체 {count}개는 Pascal VOC 평가처럼 무시 영역입니다.",
    "engine.annotations.unknown_names": "이 모델이 모르는 클래스의 물체 {dropped}개를 뺐습니다 ({names}). {kept}개를 "
                                        "유지합니다.",
    "engine.annotations.names_matched_loosely": "대소문자와 공백을 무시하고 클래스 이름을 모델의 이름에 맞췄습니다: {pairs}.",
    "engine.annotations.no_objects": "이 이미지의 정답에는 찾을 물체가 없습니다 (무시 영역 {ignored}개). 모든 검출이 오검출로 "
                                     "셉니다.",
    "engine.annotations.bad_mask": "{name}: 주석 {id}의 분할 마스크(segmentation)를 읽을 수 없습니다 ({reason}). COCO "
                                   "마스크는 다각형 [[x1, y1, x2, y2, …]]이거나 이미지 크기의 RLE {{\"size\": [높이, "
                                   "너비], \"counts\": …}}입니다.",
    "engine.dataset.bad_mask": "{name}의 주석 {id}의 분할 마스크(segmentation)를 읽을 수 없습니다 ({reason}). COCO "
                               "마스크는 다각형 [[x1, y1, x2, y2, …]]이거나 이미지 크기의 RLE {{\"size\": [높이, "
                               "너비], \"counts\": …}}입니다.",
    "engine.dataset.masks_below_floor": "캡처는 점수가 {floor:g}보다 큰 박스의 마스크만 저장했으므로 box_score_thresh = "
                                        "{value:g}에서의 마스크는 알 수 없습니다 ({reason}). 점수 임계값을 {floor:g} "
                                        "이상으로 올리거나 더 낮은 mask_score_floor로 다시 캡처하세요.",
    "engine.mask.threshold": "mask_thresh = {value!r}: 0에서 1 사이의 수여야 합니다 (확률이 이 값보다 큰 픽셀이 마스크에 "
                             "들어갑니다).",
    "engine.annotations.voc_no_masks": "Pascal VOC 주석에는 객체 마스크가 없습니다. 마스크 IoU와 마스크 AP에는 COCO "
                                       "분할(다각형이나 RLE)이 필요합니다.",
    "engine.annotations.no_masks": "주석에 분할 마스크가 없어 마스크를 평가할 수 없습니다 (마스크 IoU, 마스크 AP). "
                                   "박스는 평소대로 평가합니다.",
    "engine.annotations.some_without_masks": "분할 마스크가 없는 물체(또는 군중 영역)가 있어 마스크를 평가할 수 "
                                             "없습니다 (마스크 IoU, 마스크 AP). 박스는 평소대로 평가합니다.",
    "engine.annotations.no_objects_for_masks": "마스크를 평가할 물체가 없습니다.",
    # engine messages: losses
    "engine.losses.multiscale": "이 모델은 여러 크기로 학습합니다 (min_size {sizes}). 손실은 분석한 크기({size})에서 "
                                "계산합니다.",
    "engine.losses.dropout": "이 모델의 {where}에 드롭아웃이 있습니다. 학습 단계라면 추론 때 저장한 특징에 드롭아웃을 "
                             "적용하겠지만, 여기의 손실은 드롭아웃 없이 계산한 값입니다.",
}
