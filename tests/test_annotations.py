"""Annotation files: COCO JSON and Pascal VOC XML become boxes and names; every bad file is a coded InputError."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from inspectors import GroundTruth, InputError, load_annotations
from inspectors.ground_truth.annotations import parse_annotations

ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "sample_images" / "shapes_annotations.json"
PHOTOS = ROOT / "sample_images" / "photos_annotations.json"


def coco(images=None, annotations=None, categories=None) -> dict:
    return {
        "images": images if images is not None else [{"id": 7, "file_name": "dir/cat.jpg", "width": 200,
                                                      "height": 100}],
        "annotations": annotations if annotations is not None else [
            {"id": 1, "image_id": 7, "category_id": 3, "bbox": [10, 20, 30, 40], "area": 900.0, "iscrowd": 0},
        ],
        "categories": categories if categories is not None else [{"id": 3, "name": "cat"}, {"id": 5, "name": "dog"}],
    }


def write(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


VOC = """<annotation>
  <filename>street.jpg</filename>
  <size><width>320</width><height>240</height><depth>3</depth></size>
  <object><name>person</name><difficult>0</difficult>
    <bndbox><xmin>11</xmin><ymin>21</ymin><xmax>60</xmax><ymax>200</ymax></bndbox></object>
  <object><name>car</name><difficult>1</difficult>
    <bndbox><xmin>100.5</xmin><ymin>50</ymin><xmax>300</xmax><ymax>150</ymax></bndbox></object>
</annotation>"""


# ---- what good files give -----------------------------------------------------------------------------------
def test_coco_boxes_are_x1y1x2y2_in_original_pixels_with_names():
    gt = load_annotations(coco())
    assert isinstance(gt, GroundTruth)
    np.testing.assert_array_equal(gt.boxes, [[10, 20, 40, 60]])
    assert gt.names == ("cat",) and gt.ids == (1,)
    assert gt.image_size == (100, 200) and gt.image_name == "dir/cat.jpg"
    assert gt.object_areas.tolist() == [900.0]  # COCO's area (the segment's), as COCOeval uses it
    assert gt.warnings == ()


def test_the_sample_scene_is_found_by_the_basename_of_its_path(tmp_path):
    gt = load_annotations(str(SHAPES), image=ROOT / "sample_images" / "shapes_12.png")
    data = json.loads(SHAPES.read_text())
    image_id = next(im["id"] for im in data["images"] if im["file_name"] == "shapes_12.png")
    expected = [a for a in data["annotations"] if a["image_id"] == image_id]
    assert len(gt) == len(expected) > 0
    x, y, w, h = expected[0]["bbox"]
    np.testing.assert_allclose(gt.boxes[0], [x, y, x + w, y + h])
    assert load_annotations(SHAPES, image="SHAPES_12.PNG").names == gt.names  # pathlib.Path and any case


def test_voc_uses_the_devkit_convention_and_difficult_objects_are_ignore_regions(tmp_path):
    gt = load_annotations(write(tmp_path, "street.xml", VOC), image="/photos/street.jpg")
    np.testing.assert_array_equal(gt.boxes, [[10, 20, 60, 200]])  # 1-based inclusive → x1 = xmin − 1
    assert gt.names == ("person",) and gt.image_size == (240, 320) and gt.format == "voc"
    np.testing.assert_array_equal(gt.ignore_boxes, [[99.5, 49, 300, 150]])
    assert gt.ignore_names == ("car",) and [w.code for w in gt.warnings] == ["annotations.difficult"]


def test_crowd_annotations_are_ignore_regions_not_objects():
    gt = load_annotations(coco(annotations=[
        {"id": 1, "image_id": 7, "category_id": 3, "bbox": [10, 20, 30, 40], "iscrowd": 0},
        {"id": 2, "image_id": 7, "category_id": 5, "bbox": [0, 0, 100, 50], "iscrowd": 1},
    ]))
    assert gt.names == ("cat",) and gt.ignore_names == ("dog",) and gt.ignore_crowd.tolist() == [True]
    assert [w.code for w in gt.warnings] == ["annotations.crowd"]


def test_mapping_to_a_model_keeps_known_names_and_says_what_it_left_out():
    gt = GroundTruth.from_boxes([[0, 0, 10, 10], [5, 5, 20, 20], [1, 1, 4, 4]], ["Dining_Table", "cat", "unicorn"])
    mapped = gt.for_model(["__background__", "cat", "dining table", "N/A"])
    assert mapped.names == ("Dining_Table", "cat") and mapped.labels.tolist() == [2, 1]
    assert mapped.categories_unknown == ("unicorn",)
    codes = {w.code: w for w in mapped.warnings}
    assert codes["annotations.unknown_names"].params == {"dropped": 1, "names": "unicorn", "kept": 2}
    assert "unicorn" in str(codes["annotations.unknown_names"]) and "2 kept" in str(codes["annotations.unknown_names"])
    assert "Dining_Table → dining table" in str(codes["annotations.names_matched_loosely"])
    assert gt.for_model(["__background__", "N/A"]).labels.tolist() == []  # "N/A" is never a class


# ---- boxes that are dropped or changed: warnings that say what was kept -----------------------------------------
def test_degenerate_boxes_are_left_out_with_a_warning():
    gt = load_annotations(coco(annotations=[
        {"id": 1, "image_id": 7, "category_id": 3, "bbox": [10, 20, 30, 40]},
        {"id": 2, "image_id": 7, "category_id": 3, "bbox": [10, 20, 0, 40]},
        {"id": 3, "image_id": 7, "category_id": 3, "bbox": [10, 20, 5, -1]},
    ]))
    assert len(gt) == 1
    (warning,) = gt.warnings
    assert warning.code == "annotations.degenerate" and warning.params == {"count": 2, "ids": "2, 3", "kept": 1}


def test_boxes_outside_the_image_are_clipped_or_left_out():
    gt = load_annotations(coco(annotations=[
        {"id": 1, "image_id": 7, "category_id": 3, "bbox": [-10, 20, 30, 40]},  # reaches past the left border
        {"id": 2, "image_id": 7, "category_id": 3, "bbox": [190, 90, 30, 40]},  # bottom-right corner
        {"id": 3, "image_id": 7, "category_id": 3, "bbox": [250, 20, 30, 40]},  # entirely outside (width 200)
    ]))
    np.testing.assert_array_equal(gt.boxes, [[0, 20, 20, 60], [190, 90, 200, 100]])
    codes = {w.code: w.params for w in gt.warnings}
    assert codes["annotations.clipped"]["count"] == 2 and codes["annotations.outside"]["ids"] == "3"


def test_unreadable_entries_are_left_out_with_a_warning():
    gt = load_annotations(coco(annotations=[
        {"id": 1, "image_id": 7, "category_id": 3, "bbox": [10, 20, 30]},
        {"id": 2, "image_id": 7, "category_id": 99, "bbox": [10, 20, 30, 40]},
        {"id": 3, "image_id": 7, "category_id": 3, "bbox": ["10", 20, 30, 40]},
        {"id": 4, "image_id": 7, "category_id": 3, "bbox": [10, 20, 30, 40]},
    ]))
    assert len(gt) == 1
    (warning,) = gt.warnings
    assert warning.code == "annotations.bad_entries" and warning.params["count"] == 3
    assert "bbox" in warning.params["example"]


def test_a_crowd_only_file_has_no_objects_to_find_and_says_so():
    gt = load_annotations(coco(annotations=[
        {"id": 1, "image_id": 7, "category_id": 3, "bbox": [10, 20, 30, 40], "iscrowd": 1}]))
    assert len(gt) == 0 and gt.ignore_boxes.shape == (1, 4)
    assert [w.code for w in gt.warnings] == ["annotations.crowd", "annotations.no_objects"]


# ---- files that cannot be used: coded InputErrors, never a traceback ------------------------------------------
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<annotation><filename>&lol3;</filename></annotation>"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><annotation><filename>&xxe;</filename></annotation>"""

BAD_FILES = [
    ("malformed.json", '{"images": [', "annotations.bad_json"),
    ("malformed.xml", "<annotation><object></annotation>", "annotations.bad_xml"),
    ("bomb.xml", BILLION_LAUGHS, "annotations.xml_forbidden"),
    ("xxe.xml", XXE, "annotations.xml_forbidden"),
    ("empty.json", "", "annotations.empty"),
    ("blank.xml", "  \n\t ", "annotations.empty"),
    ("photo.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "annotations.not_text"),
    ("latin1.json", '{"x": "caf\xe9"}'.encode("latin-1"), "annotations.not_text"),
    ("notes.txt", "person 10 20 30 40", "annotations.unknown_format"),
    ("results.json", [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.9}],
     "annotations.bad_schema"),
    ("labelme.json", {"shapes": [], "imagePath": "cat.jpg"}, "annotations.bad_schema"),
    ("images_not_list.json", {"images": {}, "annotations": [], "categories": []}, "annotations.bad_schema"),
    ("nameless.json", coco(categories=[{"id": 3}]), "annotations.bad_schema"),
    ("other_root.xml", "<svg><rect/></svg>", "annotations.bad_schema"),
    ("another_image.json", coco(images=[{"id": 7, "file_name": "dog.jpg"}]), "annotations.image_not_found"),
    ("no_images.json", coco(images=[]), "annotations.no_images"),
    ("voc_other.xml", VOC, "annotations.other_image"),
]


@pytest.mark.parametrize("name,content,code", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_annotation_files_are_readable_input_errors(tmp_path, name, content, code):
    path = write(tmp_path, name, content)
    with pytest.raises(InputError) as info:
        load_annotations(path, image="cat.jpg")
    assert info.value.code == code
    message = str(info.value)
    assert not re.search(r"\{[a-z_]+[^}]*\}", message), "every template value is filled in"
    assert name in message  # every message names the file it is about


def test_more_fatal_cases_each_have_their_own_code(tmp_path):
    with pytest.raises(InputError, match="No annotation file") as info:
        load_annotations(tmp_path / "nope.json")
    assert info.value.code == "annotations.missing"
    with pytest.raises(InputError) as info:
        load_annotations(tmp_path)  # a folder
    assert info.value.code == "annotations.missing"
    two = coco(images=[{"id": 1, "file_name": "a.jpg"}, {"id": 2, "file_name": "b.jpg"}])
    with pytest.raises(InputError) as info:
        load_annotations(two)
    assert info.value.code == "annotations.which_image" and "a.jpg, b.jpg" in str(info.value)
    same_name = coco(images=[{"id": 1, "file_name": "x/a.jpg"}, {"id": 2, "file_name": "y/a.jpg"}])
    with pytest.raises(InputError) as info:
        load_annotations(same_name, image="a.jpg")
    assert info.value.code == "annotations.ambiguous_image"
    big = write(tmp_path, "big.json", coco())
    with pytest.raises(InputError) as info:
        load_annotations(big, max_bytes=10)
    assert info.value.code == "annotations.too_large"
    with pytest.raises(InputError) as info:
        load_annotations(42)  # type: ignore[arg-type]
    assert info.value.code == "annotations.unsupported_type"
    deep = write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError) as info:
        load_annotations(deep)
    assert info.value.code in ("annotations.bad_json", "annotations.bad_schema")


def test_the_image_size_must_be_the_one_the_file_was_made_for():
    gt = load_annotations(coco())  # 200 × 100
    assert gt.fit_to_image(100, 200) is not None
    with pytest.raises(InputError) as info:
        gt.fit_to_image(100, 150)
    assert info.value.code == "annotations.size_mismatch" and "200×100" in str(info.value)
    with pytest.raises(InputError) as info:
        gt.fit_to_image(200, 100)  # the same photo turned by 90° (an EXIF rotation)
    assert info.value.code == "annotations.size_rotated"


def test_uploads_can_be_parsed_from_bytes_and_bom_is_accepted():
    data = b"\xef\xbb\xbf" + json.dumps(coco()).encode()
    assert parse_annotations(data, name="upload.json").names == ("cat",)
    assert parse_annotations(VOC.encode("utf-16"), name="street.xml").names == ("person",)


def test_a_warning_is_a_code_with_values_and_an_english_message():
    gt = GroundTruth.from_boxes([[0, 0, 10, 10]], ["cat"]).for_model(["__background__", "dog"])
    (warning,) = gt.warnings
    assert warning.to_dict() == {"code": "annotations.unknown_names",
                                 "params": {"dropped": 1, "names": "cat", "kept": 0},
                                 "message": str(warning)}
    json.dumps(gt.to_dict())


def test_the_photographs_have_hand_made_ground_truth_with_coco_names():
    from torchvision.models.detection import FasterRCNN_ResNet50_FPN_Weights

    coco_names = FasterRCNN_ResNet50_FPN_Weights.COCO_V1.meta["categories"]
    expected = {"astronaut.png": ("person",), "chelsea.png": ("cat",),
                "coffee.png": ("cup", "spoon", "dining table"), "rocket.jpg": ("rocket",)}
    for image, names in expected.items():
        gt = load_annotations(PHOTOS, image=ROOT / "sample_images" / image)
        assert gt.names == names and not gt.warnings, image
        from PIL import Image

        with Image.open(ROOT / "sample_images" / image) as im:
            assert gt.image_size == (im.height, im.width)
        mapped = gt.for_model(coco_names)
        if image == "rocket.jpg":  # on purpose: a class a COCO model does not know
            assert len(mapped) == 0 and mapped.categories_unknown == ("rocket",)
        else:
            assert mapped.names == names and not mapped.warnings, image
