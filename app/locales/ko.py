"""한국어 UI 문자열: 영어 표와 같은 키. 용어는 국내 자료의 표기를 따른다 (앵커, 제안 영역, 특징 맵, 객체성 …)."""

KO: dict[str, str] = {
    "app.subtitle": "torchvision Faster R-CNN 시각 디버거: 이미지를 올리고 모든 단계를 살펴보세요. "
                    "임계값을 움직이면 결과가 바로 바뀝니다.",
    "status.empty": "이미지를 올리거나 예시를 클릭하세요.",
    "status.ready": "**{model}** · 이미지 {width}×{height} px · 검출 **{detections}**개 · 제안 영역 {proposals}개 · "
                    "모델 실행 {total_ms:.0f} ms",
    "status.detections": "검출 {count}개",
    "input.image": "이미지",
    "input.examples": "예시 (클릭하세요)",
    "input.model": "모델",
    "input.model.info": "데모 모델은 작아서 CPU에서도 빠릅니다. COCO 모델은 가중치를 한 번 내려받습니다.",
    "input.inspect": "분석",
    "input.custom": "사용자 체크포인트",
    "input.custom.load": "체크포인트 불러오기",
    "thresholds.title": "임계값",
    "thresholds.explain": "슬라이더를 움직이면 저장된 단계만 다시 계산합니다. 백본은 다시 실행되지 않습니다.",
    "thresholds.rpn": "RPN (영역 제안 네트워크)",
    "thresholds.roi": "RoI 헤드 (최종 검출)",
    "thresholds.reset": "모델 기본값으로 되돌리기",
    "th.rpn_pre_nms_top_n": "NMS 전 상위 n개 (레벨별)",
    "th.rpn_pre_nms_top_n.info": "NMS 전에 각 FPN 레벨에서 객체성 점수가 가장 높은 앵커 n개를 남깁니다.",
    "th.rpn_nms_thresh": "RPN NMS IoU",
    "th.rpn_nms_thresh.info": "더 좋은 제안 영역과 IoU가 이 값보다 크게 겹치면 제거합니다.",
    "th.rpn_post_nms_top_n": "NMS 후 상위 n개",
    "th.rpn_post_nms_top_n.info": "RoI 헤드로 넘어가는 제안 영역(RoI)의 개수입니다.",
    "th.rpn_score_thresh": "RPN 점수",
    "th.rpn_score_thresh.info": "객체성 확률이 이 값보다 낮은 제안 영역을 버립니다.",
    "th.box_score_thresh": "검출 점수",
    "th.box_score_thresh.info": "클래스 점수가 이 값보다 낮은 검출을 버립니다.",
    "th.box_nms_thresh": "검출 NMS IoU",
    "th.box_nms_thresh.info": "클래스별로, 더 좋은 박스와 IoU가 이 값보다 크게 겹치면 제거합니다.",
    "th.box_detections_per_img": "이미지당 검출 수",
    "th.box_detections_per_img.info": "점수가 높은 순서로 최대 이 개수만 남깁니다.",
    "error.no_image": "먼저 이미지를 올려 주세요.",
    "error.not_an_image": "이 파일은 열 수 있는 이미지가 아닙니다 (JPEG, PNG, WebP, BMP를 사용하세요).",
    "error.model_load": "모델을 불러올 수 없습니다. {reason}",
    "error.no_session": "먼저 이미지를 분석하세요. 아직 다시 계산할 결과가 없습니다 (또는 세션이 캐시에서 만료되었습니다).",
    "tab.overview": "개요",
    "tab.features": "특징 피라미드",
    "tab.anchors": "앵커",
    "tab.objectness": "RPN 객체성",
    "tab.proposals": "제안 영역",
    "tab.roi": "RoI 풀링",
    "tab.detections": "검출 결과",
    "overview.stage.image": "이미지",
    "overview.stage.anchors": "앵커",
    "overview.stage.pre_nms": "NMS 전",
    "overview.stage.proposals": "제안 영역",
    "overview.stage.detections": "검출",
    "overview.frames": "세 가지 좌표계",
    "overview.frame.original": "원본",
    "overview.frame.resized": "크기 조정",
    "overview.frame.padded": "패딩",
    "detections.image_label": "검출 {count}개 · 점수 > {score:g} · NMS IoU {nms:g}",
    "detections.none": "이 임계값에서는 검출이 없습니다. 검출 점수를 낮춰 보세요.",
}


def _feature_tables() -> None:
    from app.locales import teach

    for module in (teach,):
        KO.update(module.KO)


_feature_tables()
