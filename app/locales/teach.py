"""Strings of the teaching views (NMS player, box story, provenance, RoI projection, ablations), English and Korean."""

EN: dict[str, str] = {
    # --- NMS, one decision at a time ---------------------------------------------------------------------------
    "tab.nms": "NMS step by step",
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
    "crumb.proposal": "proposal #{index} (removed {count} in the NMS of {level})",
    "crumb.head": "RoI head: {name} {score:.3f}",
    "crumb.detection": "detection #{index} (removed {count} in its class's NMS)",
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
    "look.proposals": "**What to look for:** before NMS many boxes pile up on each object; after NMS one or two "
                      "remain per object and level. Click a box on the left image to see which box removed it.",
    "look.nms": "**What to look for:** the highest-scoring box always survives; a box is removed only by a box "
                "that was kept before it. Lower the NMS IoU slider and watch each decision remove more boxes.",
}

KO: dict[str, str] = {
    "tab.nms": "NMS 단계별 보기",
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
    "crumb.proposal": "제안 영역 #{index} ({level}의 NMS에서 {count}개 제거)",
    "crumb.head": "RoI 헤드: {name} {score:.3f}",
    "crumb.detection": "검출 #{index} (클래스별 NMS에서 {count}개 제거)",
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
    "look.proposals": "**살펴볼 점:** NMS 전에는 물체마다 박스가 수십 개씩 겹쳐 있고, NMS 후에는 물체와 레벨마다 "
                      "한두 개만 남습니다. 왼쪽 이미지에서 박스를 클릭하면 어느 박스가 그것을 제거했는지 볼 수 있습니다.",
    "look.nms": "**살펴볼 점:** 점수가 가장 높은 박스는 항상 살아남고, 박스는 자기보다 먼저 남겨진 박스에 의해서만 "
                "제거됩니다. NMS IoU 슬라이더를 낮추면 결정마다 더 많은 박스가 제거되는 것을 볼 수 있습니다.",
}
