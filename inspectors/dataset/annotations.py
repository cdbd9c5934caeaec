"""A dataset's ground truth: a COCO JSON file (many images) or a Pascal VOC folder, as per-image arrays.

Boxes stay as the annotation gives them, COCO's [x, y, w, h] in original-image pixels and float64, because the
evaluation computes IoU from exactly these numbers, as pycocotools does. VOC boxes (1-based, inclusive pixel
indices) become [xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1], the convention of detectron2 and
torchvision's references; a VOC object marked `difficult` becomes an ignore region evaluated as a COCO crowd
region (detections on it are neither hits nor misses), as the single-image ground truth
(inspectors.ground_truth.annotations) treats it.

Images are matched to the files the user gave by relative path, then by path suffix, then by unique base name.

Masks (for Mask R-CNN's segm metrics): each COCO annotation's `segmentation` (polygons, uncompressed or compressed
RLE) is kept as one compressed RLE of its image (pycocotools' annToRLE; inspectors.evaluation.masks), an
unreadable one is an InputError naming the image and the annotation. They are drawn once the image's size is known
and checked against its file (`with_masks_drawn`, at capture, before any model work). VOC has no masks.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np

from inspectors.core.errors import InputError
from inspectors.evaluation.masks import MaskError, Rle, segmentation_rle

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class ImageGroundTruth:
    image_id: int
    file_name: str  # as written in the annotations
    width: int
    height: int
    bbox: np.ndarray  # (G, 4) float64 [x, y, w, h], original pixels
    category_id: np.ndarray  # (G,) int64, the dataset's category ids
    area: np.ndarray  # (G,) float64, the annotation's area (COCO's size ranges use it)
    iscrowd: np.ndarray  # (G,) bool: an ignore region (COCO crowd, VOC difficult)
    ann_id: np.ndarray  # (G,) int64
    # (G,) each annotation's mask as the counts of a compressed RLE of the (height, width) image, b"" where it has
    # none; None when the annotations give no masks for this image (VOC, box-only COCO).
    masks: Optional[tuple[bytes, ...]] = None
    # (G,) the raw segmentations while the image size is unknown (with_masks_drawn draws them into `masks`)
    pending_masks: Optional[tuple[Any, ...]] = None

    def __len__(self) -> int:
        return int(self.bbox.shape[0])

    def mask_rles(self) -> Optional[list[Optional[Rle]]]:
        """Each annotation's mask as a compressed RLE (None where it has none); None when there are no masks."""
        if self.masks is None:
            return None
        return [{"size": [self.height, self.width], "counts": c} if c else None for c in self.masks]

    def with_masks_drawn(self) -> "ImageGroundTruth":
        """Polygons waiting for the image size drawn now that width and height are known."""
        if self.pending_masks is None or not (self.width and self.height):
            return self
        return replace(self, masks=_drawn_masks(self.pending_masks, self.height, self.width, self.file_name,
                                                self.ann_id), pending_masks=None)

    @property
    def boxes_xyxy(self) -> np.ndarray:
        b = self.bbox
        return np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], axis=1) if len(b) else np.zeros((0, 4))


@dataclass(frozen=True)
class GroundTruthSet:
    source: str  # "coco" or "voc"
    path: str
    categories: tuple[tuple[int, str], ...]  # (id, name), by id
    images: tuple[ImageGroundTruth, ...]  # by image id

    @property
    def category_names(self) -> dict[int, str]:
        return dict(self.categories)

    def fingerprint(self) -> str:
        """A hash of the ground truth itself (not of the file's formatting)."""
        digest = hashlib.sha256()
        digest.update(json.dumps([self.source, list(self.categories)]).encode())
        for image in self.images:
            digest.update(json.dumps([image.image_id, image.file_name, image.width, image.height]).encode())
            for array in (image.bbox, image.category_id, image.area, image.iscrowd, image.ann_id):
                digest.update(np.ascontiguousarray(array).tobytes())
            if image.masks is not None or image.pending_masks is not None:  # (box-only files: as before)
                digest.update(json.dumps([c.decode("ascii") for c in image.masks] if image.masks is not None
                                         else repr(image.pending_masks)).encode())
        return digest.hexdigest()


def load_dataset_annotations(path: Union[str, Path]) -> GroundTruthSet:
    """A COCO JSON file, or a VOC folder (with an Annotations/ subfolder, or the .xml files themselves)."""
    path = Path(path)
    if path.is_dir():
        return _load_voc(path)
    if not path.is_file():
        raise InputError("dataset.annotations_missing", path=str(path))
    return _load_coco(path)


# ---- COCO --------------------------------------------------------------------------------------------------------
def _load_coco(path: Path) -> GroundTruthSet:
    from pycocotools.coco import COCO

    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError("dataset.annotations_unreadable", name=path.name, reason=str(e)) from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in ("images", "categories")):
        raise InputError("dataset.not_coco", name=path.name)
    data.setdefault("annotations", [])
    try:
        coco = COCO()
        coco.dataset = data
        with contextlib.redirect_stdout(io.StringIO()):
            coco.createIndex()
        categories = tuple(sorted((int(c["id"]), str(c["name"])) for c in data["categories"]))
        images = []
        for image_id in sorted(coco.imgs):
            info = coco.imgs[image_id]
            anns = coco.imgToAnns.get(image_id, [])
            bbox = np.array([[float(v) for v in a["bbox"]] for a in anns], dtype=np.float64).reshape(-1, 4)
            segmentations = [a.get("segmentation") for a in anns]
            ann_ids = np.array([int(a.get("id", 0)) for a in anns], dtype=np.int64)
            with_masks = any(_has_segmentation(seg) for seg in segmentations)
            images.append(ImageGroundTruth(
                image_id=int(image_id),
                file_name=str(info["file_name"]),
                width=int(info.get("width") or 0),
                height=int(info.get("height") or 0),
                bbox=bbox,
                category_id=np.array([int(a["category_id"]) for a in anns], dtype=np.int64),
                # pycocotools reads "area" for the size ranges; a hand-made file without it gets the box's area.
                area=np.array([float(a["area"]) if "area" in a else float(a["bbox"][2]) * float(a["bbox"][3])
                               for a in anns], dtype=np.float64),
                iscrowd=np.array([bool(a.get("iscrowd", 0)) for a in anns], dtype=bool),
                ann_id=ann_ids,
                pending_masks=tuple(segmentations) if with_masks else None,  # drawn once the size is checked
            ))
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise InputError("dataset.not_coco_detail", name=path.name, reason=f"{type(e).__name__}: {e}") from None
    known = {c for c, _ in categories}
    for image in images:
        unknown = set(image.category_id.tolist()) - known
        if unknown:
            raise InputError("dataset.unknown_category", name=path.name, ids=", ".join(map(str, sorted(unknown))))
    return GroundTruthSet("coco", str(path), categories, tuple(images))


def _has_segmentation(segmentation: Any) -> bool:
    return segmentation is not None and not (isinstance(segmentation, (list, tuple)) and not segmentation)


def _drawn_masks(segmentations: Sequence[Any], height: int, width: int, file_name: str, ann_ids: np.ndarray
                 ) -> tuple[bytes, ...]:
    out = []
    for segmentation, ann_id in zip(segmentations, ann_ids):
        if not _has_segmentation(segmentation):
            out.append(b"")
            continue
        try:
            out.append(bytes(segmentation_rle(segmentation, height, width)["counts"]))
        except MaskError as e:
            raise InputError("dataset.bad_mask", name=file_name, id=int(ann_id), reason=str(e)) from None
    return tuple(out)


# ---- Pascal VOC --------------------------------------------------------------------------------------------------
def _load_voc(folder: Path) -> GroundTruthSet:
    from defusedxml import ElementTree

    xml_dir = folder / "Annotations" if (folder / "Annotations").is_dir() else folder
    files = sorted(xml_dir.glob("*.xml"))
    if not files:
        raise InputError("dataset.voc_empty", path=str(folder))
    parsed = []
    for file in files:
        try:
            root = ElementTree.parse(str(file)).getroot()
            size = root.find("size")
            width = int(float(size.findtext("width"))) if size is not None else 0
            height = int(float(size.findtext("height"))) if size is not None else 0
            objects = []
            for obj in root.findall("object"):
                box = obj.find("bndbox")
                xmin, ymin, xmax, ymax = (float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
                difficult = (obj.findtext("difficult") or "0").strip() in ("1", "true")
                objects.append((obj.findtext("name").strip(), xmin, ymin, xmax, ymax, difficult))
            name = (root.findtext("filename") or file.stem + ".jpg").strip()
        except Exception as e:  # ParseError, a missing tag, a number that is not one; defusedxml's refusals
            raise InputError("dataset.voc_unreadable", name=file.name, reason=f"{type(e).__name__}: {e}") from None
        parsed.append((name, width, height, objects))
    names = sorted({o[0] for _, _, _, objects in parsed for o in objects})
    category_of = {n: i + 1 for i, n in enumerate(names)}
    images, ann_id = [], 1
    for image_id, (name, width, height, objects) in enumerate(parsed, start=1):
        # 1-based inclusive pixel indices → continuous [x, y, w, h] (detectron2's and torchvision's convention)
        bbox = np.array([[x0 - 1.0, y0 - 1.0, x1 - x0 + 1.0, y1 - y0 + 1.0] for _, x0, y0, x1, y1, _ in objects],
                        dtype=np.float64).reshape(-1, 4)
        images.append(ImageGroundTruth(
            image_id=image_id, file_name=name, width=width, height=height, bbox=bbox,
            category_id=np.array([category_of[o[0]] for o in objects], dtype=np.int64),
            area=bbox[:, 2] * bbox[:, 3],
            iscrowd=np.array([o[5] for o in objects], dtype=bool),  # difficult: an ignore region
            ann_id=np.arange(ann_id, ann_id + len(objects), dtype=np.int64),
        ))
        ann_id += len(objects)
    return GroundTruthSet("voc", str(folder), tuple((i, n) for n, i in category_of.items()), tuple(images))


# ---- images -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MatchedImages:
    ground_truth: tuple[ImageGroundTruth, ...]  # the images that will be captured, by image id
    paths: tuple[Path, ...]  # their files
    names: tuple[str, ...]  # a stable name per image: its path relative to the images folder
    missing: tuple[str, ...]  # annotated images with no file
    unannotated: int  # files that the annotations do not mention


def list_image_files(images: Union[str, Path, Sequence[Union[str, Path]]]) -> tuple[Path | None, list[Path]]:
    """(the folder or None, the image files) of a folder (searched recursively) or a list of paths."""
    if isinstance(images, (str, Path)):
        folder = Path(images)
        if not folder.is_dir():
            raise InputError("dataset.images_missing", path=str(folder))
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        return folder, files
    files = [Path(p) for p in images]
    for file in files:
        if not file.is_file():
            raise InputError("image.missing", path=str(file))
    return None, files


def match_images(ground_truth: GroundTruthSet, folder: Path | None, files: Iterable[Path]) -> MatchedImages:
    files = list(files)
    relative = {(_relative(f, folder)): f for f in files}
    by_base: dict[str, list[Path]] = {}
    for file in files:
        by_base.setdefault(file.name, []).append(file)
    chosen, paths, names, missing, used = [], [], [], [], set()
    for image in ground_truth.images:
        wanted = image.file_name.replace("\\", "/").lstrip("./")
        path = relative.get(wanted)
        if path is None:
            suffix = [f for rel, f in relative.items() if rel.endswith("/" + wanted) or wanted.endswith("/" + rel)]
            path = suffix[0] if len(suffix) == 1 else None
        if path is None:
            same_name = by_base.get(wanted.rsplit("/", 1)[-1], [])
            path = same_name[0] if len(same_name) == 1 else None
        if path is None or path in used:
            missing.append(image.file_name)
            continue
        used.add(path)
        chosen.append(image)
        paths.append(path)
        names.append(_relative(path, folder))
    if not chosen:
        raise InputError("dataset.no_images_matched", annotations=Path(ground_truth.path).name,
                         example=ground_truth.images[0].file_name if ground_truth.images else "-")
    return MatchedImages(tuple(chosen), tuple(paths), tuple(names), tuple(missing), len(files) - len(used))


def _relative(path: Path, folder: Path | None) -> str:
    if folder is not None:
        try:
            return path.relative_to(folder).as_posix()
        except ValueError:
            pass
    return path.name


# ---- classes -----------------------------------------------------------------------------------------------------
def map_categories(ground_truth: GroundTruthSet, model_categories: Sequence[str]) -> tuple[dict[int, int], str]:
    """{dataset category id: model label} and how it was decided: "name" (the same class names, ignoring case,
    spaces and underscores) or "order" (a model with numbered classes "class_1"… and as many classes as the
    dataset: the i-th dataset category by id is label i)."""
    def key(name: str) -> str:
        return name.strip().lower().replace("_", " ").replace("-", " ")

    labels: dict[str, int] = {}
    for label, name in enumerate(model_categories):
        if label > 0:
            labels.setdefault(key(name), label)
    mapping = {cid: labels[key(name)] for cid, name in ground_truth.categories if key(name) in labels}
    if mapping:
        return mapping, "name"
    numbered = all(name == f"class_{i}" for i, name in enumerate(model_categories) if i > 0)
    if numbered and len(model_categories) - 1 == len(ground_truth.categories):
        return {cid: i + 1 for i, (cid, _) in enumerate(ground_truth.categories)}, "order"
    raise InputError("dataset.no_shared_classes",
                     dataset=", ".join(n for _, n in ground_truth.categories[:8]),
                     model=", ".join(list(model_categories)[1:9]))
