"""Strings of the teaching views (NMS player, box story, provenance, RoI projection, ablations), English and Korean."""

EN: dict[str, str] = {
    # --- NMS, one decision at a time ---------------------------------------------------------------------------
    "tab.nms": "NMS",
    "nms.explain": "Non-maximum suppression visits the boxes from the highest score down. The box it visits is "
                   "**kept**; every box still waiting that overlaps it by IoU **above the threshold** is "
                   "**suppressed**; then it moves to the next box still waiting. This is a real NMS of this image: "
                   "the RPN's NMS on one pyramid level, or the RoI head's NMS for one class.",
    "nms.stage": "Which NMS",
    "nms.stage.rpn": "RPN (one pyramid level)",
    "nms.stage.box": "RoI head (one class)",
    "nms.group": "Level / class",
    "nms.group_choice": "{name} · {count} boxes",
    "nms.step_slider": "Decision",
    "nms.back": "◀ Back",
    "nms.forward": "Step ▶",
    "nms.play": "▶ Play",
    "nms.pause": "❚❚ Pause",
    "nms.speed": "Speed (decisions per second)",
    "nms.step": "**Decision {step} of {steps}** · keep box **#{kept}** (score {score:.3f}) · it suppresses "
                "**{count}** waiting box(es) whose IoU with it is above {threshold:g}.",
    "nms.tally": "Kept so far: **{kept}** · suppressed so far: **{suppressed}** · still waiting: **{queue}**",
    "nms.none_suppressed": "No waiting box overlaps it by more than IoU {threshold:g}: nothing is suppressed.",
    "nms.more": "… and {count} more.",
    "nms.col.box": "Suppressed box",
    "nms.col.score": "Score",
    "nms.col.iou": "IoU with the kept box",
    "nms.col.rule": "Rule",
    "nms.queue_next": "Next in the queue ({count} waiting): {items}",
    "nms.queue_empty": "The queue is empty: NMS kept {kept} boxes.",
    "nms.kept_label": "kept {score:.2f}",
    "nms.summary": "{name}: {inputs} boxes enter this NMS at IoU {threshold:g}; {kept} are kept. Green = kept, "
                   "red = suppressed now (labelled with their IoU), grey = the next boxes waiting.",
    "nms.no_groups": "No boxes enter this NMS at the current thresholds.",
    "nms.restart": "The NMS threshold changed: the player starts again from the first decision.",
    # --- a detection's story and provenance ----------------------------------------------------------------
    "story.title": "Follow one detection: from anchor to box, in numbers",
    "story.explain": "Pick a detection (or click it on the image). Its anchor, proposal and final box are drawn "
                     "beside the numbers of both refinements: the RPN moves the anchor to a proposal, the RoI head "
                     "moves the proposal to the detection — the same formula, with different weights.",
    "story.detection": "Detection",
    "story.choice": "#{index} · {name} · {score:.2f}",
    "story.none": "No detections at these thresholds: there is no box to follow.",
    "story.anchor": "**Anchor:** level {level}, cell (y {y}, x {x}), size {size:g} px, ratio h/w {ratio:g}, stride "
                    "{stride} → centre ({cx:.1f}, {cy:.1f}), {w:.1f}×{h:.1f} px (resized frame). **Objectness:** "
                    "{objectness:.3f}.",
    "story.formulas": "Decoding, as torchvision's BoxCoder does it: the network predicts (tx, ty, tw, th) = "
                      "(wx·(x − xa)/wa, wy·(y − ya)/ha, ww·log(w/wa), wh·log(h/ha)); decoding inverts it: "
                      "x = xa + (tx/wx)·wa, y = ya + (ty/wy)·ha, w = wa·exp(tw/ww), h = ha·exp(th/wh), with "
                      "tw/ww and th/wh clamped at log(1000/16) first.",
    "story.rpn_title": "1st refinement — RPN: anchor → proposal",
    "story.head_title": "2nd refinement — RoI head: proposal → detection ({name}, score {score:.3f})",
    "story.col.quantity": "Quantity",
    "story.col.value": "Value",
    "story.col.how": "How",
    "story.row.anchor": "anchor (x1, y1, x2, y2)",
    "story.row.proposal_in": "proposal (x1, y1, x2, y2)",
    "story.row.deltas": "predicted (tx, ty, tw, th)",
    "story.row.scaled": "÷ weights (dx, dy, dw, dh)",
    "story.row.clamp": "(dw, dh) after the clamp",
    "story.row.centre": "new centre (x, y)",
    "story.row.size": "new size (w, h)",
    "story.row.decoded": "decoded box",
    "story.row.proposal": "proposal, clipped",
    "story.row.detection": "detection, clipped",
    "story.weights": "box coder weights (wx, wy, ww, wh) = ({weights})",
    "story.clamp_ok": "below the clamp log(1000/16) = {clip:.3f}: unchanged",
    "story.clamp_hit": "clamped at log(1000/16) = {clip:.3f}",
    "story.clipped_same": "inside the {width}×{height} image: unchanged by clipping",
    "story.clipped_changed": "clipped to the {width}×{height} image",
    "story.frame_note": "All boxes in the resized frame (what the heads saw); the table and image elsewhere show "
                        "original pixels.",
    "story.label.anchor": "anchor",
    "story.label.proposal": "proposal",
    "story.label.detection": "detection",
    "story.suppressed_rpn": "In the RPN's NMS its proposal removed **{count}** box(es): {items}{more}",
    "story.suppressed_box": "In its class's NMS the detection removed **{count}** box(es): {items}{more}",
    "story.goto": "Show it in:",
    "crumb.title": "Followed detection:",
    "crumb.anchor": "anchor {level} (y {y}, x {x}) · {size:g} px · h/w {ratio:g}",
    "crumb.objectness": "objectness {value:.3f}",
    "crumb.proposal": "proposal #{index}",
    "crumb.head": "RoI head: {name} {score:.3f}",
    "crumb.detection": "detection #{index}",
    "story.pick": "Pick a detection in the list or click it on the image: its anchor, both refinements and what it "
                  "suppressed appear here, and the other tabs point at it.",
    "story.lost": "The detection you followed did not survive these thresholds: move the slider back, or pick "
                  "another.",
    "fate.title": "Click a box on the “before NMS” image to see what happened to it.",
    "fate.box": "Candidate #{index} ({level}, objectness {score:.3f}):",
    "fate.kept": "kept — it is proposal #{proposal}.",
    "fate.removed_nms": "removed by NMS: candidate #{by} (objectness {score:.3f}) was kept before it and overlaps it "
                        "with IoU {iou:.2f} > {threshold:g}.",
    "fate.removed_top_n": "survived NMS but fell beyond the post-NMS top-n.",
    "fate.removed_score": "removed by the RPN score threshold.",
    "fate.removed_small": "removed as too small after clipping.",
    "fate.not_in_top_k": "not among its level's pre-NMS top-n.",
    "look.detections": "**What to look for:** each box is one class of one proposal. Raise the detection score and "
                       "weak duplicates disappear; follow one detection below to see its anchor and both "
                       "refinements in numbers.",
    "look.overview": "**What to look for:** how many boxes each stage passes on — tens of thousands of anchors become "
                     "a thousand proposals and a handful of detections — and where the one model run spent its time.",
    "look.features": "**What to look for:** fine levels (P2, P3) light up on small shapes and edges, coarse levels "
                     "(P5, P6) on large objects. The shape table gives each map's stride.",
    "look.anchors": "**What to look for:** click on an object: on each level the anchors centred there have one size "
                    "and three shapes; only the level whose size fits the object has a high objectness.",
    "look.objectness": "**What to look for:** bright spots where objects are, each on the level whose anchor size "
                       "matches the object; one map per anchor shape shows which aspect ratio fits.",
    "look.proposals": "**What to look for:** before NMS many boxes pile up on each object; after NMS one or two "
                      "remain per object and level. Click a box on the upper image (before NMS) to see which box removed it.",
    # --- RoI projection and quantization -----------------------------------------------------------------------
    "proj.title": "RoI projection and quantization, in numbers",
    "proj.explain": "Where does a box land on the feature map, and what does RoIPool really pool? Type a box in "
                    "original pixels (x1, y1, x2, y2) or leave it empty to walk the chosen proposal.",
    "proj.box": "Box in original pixels (x1, y1, x2, y2)",
    "proj.box.placeholder": "e.g. 52, 106, 117, 206 — empty: the chosen proposal",
    "proj.bad_box": "Type four numbers for the box: x1, y1, x2, y2 (original pixels), e.g. 52, 106, 117, 206.",
    "proj.this_image": "This box on this image",
    "proj.article_title": "The classic example, recomputed",
    "proj.col.step": "Step",
    "proj.col.box": "x1, y1, x2, y2",
    "proj.col.how": "How",
    "proj.row.original": "box, original pixels",
    "proj.row.resized": "resized frame",
    "proj.row.level": "pyramid level",
    "proj.row.projected": "÷ stride: feature units",
    "proj.row.cells": "RoIPool rounds (half away from 0)",
    "proj.row.read": "cells RoIPool reads [start, end)",
    "proj.row.back_resized": "back: resized pixels",
    "proj.row.back_original": "back: original pixels",
    "proj.row.error": "error (px, original)",
    "proj.row.article": "the usual corner reading",
    "proj.row.box": "box (pixels)",
    "proj.row.projected_article": "÷ {stride}: feature units",
    "proj.row.article_back": "read as corners × 32 (the usual reading)",
    "proj.row.torchvision_back": "cells roi_pool really reads × 32",
    "proj.row.error_torchvision": "error of roi_pool's region (px)",
    "proj.how.resized": "× {sx:.3f} (x), × {sy:.3f} (y)",
    "proj.how.level": "√(w·h) = {side:.1f} → ⌊4 + log2({side:.1f}/224)⌋ = ⌊{raw:.2f}⌋ → k = {k} (limits {kmin}..{kmax})",
    "proj.how.projected": "× 1/{stride:g} (spatial scale)",
    "proj.how.cells": "roi_pool: round(x·scale) on float32, C's std::round",
    "proj.how.read": "{w}×{h} cells, split into {bins}×{bins} bins with floor/ceil; x2 and y2 are included",
    "proj.how.back": "× {stride:g}",
    "proj.how.error": "back-projected − original box",
    "proj.how.article": "rounded coordinates read as corners, as many tutorials draw it",
    "proj.align": "RoIAlign does not round: it keeps the box in feature units and splits it into {bins}×{bins} bins of "
                  "{w:.3f}×{h:.3f} cells, sampling each by bilinear interpolation.",
    "proj.clipped": "Here RoIPool's bins were also clipped at the edge of the feature map.",
    "proj.overshoot": "Here float32 bin edges make the last bin read one cell past x2/y2, as torchvision's kernel does.",
    "proj.article_intro": "The box [52, 106, 117, 206] projected on a stride-32 map, as in the articles our students "
                          "read: ÷ 32 gives fractional cells, and rounding makes RoIPool pool another region.",
    "proj.article_note": "The articles read the rounded numbers [2, 3, 4, 6] as corners ([64, 96, 128, 192]). "
                         "torchvision's roi_pool includes the last cell (x2 and y2 are inclusive), so it really pools "
                         "[64, 96, 160, 224]: an even larger error. RoIAlign avoids both.",
    "proj.legend.projected": "box in feature units",
    "proj.legend.read": "cells RoIPool reads",
    "proj.legend.article": "corner reading",
    "proj.axis.x": "feature cell (x)",
    "proj.axis.y": "feature cell (y)",
    "proj.figure": "On the feature grid",
    "look.roi": "**What to look for:** the RoI is pooled from a level chosen by its size, not the level its anchor "
                "came from. Compare RoIPool's rounded cells with RoIAlign's exact samples; the walk below gives the "
                "error in pixels.",
    # --- ablations ---------------------------------------------------------------------------------------------
    "tab.ablations": "Ablations",
    "abl.explain": "The Faster R-CNN paper measured what each RPN output is worth by taking it away (section 4, "
                   "VOC 2007 with ZF): without the **box regression** (the anchors themselves as proposals) mAP fell "
                   "from 55.8% to 52.1%; without the **objectness** ranking (proposals in random order) it held at "
                   "55.8% with 1000 proposals but fell to 44.6% with 100. Fast R-CNN took its RoIs from outside "
                   "(Selective Search): here you can **bring your own boxes**. Each run re-uses the cached feature "
                   "maps and only re-runs the RoI heads.",
    "abl.kind": "Feed the RoI heads with",
    "abl.kind.no_reg": "anchors, no regression (“no reg”)",
    "abl.kind.no_cls": "proposals in random order (“no cls”)",
    "abl.kind.boxes": "my own boxes (Fast R-CNN)",
    "abl.seed": "Random order seed",
    "abl.boxes": "My boxes, original pixels: one “x1, y1, x2, y2” per line",
    "abl.boxes.placeholder": "Click two corners on the left image, or type e.g. 40, 60, 180, 200",
    "abl.add_proposals": "Add the 5 best proposals",
    "abl.clear": "Clear my boxes",
    "abl.click_hint": "Click two corners on this image to add a box",
    "abl.model_image": "The model (regressed proposals ranked by objectness)",
    "abl.ablation_image": "{kind}: {count} detections",
    "abl.bad_boxes": "Line {line} is not a box: type four numbers x1, y1, x2, y2 per line.",
    "abl.no_boxes": "Draw or type at least one box to run the RoI heads on it.",
    "abl.row.model": "the model",
    "abl.col.run": "Run",
    "abl.col.rois": "RoIs",
    "abl.col.detections": "Detections",
    "abl.col.mean_score": "Mean score",
    "abl.col.classes": "Classes",
    "look.ablations": "**What to look for:** without regression the boxes keep the anchors' coarse shapes; with a "
                      "random order and few proposals (lower the post-NMS top-n), objects go missing. Draw a box "
                      "around an object and the RoI head classifies and refines it.",
    "look.nms": "**What to look for:** the highest-scoring box always survives; a box is removed only by a box "
                "that was kept before it. Lower the NMS IoU slider and watch each decision remove more boxes.",
}

KO: dict[str, str] = {
    "tab.nms": "NMS 단계별",
    "nms.explain": "비최대 억제(NMS)는 점수가 높은 박스부터 차례로 방문합니다. 방문한 박스는 **남기고**, 아직 "
                   "대기 중인 박스 중 그 박스와의 IoU가 **임계값보다 큰** 박스는 **억제**한 뒤, 남아 있는 다음 "
                   "박스로 넘어갑니다. 이 이미지에서 실제로 일어난 NMS입니다. 피라미드 레벨 하나에 대한 RPN의 "
                   "NMS 또는 클래스 하나에 대한 RoI 헤드의 NMS를 고를 수 있습니다.",
    "nms.stage": "어느 NMS",
    "nms.stage.rpn": "RPN (피라미드 레벨 하나)",
    "nms.stage.box": "RoI 헤드 (클래스 하나)",
    "nms.group": "레벨 / 클래스",
    "nms.group_choice": "{name} · 박스 {count}개",
    "nms.step_slider": "결정",
    "nms.back": "◀ 이전",
    "nms.forward": "다음 ▶",
    "nms.play": "▶ 재생",
    "nms.pause": "❚❚ 일시 정지",
    "nms.speed": "속도 (초당 결정 수)",
    "nms.step": "**결정 {step} / {steps}** · 박스 **#{kept}** 를 남깁니다 (점수 {score:.3f}). 이 박스와의 IoU가 "
                "{threshold:g}보다 큰 대기 박스 **{count}**개를 억제합니다.",
    "nms.tally": "지금까지 남긴 박스: **{kept}** · 억제한 박스: **{suppressed}** · 대기 중: **{queue}**",
    "nms.none_suppressed": "IoU {threshold:g}보다 크게 겹치는 대기 박스가 없어 아무것도 억제하지 않습니다.",
    "nms.more": "… 외 {count}개",
    "nms.col.box": "억제된 박스",
    "nms.col.score": "점수",
    "nms.col.iou": "남긴 박스와의 IoU",
    "nms.col.rule": "규칙",
    "nms.queue_next": "다음 대기 박스 (대기 {count}개): {items}",
    "nms.queue_empty": "대기열이 비었습니다. NMS가 박스 {kept}개를 남겼습니다.",
    "nms.kept_label": "남김 {score:.2f}",
    "nms.summary": "{name}: 박스 {inputs}개가 IoU {threshold:g}의 NMS에 들어가 {kept}개가 남습니다. 초록 = 남긴 박스, "
                   "빨강 = 지금 억제되는 박스 (IoU 표시), 회색 = 다음 대기 박스.",
    "nms.no_groups": "현재 임계값에서는 이 NMS에 들어가는 박스가 없습니다.",
    "nms.restart": "NMS 임계값이 바뀌어 첫 번째 결정부터 다시 시작합니다.",
    "story.title": "검출 하나 따라가기: 앵커에서 박스까지, 숫자로",
    "story.explain": "검출을 고르거나 이미지에서 클릭하세요. 앵커, 제안 영역, 최종 박스를 두 번의 보정에 쓰인 숫자와 "
                     "함께 보여 줍니다. RPN은 앵커를 제안 영역으로, RoI 헤드는 제안 영역을 검출 박스로 옮깁니다. "
                     "같은 공식이고 가중치만 다릅니다.",
    "story.detection": "검출",
    "story.choice": "#{index} · {name} · {score:.2f}",
    "story.none": "현재 임계값에서는 검출이 없어 따라갈 박스가 없습니다.",
    "story.anchor": "**앵커:** 레벨 {level}, 셀 (y {y}, x {x}), 크기 {size:g} px, 비율 h/w {ratio:g}, 스트라이드 "
                    "{stride} → 중심 ({cx:.1f}, {cy:.1f}), {w:.1f}×{h:.1f} px (크기 조정 좌표계). **객체성:** "
                    "{objectness:.3f}.",
    "story.formulas": "torchvision의 BoxCoder와 같은 방식으로 디코딩합니다. 네트워크는 (tx, ty, tw, th) = "
                      "(wx·(x − xa)/wa, wy·(y − ya)/ha, ww·log(w/wa), wh·log(h/ha))를 예측하고, 디코딩은 이를 "
                      "거꾸로 풉니다: x = xa + (tx/wx)·wa, y = ya + (ty/wy)·ha, w = wa·exp(tw/ww), "
                      "h = ha·exp(th/wh). 이때 tw/ww와 th/wh는 먼저 log(1000/16)에서 잘립니다.",
    "story.rpn_title": "1차 보정 — RPN: 앵커 → 제안 영역",
    "story.head_title": "2차 보정 — RoI 헤드: 제안 영역 → 검출 ({name}, 점수 {score:.3f})",
    "story.col.quantity": "항목",
    "story.col.value": "값",
    "story.col.how": "계산",
    "story.row.anchor": "앵커 (x1, y1, x2, y2)",
    "story.row.proposal_in": "제안 영역 (x1, y1, x2, y2)",
    "story.row.deltas": "예측값 (tx, ty, tw, th)",
    "story.row.scaled": "가중치로 나눔 (dx, dy, dw, dh)",
    "story.row.clamp": "잘라낸 뒤의 (dw, dh)",
    "story.row.centre": "새 중심 (x, y)",
    "story.row.size": "새 크기 (w, h)",
    "story.row.decoded": "디코딩된 박스",
    "story.row.proposal": "제안 영역 (이미지 경계로 자름)",
    "story.row.detection": "검출 박스 (이미지 경계로 자름)",
    "story.weights": "박스 코더 가중치 (wx, wy, ww, wh) = ({weights})",
    "story.clamp_ok": "상한 log(1000/16) = {clip:.3f} 미만이라 그대로",
    "story.clamp_hit": "상한 log(1000/16) = {clip:.3f}에서 잘림",
    "story.clipped_same": "{width}×{height} 이미지 안쪽이라 그대로",
    "story.clipped_changed": "{width}×{height} 이미지 경계에 맞춰 잘림",
    "story.frame_note": "모든 박스는 크기 조정 좌표계(헤드가 본 좌표)입니다. 다른 표와 이미지는 원본 픽셀로 표시합니다.",
    "story.label.anchor": "앵커",
    "story.label.proposal": "제안 영역",
    "story.label.detection": "검출",
    "story.suppressed_rpn": "RPN의 NMS에서 이 제안 영역이 박스 **{count}**개를 제거했습니다: {items}{more}",
    "story.suppressed_box": "클래스별 NMS에서 이 검출이 박스 **{count}**개를 제거했습니다: {items}{more}",
    "story.goto": "다른 탭에서 보기:",
    "crumb.title": "따라가는 검출:",
    "crumb.anchor": "앵커 {level} (y {y}, x {x}) · {size:g} px · h/w {ratio:g}",
    "crumb.objectness": "객체성 {value:.3f}",
    "crumb.proposal": "제안 영역 #{index}",
    "crumb.head": "RoI 헤드: {name} {score:.3f}",
    "crumb.detection": "검출 #{index}",
    "story.pick": "목록에서 검출을 고르거나 이미지에서 클릭하세요. 그 검출의 앵커, 두 번의 보정, 억제한 박스가 여기에 "
                  "나타나고, 다른 탭들도 그 검출을 가리킵니다.",
    "story.lost": "따라가던 검출이 현재 임계값에서 살아남지 못했습니다. 슬라이더를 되돌리거나 다른 검출을 고르세요.",
    "fate.title": "‘NMS 전’ 이미지에서 박스를 클릭하면 그 박스에 무슨 일이 있었는지 보여 줍니다.",
    "fate.box": "후보 #{index} ({level}, 객체성 {score:.3f}):",
    "fate.kept": "남았습니다 — 제안 영역 #{proposal} 입니다.",
    "fate.removed_nms": "NMS로 제거되었습니다: 먼저 남겨진 후보 #{by} (객체성 {score:.3f})와 IoU {iou:.2f} > "
                        "{threshold:g}로 겹칩니다.",
    "fate.removed_top_n": "NMS는 통과했지만 NMS 후 상위 n개 밖으로 밀려났습니다.",
    "fate.removed_score": "RPN 점수 임계값에서 제거되었습니다.",
    "fate.removed_small": "이미지 경계로 자른 뒤 너무 작아 제거되었습니다.",
    "fate.not_in_top_k": "자기 레벨의 NMS 전 상위 n개에 들지 못했습니다.",
    "look.detections": "**살펴볼 점:** 박스 하나는 제안 영역 하나의 한 클래스입니다. 검출 점수를 올리면 약한 중복 "
                       "박스가 사라집니다. 아래에서 검출 하나를 따라가 앵커와 두 번의 보정을 숫자로 확인해 보세요.",
    "look.overview": "**살펴볼 점:** 단계마다 넘겨주는 박스 수 — 수만 개의 앵커가 제안 영역 천 개, 검출 몇 개가 됩니다 "
                     "— 와 한 번의 모델 실행이 어디에 시간을 썼는지 보세요.",
    "look.features": "**살펴볼 점:** 세밀한 레벨 (P2, P3)은 작은 도형과 경계에서, 거친 레벨 (P5, P6)은 큰 물체에서 "
                     "밝아집니다. 크기 표에서 각 맵의 스트라이드를 확인하세요.",
    "look.anchors": "**살펴볼 점:** 물체를 클릭하세요. 레벨마다 그 위치의 앵커는 크기 하나에 모양 세 가지이며, 물체 크기에 "
                    "맞는 레벨의 앵커만 객체성이 높습니다.",
    "look.objectness": "**살펴볼 점:** 물체가 있는 곳이 밝게 빛나고, 앵커 크기가 물체와 맞는 레벨에서 가장 밝습니다. 앵커 "
                       "모양별 맵에서 어떤 종횡비가 맞는지 보입니다.",
    "look.proposals": "**살펴볼 점:** NMS 전에는 물체마다 박스가 수십 개씩 겹쳐 있고, NMS 후에는 물체와 레벨마다 "
                      "한두 개만 남습니다. 위쪽 이미지(NMS 전)에서 박스를 클릭하면 어느 박스가 그것을 제거했는지 볼 수 있습니다.",
    "proj.title": "RoI 투영과 양자화, 숫자로",
    "proj.explain": "박스가 특징 맵의 어디에 놓이고, RoIPool은 실제로 어느 영역을 풀링할까요? 원본 픽셀 좌표로 박스를 "
                    "입력하거나 (x1, y1, x2, y2), 비워 두면 선택한 제안 영역을 따라갑니다.",
    "proj.box": "원본 픽셀 좌표의 박스 (x1, y1, x2, y2)",
    "proj.box.placeholder": "예: 52, 106, 117, 206 — 비우면 선택한 제안 영역",
    "proj.bad_box": "박스 좌표 네 개를 입력하세요: x1, y1, x2, y2 (원본 픽셀), 예: 52, 106, 117, 206.",
    "proj.this_image": "이 이미지에서 이 박스",
    "proj.article_title": "고전적인 예제를 다시 계산하기",
    "proj.col.step": "단계",
    "proj.col.box": "x1, y1, x2, y2",
    "proj.col.how": "계산",
    "proj.row.original": "박스, 원본 픽셀",
    "proj.row.resized": "크기 조정 좌표계",
    "proj.row.level": "피라미드 레벨",
    "proj.row.projected": "÷ 스트라이드: 특징 맵 단위",
    "proj.row.cells": "RoIPool의 반올림 (0에서 먼 쪽으로)",
    "proj.row.read": "RoIPool이 읽는 셀 [시작, 끝)",
    "proj.row.back_resized": "되돌리기: 크기 조정 픽셀",
    "proj.row.back_original": "되돌리기: 원본 픽셀",
    "proj.row.error": "오차 (px, 원본)",
    "proj.row.article": "흔한 꼭짓점 해석",
    "proj.row.box": "박스 (픽셀)",
    "proj.row.projected_article": "÷ {stride}: 특징 맵 단위",
    "proj.row.article_back": "꼭짓점으로 읽고 × 32 (흔한 해석)",
    "proj.row.torchvision_back": "roi_pool이 실제로 읽는 셀 × 32",
    "proj.row.error_torchvision": "roi_pool 영역의 오차 (px)",
    "proj.how.resized": "× {sx:.3f} (x), × {sy:.3f} (y)",
    "proj.how.level": "√(w·h) = {side:.1f} → ⌊4 + log2({side:.1f}/224)⌋ = ⌊{raw:.2f}⌋ → k = {k} (범위 {kmin}..{kmax})",
    "proj.how.projected": "× 1/{stride:g} (공간 스케일)",
    "proj.how.cells": "roi_pool: float32에서 round(x·scale), C의 std::round",
    "proj.how.read": "{w}×{h} 셀을 floor/ceil로 {bins}×{bins} 구간으로 나눔; x2, y2 셀도 포함",
    "proj.how.back": "× {stride:g}",
    "proj.how.error": "되돌린 박스 − 원래 박스",
    "proj.how.article": "반올림한 좌표를 꼭짓점으로 읽음 (많은 튜토리얼의 그림)",
    "proj.align": "RoIAlign은 반올림하지 않습니다. 박스를 특징 맵 단위 그대로 두고 {w:.3f}×{h:.3f} 셀 크기의 "
                  "{bins}×{bins} 구간으로 나눈 뒤, 양선형 보간으로 각 구간을 샘플링합니다.",
    "proj.clipped": "이 경우 RoIPool의 구간이 특징 맵 경계에서 잘리기도 했습니다.",
    "proj.overshoot": "이 경우 float32 구간 경계 때문에 마지막 구간이 x2/y2보다 한 셀 더 읽습니다. torchvision 커널도 "
                      "그렇게 동작합니다.",
    "proj.article_intro": "학생들이 읽는 글처럼 박스 [52, 106, 117, 206]를 스트라이드 32의 특징 맵에 투영합니다. "
                          "32로 나누면 셀 좌표가 소수가 되고, 반올림 때문에 RoIPool은 다른 영역을 풀링합니다.",
    "proj.article_note": "글에서는 반올림한 [2, 3, 4, 6]을 꼭짓점으로 읽습니다 ([64, 96, 128, 192]). torchvision의 "
                         "roi_pool은 마지막 셀까지 포함하므로 (x2, y2 포함) 실제로는 [64, 96, 160, 224]를 풀링합니다. "
                         "오차가 더 큽니다. RoIAlign은 두 문제를 모두 피합니다.",
    "proj.legend.projected": "특징 맵 단위의 박스",
    "proj.legend.read": "RoIPool이 읽는 셀",
    "proj.legend.article": "꼭짓점 해석",
    "proj.axis.x": "특징 맵 셀 (x)",
    "proj.axis.y": "특징 맵 셀 (y)",
    "proj.figure": "특징 맵 격자 위에서",
    "look.roi": "**살펴볼 점:** RoI는 앵커가 나온 레벨이 아니라 박스 크기로 고른 레벨에서 풀링됩니다. RoIPool의 반올림된 "
                "셀과 RoIAlign의 정확한 샘플 점을 비교해 보세요. 아래 계산표가 픽셀 단위 오차를 보여 줍니다.",
    "tab.ablations": "제거 실험 (Ablation)",
    "abl.explain": "Faster R-CNN 논문은 RPN의 각 출력이 얼마나 중요한지 하나씩 빼 보며 측정했습니다 (4절, VOC 2007, "
                   "ZF). **박스 회귀**를 빼면 (앵커 자체를 제안 영역으로 사용) mAP가 55.8%에서 52.1%로 떨어졌고, "
                   "**객체성** 순위를 빼면 (제안 영역을 무작위 순서로) 제안 1000개에서는 55.8%를 유지했지만 100개에서는 "
                   "44.6%로 떨어졌습니다. Fast R-CNN은 RoI를 바깥(Selective Search)에서 받았습니다. 여기서는 **직접 "
                   "박스를 넣어** 볼 수 있습니다. 실행할 때마다 저장된 특징 맵을 재사용하고 RoI 헤드만 다시 계산합니다.",
    "abl.kind": "RoI 헤드에 넣을 입력",
    "abl.kind.no_reg": "회귀 없는 앵커 (“no reg”)",
    "abl.kind.no_cls": "무작위 순서의 제안 영역 (“no cls”)",
    "abl.kind.boxes": "내가 그린 박스 (Fast R-CNN)",
    "abl.seed": "무작위 순서 시드",
    "abl.boxes": "내 박스, 원본 픽셀: 한 줄에 “x1, y1, x2, y2” 하나씩",
    "abl.boxes.placeholder": "왼쪽 이미지에서 두 꼭짓점을 클릭하거나, 예: 40, 60, 180, 200 입력",
    "abl.add_proposals": "상위 제안 영역 5개 추가",
    "abl.clear": "내 박스 지우기",
    "abl.click_hint": "이 이미지에서 두 꼭짓점을 클릭하면 박스가 추가됩니다",
    "abl.model_image": "모델 (객체성 순위의 회귀된 제안 영역)",
    "abl.ablation_image": "{kind}: 검출 {count}개",
    "abl.bad_boxes": "{line}번째 줄이 박스가 아닙니다. 한 줄에 숫자 네 개 (x1, y1, x2, y2)를 입력하세요.",
    "abl.no_boxes": "RoI 헤드를 실행하려면 박스를 하나 이상 그리거나 입력하세요.",
    "abl.row.model": "모델",
    "abl.col.run": "실행",
    "abl.col.rois": "RoI 수",
    "abl.col.detections": "검출 수",
    "abl.col.mean_score": "평균 점수",
    "abl.col.classes": "클래스",
    "look.ablations": "**살펴볼 점:** 회귀가 없으면 박스가 앵커의 거친 모양을 그대로 가집니다. 순서가 무작위이고 제안 "
                      "영역이 적으면 (NMS 후 상위 n을 낮춰 보세요) 물체를 놓칩니다. 물체 주위에 박스를 그리면 RoI 헤드가 "
                      "그 박스를 분류하고 보정합니다.",
    "look.nms": "**살펴볼 점:** 점수가 가장 높은 박스는 항상 살아남고, 박스는 자기보다 먼저 남겨진 박스에 의해서만 "
                "제거됩니다. NMS IoU 슬라이더를 낮추면 결정마다 더 많은 박스가 제거되는 것을 볼 수 있습니다.",
}
