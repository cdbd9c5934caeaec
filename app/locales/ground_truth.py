"""Strings of the ground-truth views (annotations, anchor labels, recall, the funnel, TP/FP/FN, losses), English and
Korean; the Korean of the engine's annotation and loss messages (their English lives in inspectors/errors.py)."""

EN: dict[str, str] = {}

KO: dict[str, str] = {
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
    # engine messages: losses
    "engine.losses.multiscale": "이 모델은 여러 크기로 학습합니다 (min_size {sizes}). 손실은 분석한 크기({size})에서 "
                                "계산합니다.",
    "engine.losses.dropout": "이 모델의 {where}에 드롭아웃이 있습니다. 학습 단계라면 추론 때 저장한 특징에 드롭아웃을 "
                             "적용하겠지만, 여기의 손실은 드롭아웃 없이 계산한 값입니다.",
}
