"""Dataset ground truth: COCO files and Pascal VOC folders become per-image arrays; images are matched by name;
the dataset's classes are matched to the model's; bad input gets a coded message."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from inspectors import InputError
from inspectors.dataset.annotations import list_image_files, load_dataset_annotations, map_categories, match_images
from inspectors.dataset.demo import demo_dataset

pytestmark = [pytest.mark.slow, pytest.mark.dataset]

VOC = """<annotation><filename>{name}</filename><size><width>64</width><height>48</height><depth>3</depth></size>
<object><name>dog</name><difficult>0</difficult><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>10</xmax><ymax>20</ymax>
</bndbox></object>
<object><name>cat</name><difficult>1</difficult><bndbox><xmin>11</xmin><ymin>12</ymin><xmax>30</xmax><ymax>40</ymax>
</bndbox></object></annotation>"""


def test_voc_folder(tmp_path):
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "JPEGImages").mkdir()
    for name in ("a", "b"):
        (tmp_path / "Annotations" / f"{name}.xml").write_text(VOC.format(name=f"{name}.jpg"))
        Image.new("RGB", (64, 48)).save(tmp_path / "JPEGImages" / f"{name}.jpg")
    gt = load_dataset_annotations(tmp_path)
    assert gt.source == "voc" and gt.categories == ((1, "cat"), (2, "dog"))
    first = gt.images[0]
    assert first.file_name == "a.jpg" and (first.width, first.height) == (64, 48)
    # 1-based inclusive pixels → continuous [x, y, w, h]
    assert np.array_equal(first.bbox[0], [0.0, 1.0, 10.0, 19.0])
    assert list(first.category_id) == [2, 1] and list(first.iscrowd) == [False, True]  # difficult: ignore region
    folder, files = list_image_files(tmp_path / "JPEGImages")
    matched = match_images(gt, folder, files)
    assert [p.name for p in matched.paths] == ["a.jpg", "b.jpg"]
    mapping, how = map_categories(gt, ["__background__", "Dog", "bird"])
    assert mapping == {2: 1} and how == "name"


def test_voc_hostile_xml_is_refused(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            "<annotation><filename>&lol2;</filename></annotation>")
    (tmp_path / "bomb.xml").write_text(bomb)
    with pytest.raises(InputError) as error:
        load_dataset_annotations(tmp_path)
    assert error.value.code == "dataset.voc_unreadable"


def test_coco_file_and_matching_by_path(tmp_path):
    images, annotations = demo_dataset(3, tmp_path / "demo")
    gt = load_dataset_annotations(annotations)
    assert gt.source == "coco" and [c[1] for c in gt.categories] == ["circle", "rectangle", "triangle"]
    assert [im.image_id for im in gt.images] == [1, 2, 3]
    raw = json.loads(annotations.read_text())
    first = [a for a in raw["annotations"] if a["image_id"] == 1]
    assert np.array_equal(gt.images[0].bbox, np.array([a["bbox"] for a in first], dtype=np.float64))
    # file names with a folder prefix still match the files
    raw["images"][0]["file_name"] = "val2026/" + raw["images"][0]["file_name"]
    (tmp_path / "prefixed.json").write_text(json.dumps(raw))
    matched = match_images(load_dataset_annotations(tmp_path / "prefixed.json"), *list_image_files(images))
    assert len(matched.paths) == 3 and not matched.missing


def test_numbered_model_classes_map_by_order(tmp_path):
    _, annotations = demo_dataset(1, tmp_path / "demo")
    numbered = ["__background__", "class_1", "class_2", "class_3"]
    mapping, how = map_categories(load_dataset_annotations(annotations), numbered)
    assert how == "order" and mapping == {1: 1, 2: 2, 3: 3}


@pytest.mark.parametrize("content, code", [
    ("not json", "dataset.annotations_unreadable"),
    ('{"images": []}', "dataset.not_coco"),
    ('{"images": [{"id": 1}], "categories": [], "annotations": []}', "dataset.not_coco_detail"),
    ('{"images": [{"id": 1, "file_name": "a.png"}], "categories": [{"id": 1, "name": "a"}], '
     '"annotations": [{"id": 1, "image_id": 1, "category_id": 9, "bbox": [0, 0, 1, 1]}]}', "dataset.unknown_category"),
])
def test_bad_coco_files(tmp_path, content, code):
    (tmp_path / "a.json").write_text(content)
    with pytest.raises(InputError) as error:
        load_dataset_annotations(tmp_path / "a.json")
    assert error.value.code == code


def test_no_shared_classes_and_no_matching_images(tmp_path):
    images, annotations = demo_dataset(1, tmp_path / "demo")
    gt = load_dataset_annotations(annotations)
    with pytest.raises(InputError) as error:
        map_categories(gt, ["__background__", "cat", "dog"])
    assert error.value.code == "dataset.no_shared_classes"
    (tmp_path / "empty").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "empty" / "other.png")
    with pytest.raises(InputError) as error:
        match_images(gt, *list_image_files(tmp_path / "empty"))
    assert error.value.code == "dataset.no_images_matched"


def test_demo_dataset_is_seeded_and_cached(tmp_path):
    images, annotations = demo_dataset(2, tmp_path / "a")
    again_images, again = demo_dataset(2, tmp_path / "b")
    assert annotations.read_text() == again.read_text()
    for path in sorted(images.glob("*.png")):
        assert np.array_equal(np.asarray(Image.open(path)), np.asarray(Image.open(again_images / path.name)))
    before = (images / "val_9091_00000.png").stat().st_mtime_ns
    demo_dataset(3, tmp_path / "a")  # one more scene: the first two are reused
    assert (images / "val_9091_00000.png").stat().st_mtime_ns == before
    assert len(json.loads((tmp_path / "a" / "annotations_3.json").read_text())["images"]) == 3
