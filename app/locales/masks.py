"""Strings of the Masks tab (Mask R-CNN's mask branch), English and Korean."""

EN: dict[str, str] = {
    "tab.masks": "Masks",
    "look.masks": "**What to look for:** each mask is a 28×28 grid stretched over its box. Drag the mask threshold: "
                  "masks grow and shrink around 0.5. Below: RoIPool's rounding moves features by more than a mask cell.",
    "masks.threshold": "Mask threshold",
    "masks.threshold.info": "pixel in the mask when its probability > threshold (drawn in the browser)",
    "masks.detection": "Detection to follow (or click a box)",
    "masks.choice": "{index}. {name} · score {score:.2f} · {width:.0f}×{height:.0f} px",
    "masks.count": "{count} masks · probability > {threshold} · {pixels} pixels drawn",
    "masks.score": "score",
    "masks.no_masks": "**{model} has no mask branch** (it is a Faster R-CNN): the image is shown without masks. "
                      "Models with masks: {models} — choose one in the model list and inspect again.",
    "masks.no_detections": "No detections at these thresholds: no masks to show. Try lowering the detection "
                           "score.",
    "masks.explain": "Mask R-CNN adds a small **fully convolutional branch** beside the box head. For every final "
                     "detection it pools a **14×14** grid of features with **RoIAlign** from the pyramid level the "
                     "box's size selects, runs four 3×3 convolutions and a 2×2 transposed convolution, and predicts "
                     "one **28×28** mask per class. Only the mask of the detected class is used: a sigmoid turns "
                     "its logits into probabilities, which are pasted into the box in the image. The threshold is "
                     "not part of the model: torchvision returns probabilities; 0.5 is what COCO evaluation uses.",
    "masks.steps_title": "One detection, step by step (the model's own numbers)",
    "masks.step.level": "Choose the FPN level from the box size (LevelMapper)",
    "masks.step.level.value": "√(w·h) = {side:.1f} px → k = ⌊4 + log2({side:.1f}/224)⌋ = ⌊{raw:.2f}⌋ → **{level}** "
                              "(1 cell = {stride:g} px)",
    "masks.step.pool": "RoIAlign the box to a fixed grid (mask_roi_pool)",
    "masks.step.pool.value": "{channels} channels × {size}×{size}, values {low:.2f} … {high:.2f}",
    "masks.step.logits": "Four 3×3 convs, a 2×2 transposed conv, a 1×1 conv per class (mask_head, "
                         "mask_predictor)",
    "masks.step.logits.value": "{size}×{size} logits of class **{name}**, {low:.2f} … {high:.2f}",
    "masks.step.sigmoid": "Sigmoid per pixel (maskrcnn_inference)",
    "masks.step.sigmoid.value": "{above} of {cells} cells above 0.5",
    "masks.step.paste": "Paste into the image (paste_masks_in_image)",
    "masks.step.paste.value": "padded to {padded}×{padded}, box {box} × {scale:.4f} = {expanded} → "
                              "{pixel_box} → resized to {h}×{w} px, clipped to {region}",
    "masks.step.threshold": "Threshold (not in the model)",
    "masks.step.threshold.value": "probability > {threshold:.2f}: **{pixels}** pixels",
    "masks.level_title": "On {level}: {size}×{size} bins, {samples} points each",
    "masks.head_title": "The mask head: pooled features → logits → probabilities",
    "masks.panel.pooled": "14×14 features<br>(channel mean)",
    "masks.panel.logits": "28×28 logits<br>class {name}",
    "masks.panel.sigmoid": "sigmoid (0 … 1)",
    "masks.paste_title": "Paste: box (white), expanded box (blue, dashed)",
    "masks.panel.pasted": "probability, image pixels",
    "masks.panel.binary": "mask > {threshold:.2f}",
    "masks.why_title": "Why RoIAlign: RoIPool's rounding on the mask grid",
    "masks.why_explain": "The same box pooled on the same grid two ways. **RoIPool** (Fast R-CNN) rounds the box to "
                         "whole feature cells and splits it into bins with floor/ceil, so each bin's features come "
                         "from the cells it rounded to. **RoIAlign** keeps the box exact and samples each bin at "
                         "evenly spaced points. The numbers below give, in this image's pixels, how far each RoIPool bin's "
                         "centre lies from RoIAlign's (orange × vs blue dot), next to the size of one 28×28 mask "
                         "cell of this box: an offset of a cell or more shifts the mask's edge.",
    "masks.mis.level": "Level · one feature cell",
    "masks.mis.box": "Box (x1, y1, x2, y2)",
    "masks.mis.pool_box": "RoIPool's rounded box, back in pixels",
    "masks.mis.edges": "Rounded minus exact, per side",
    "masks.mis.max": "Largest bin-centre offset",
    "masks.mis.mean": "Mean bin-centre offset",
    "masks.mis.cell": "One 28×28 mask cell",
    "masks.mis.bin": "One 14×14 bin",
    "masks.mis.ratio": "Largest offset in mask cells",
    "masks.mis.empty": "RoIPool bins with no cell (output 0)",
    "masks.mis.reading": "RoIPool misplaces this box's features by up to **{max:.1f} px**, where one mask cell is "
                         "**{cell:.1f} px**: **{ratio:.1f} mask cells**.",
    "masks.mis.title": "Bin centres over the image ({level})",
    "masks.mis.align": "RoIAlign bin centre",
    "masks.mis.pool": "RoIPool bin centre",
    "masks.conventions": "**Where torchvision differs from the article (seed 004).**\n\n1. torchvision's "
                         "MultiScaleRoIAlign calls `roi_align` with `aligned=False`: the −0.5 pixel shift of the "
                         "later \"aligned\" RoIAlign is not applied, so feature cell j sits at coordinate j. "
                         "\n2. `sampling_ratio=2`: 2×2 sample points per bin, **averaged** (the article allows max or "
                         "average).\n3. The mask branch pools **14×14** (the box head pools 7×7) and a stride-2 "
                         "transposed convolution makes the **28×28** mask; there is one mask per class and only the "
                         "detected class's is used, with a **sigmoid** per pixel, not a softmax over classes. "
                         "\n4. The level is ⌊4 + log2(√(w·h)/224) + 10⁻⁶⌋ clamped to P2–P5, with the box in the "
                         "resized frame.\n5. RoIPool rounds half away from zero (C's `round`, not Python's) and its "
                         "bins use floor/ceil, so neighbouring bins can share a cell.\n6. The paste pads the 28×28 "
                         "with one zero cell per side (30×30), grows the box by 30/28 about its centre, truncates it "
                         "to whole pixels and resizes bilinearly; torchvision returns probabilities and the 0.5 "
                         "threshold is applied afterwards.",
}

KO: dict[str, str] = {
    "tab.masks": "마스크",
    "look.masks": "**살펴볼 점:** 마스크는 박스 위로 늘인 28×28 격자입니다. 마스크 임곗값을 움직이면 0.5를 기준으로 "
                  "마스크가 커지고 작아집니다. 아래: RoIPool의 반올림은 특징을 마스크 셀 하나보다 더 옮깁니다.",
    "masks.threshold": "마스크 임곗값",
    "masks.threshold.info": "확률이 임곗값보다 큰 픽셀이 마스크 (브라우저에서 그림)",
    "masks.detection": "따라갈 검출 (또는 박스 클릭)",
    "masks.choice": "{index}. {name} · 점수 {score:.2f} · {width:.0f}×{height:.0f} px",
    "masks.count": "마스크 {count}개 · 확률 > {threshold} · 그려진 픽셀 {pixels}개",
    "masks.score": "점수",
    "masks.no_masks": "**{model}에는 마스크 브랜치가 없습니다** (Faster R-CNN입니다). 이미지를 마스크 없이 "
                      "보여 줍니다. 마스크가 있는 모델: {models} — 모델 목록에서 고른 뒤 다시 분석하세요.",
    "masks.no_detections": "현재 임곗값에서는 검출이 없어 보여 줄 마스크가 없습니다. 검출 점수를 낮춰 보세요.",
    "masks.explain": "Mask R-CNN은 박스 헤드 옆에 작은 **완전 합성곱 브랜치**를 더합니다. 최종 검출마다 박스 "
                     "크기로 고른 피라미드 레벨에서 **RoIAlign**으로 **14×14** 특징 격자를 풀링하고, 3×3 합성곱 "
                     "네 개와 2×2 전치 합성곱을 거쳐 클래스마다 **28×28** 마스크 하나를 예측합니다. 검출된 "
                     "클래스의 마스크만 쓰며, 시그모이드가 로짓을 확률로 바꾸고 그 확률을 이미지 속 박스에 "
                     "붙여 넣습니다. 임곗값은 모델의 일부가 아닙니다. torchvision은 확률을 돌려주고, 0.5는 COCO "
                     "평가가 쓰는 값입니다.",
    "masks.steps_title": "검출 하나를 단계별로 (모델이 계산한 값 그대로)",
    "masks.step.level": "박스 크기로 FPN 레벨 선택 (LevelMapper)",
    "masks.step.level.value": "√(w·h) = {side:.1f} px → k = ⌊4 + log2({side:.1f}/224)⌋ = ⌊{raw:.2f}⌋ → "
                              "**{level}** (셀 1개 = {stride:g} px)",
    "masks.step.pool": "박스를 고정 격자로 RoIAlign (mask_roi_pool)",
    "masks.step.pool.value": "채널 {channels}개 × {size}×{size}, 값 {low:.2f} … {high:.2f}",
    "masks.step.logits": "3×3 합성곱 4개, 2×2 전치 합성곱, 클래스별 1×1 합성곱 (mask_head, mask_predictor)",
    "masks.step.logits.value": "클래스 **{name}**의 {size}×{size} 로짓, {low:.2f} … {high:.2f}",
    "masks.step.sigmoid": "픽셀마다 시그모이드 (maskrcnn_inference)",
    "masks.step.sigmoid.value": "셀 {cells}개 중 {above}개가 0.5 초과",
    "masks.step.paste": "이미지에 붙여 넣기 (paste_masks_in_image)",
    "masks.step.paste.value": "{padded}×{padded}로 패딩, 박스 {box} × {scale:.4f} = {expanded} → {pixel_box} → "
                              "{h}×{w} px로 크기 조정, {region}으로 잘라냄",
    "masks.step.threshold": "임곗값 (모델 밖의 단계)",
    "masks.step.threshold.value": "확률 > {threshold:.2f}: 픽셀 **{pixels}**개",
    "masks.level_title": "{level} 위: {size}×{size} bin, bin마다 점 {samples}개",
    "masks.head_title": "마스크 헤드: 풀링된 특징 → 로짓 → 확률",
    "masks.panel.pooled": "14×14 특징<br>(채널 평균)",
    "masks.panel.logits": "28×28 로짓<br>클래스 {name}",
    "masks.panel.sigmoid": "시그모이드 (0 … 1)",
    "masks.paste_title": "붙여 넣기: 박스(흰색), 넓힌 박스(파란 점선)",
    "masks.panel.pasted": "확률 (이미지 픽셀)",
    "masks.panel.binary": "마스크 > {threshold:.2f}",
    "masks.why_title": "왜 RoIAlign인가: 마스크 격자 위에서 RoIPool의 반올림",
    "masks.why_explain": "같은 박스를 같은 격자로 두 가지 방법으로 풀링합니다. **RoIPool**(Fast R-CNN)은 박스를 "
                         "정수 특징 셀로 반올림하고 floor/ceil로 bin을 나누므로, bin마다 반올림된 셀에서 특징을 "
                         "가져옵니다. **RoIAlign**은 박스를 그대로 두고 bin마다 고르게 놓인 점에서 샘플링합니다. "
                         "아래 값은 RoIPool bin의 중심이 RoIAlign bin의 중심(주황 × 와 파란 점)에서 얼마나 떨어져 "
                         "있는지를 이 이미지의 픽셀로 보여 주고, 이 박스의 28×28 마스크 셀 하나의 크기와 "
                         "나란히 둡니다. 셀 하나 이상 어긋나면 마스크의 경계가 밀립니다.",
    "masks.mis.level": "레벨 · 특징 셀 하나",
    "masks.mis.box": "박스 (x1, y1, x2, y2)",
    "masks.mis.pool_box": "RoIPool이 반올림한 박스 (픽셀로 되돌림)",
    "masks.mis.edges": "반올림 − 원래 값, 변마다",
    "masks.mis.max": "bin 중심의 최대 어긋남",
    "masks.mis.mean": "bin 중심의 평균 어긋남",
    "masks.mis.cell": "28×28 마스크 셀 하나",
    "masks.mis.bin": "14×14 bin 하나",
    "masks.mis.ratio": "최대 어긋남 (마스크 셀 단위)",
    "masks.mis.empty": "셀이 없는 RoIPool bin (출력 0)",
    "masks.mis.reading": "RoIPool은 이 박스의 특징을 최대 **{max:.1f} px** 옮깁니다. 마스크 셀 하나는 "
                         "**{cell:.1f} px**이니 **마스크 셀 {ratio:.1f}개**만큼입니다.",
    "masks.mis.title": "이미지 위의 bin 중심 ({level})",
    "masks.mis.align": "RoIAlign bin 중심",
    "masks.mis.pool": "RoIPool bin 중심",
    "masks.conventions": "**torchvision이 글(seed 004)과 다른 점.**\n\n1. torchvision의 MultiScaleRoIAlign은 "
                         "`roi_align`을 `aligned=False`로 부릅니다. 나중에 나온 \"aligned\" RoIAlign의 −0.5 픽셀 "
                         "이동을 적용하지 않으므로 특징 셀 j는 좌표 j에 있습니다.\n2. `sampling_ratio=2`: bin마다 "
                         "2×2 샘플 점을 **평균**합니다 (글은 최댓값 또는 평균이라고 합니다).\n3. 마스크 브랜치는 "
                         "**14×14**로 풀링하고 (박스 헤드는 7×7), stride 2 전치 합성곱이 **28×28** 마스크를 "
                         "만듭니다. 마스크는 클래스마다 하나이고 검출된 클래스의 것만 쓰며, 클래스들에 대한 "
                         "소프트맥스가 아니라 픽셀마다 **시그모이드**를 씁니다.\n4. 레벨은 "
                         "⌊4 + log2(√(w·h)/224) + 10⁻⁶⌋을 P2–P5로 자른 값이고, 박스는 크기 조정된 이미지 "
                         "기준입니다.\n5. RoIPool은 0.5를 0에서 먼 쪽으로 반올림하고 (C의 `round`, 파이썬과 "
                         "다름) bin은 floor/ceil을 써서 이웃 bin이 셀을 함께 쓸 수 있습니다.\n6. 붙여 넣기는 "
                         "28×28에 변마다 0인 셀 하나를 덧대고 (30×30), 박스를 중심 기준으로 30/28배 넓히고, 정수 "
                         "픽셀로 자른 뒤 쌍선형으로 크기를 바꿉니다. torchvision은 확률을 돌려주고 0.5 임곗값은 "
                         "그 뒤에 적용됩니다.",
}
