"""A dataset capture on disk, opened: replay any image at any thresholds, evaluate the whole set with COCO metrics.

    dataset = DatasetCapture.open("captures/val")
    metrics = dataset.evaluate(box_score_thresh=0.3, rpn_nms_thresh=0.6)
    metrics.ap, metrics.per_class, metrics.proposal_ar["AR@1000"]

Nothing here runs the model. What each slider costs:
- a final-stage threshold (score, NMS, detections per image): the final stage of every image on the memoised
  per-class candidates (batched_postprocess: the same float32 operations as select_detections, one NMS kernel call
  per image), then the vectorised COCO matching (coco_matching, coco_accumulate);
- an RPN threshold: the proposals of every image from its stored candidates (fast_proposals: one NMS run per image
  and RPN NMS threshold serves every pre-NMS top-n, score threshold and post-NMS top-n), the stored RoI-head
  outputs of the proposals (a lookup), then the above; proposal recall is memoised per RPN setting.
`replay(i)` runs one image through the per-image functions themselves (rpn_filter, box_postprocess) with full
lineage; tests hold the batched paths equal to it bit for bit.
Mask R-CNN (inspectors.dataset.masks): `replay(i).masks` are the model's masks from the stored mask logits, and
`evaluate(..., mask_thresh=0.5).segm` COCOeval's segm metrics of the same detections, their masks binarised at the
mask threshold (computed when first read; binary masks memoised per box and mask threshold).
Records are read lazily and kept in a byte-bounded cache, so a dataset larger than memory streams from disk.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Hashable, Optional, Sequence, Union

import numpy as np
import torch

from inspectors.core.errors import InputError
from inspectors.core.lru import BoundedCache
from inspectors.core.models import InspectedModel
from inspectors.core.snapshot import MaskSpec, ModelSnapshot
from inspectors.core.thresholds import RPN_KEYS, THRESHOLD_KEYS, check_thresholds
from inspectors.core.trace import Detections
from inspectors.dataset.annotations import ImageGroundTruth
from inspectors.dataset.diagnosis import DiagnosisMixin
from inspectors.dataset.manifest import (
    RECORDS,
    check_records,
    check_same_model,
    model_identity,
    read_manifest,
    snapshot_from_dict,
)
from inspectors.dataset.masks import MasksUnavailable, masks_of, paste, pixel_boxes, probabilities, stored_logits
from inspectors.dataset.proposal_matching import CandidateOverlaps, candidate_overlaps, proposal_recall_of_rows
from inspectors.dataset.record import ImageRecord, read_record
from inspectors.dataset.replay import (
    ImageDetections,
    RecordTensors,
    RpnStage,
    box_settings,
    candidate_rows,
    detections,
    is_prefix,
    rpn_settings,
    rpn_stage,
)
from inspectors.dataset.score_moves import ScoreMoves, rematch_changed
from inspectors.evaluation.coco_accumulate import MAX_DETS, Accumulated
from inspectors.evaluation.coco_matching import DetectionSet, GroundTruthArrays, Matches, match
from inspectors.evaluation.dataset_tide import tide_breakdown
from inspectors.evaluation.masks import Rle, check_mask_thresh
from inspectors.evaluation.matching import xyxy_to_xywh
from inspectors.evaluation.metrics import (
    DatasetMetrics,
    ProposalRecall,
    SegmMetrics,
    detection_metrics,
    per_image_ap,
    proposal_ar,
    segm_metrics,
)
from inspectors.roi.batched_postprocess import CandidateBatch, batch_box_candidates, batch_select_detections
from inspectors.roi.mask_head import PastedMask, pasted_rle
from inspectors.rpn.fast_proposals import NmsBase, nms_base, rpn_proposals, stored_nms_base

if TYPE_CHECKING:
    from inspectors.ground_truth.annotations import GroundTruth

RECORD_CACHE_BYTES = 2 * 2**30  # records kept in memory (the rest is read again from disk when needed)
RPN_MEMO = 2  # RPN settings whose candidates are kept (~0.1 MB per demo image each)
NMS_BASE_MEMO = 32  # RPN NMS thresholds whose per-image NMS results are kept (one bool per candidate)
METRICS_MEMO = 32
MASK_RLE_MEMO = 200_000  # detections' binary masks (COCO RLEs, ~100 bytes each) kept across settings
MASK_PASTE_BYTES = 256 * 2**20  # detections' pasted probabilities kept across mask thresholds


@dataclass
class ImageReplay:
    """One image of the dataset at one setting: what trace.replay gives for a single image, from the record."""

    index: int
    name: str
    settings: dict[str, float]
    stage: RpnStage
    detections: Detections  # original frame
    box_steps: list
    ground_truth: ImageGroundTruth
    # Mask R-CNN: what gives the detections' mask probabilities (read on first use); None otherwise
    mask_source: Optional[Callable[[], torch.Tensor]] = field(default=None, repr=False)
    mask_spec: Optional[MaskSpec] = None
    original_size: tuple[int, int] = (0, 0)

    @property
    def mask_probs(self) -> Optional[torch.Tensor]:
        """(N, 1, 28, 28) the detections' mask probabilities as maskrcnn_inference gives them (None: no masks).
        InputError (dataset.masks_below_floor) when the score threshold is below what the capture stored."""
        if self.mask_source is None:
            return None
        cached = self.__dict__.get("_mask_probs")
        if cached is None:
            cached = self.__dict__["_mask_probs"] = self.mask_source()
        return cached

    @property
    def masks(self) -> Optional[torch.Tensor]:
        """(N, 1, H, W) float mask probabilities in original pixels, as the model returns them (None: no masks)."""
        if self.mask_probs is None or self.mask_spec is None:
            return None
        cached = self.__dict__.get("_masks")
        if cached is None:
            cached = self.__dict__["_masks"] = masks_of(self.mask_probs, self.detections.boxes, self.mask_spec,
                                                       self.original_size)
        return cached

    def binary_masks(self, threshold: float = 0.5) -> Optional[torch.Tensor]:
        """(N, 1, H, W) bool: `masks > threshold`."""
        value = check_mask_thresh(threshold)
        masks = self.masks
        return None if masks is None else masks > value

    @property
    def proposals(self) -> torch.Tensor:
        """(P, 4) original frame."""
        return self.stage.proposals

    @property
    def rpn_steps(self) -> list:
        return self.stage.rpn_steps


@dataclass
class _EvalStage:
    """The whole dataset at one RPN setting, as evaluation keeps it: every image's per-class candidates, and the
    proposals (class-agnostic, original frame) for proposal recall."""

    candidates: CandidateBatch
    proposals: DetectionSet
    proposal_rows: list[np.ndarray]  # per image: the stored rows that are its proposals, in torchvision's order


class DatasetCapture(DiagnosisMixin):
    """A dataset capture folder (see inspectors.dataset.capture.capture_dataset), ready to replay and evaluate."""

    def __init__(self, path: Path, manifest: dict[str, Any], cache_bytes: int = RECORD_CACHE_BYTES) -> None:
        self.path = path
        self.manifest = manifest
        self.config: ModelSnapshot = snapshot_from_dict(manifest["model"]["snapshot"])
        self.categories: list[str] = list(manifest["model"]["categories"])
        self.images: list[dict[str, Any]] = list(manifest["images"])
        self.names: tuple[str, ...] = tuple(image["name"] for image in self.images)
        self._index = {name: i for i, name in enumerate(self.names)}
        dataset = manifest["dataset"]
        # The classes evaluated: the dataset's categories that the model predicts, by category id.
        label_of = {int(k): int(v) for k, v in dataset["category_to_label"].items()}
        self.category_ids: tuple[int, ...] = tuple(sorted(label_of))
        names = {int(i): n for i, n in dataset["categories"]}
        self.class_names: tuple[str, ...] = tuple(names[i] for i in self.category_ids)
        self._class_of_label = np.full(len(self.categories), -1, dtype=np.int64)
        for k, cid in enumerate(self.category_ids):
            self._class_of_label[label_of[cid]] = k
        self._class_of_category = {cid: k for k, cid in enumerate(self.category_ids)}
        self._gt: Optional[tuple[GroundTruthArrays, list[ImageGroundTruth]]] = None
        self._candidate_overlaps: Optional[CandidateOverlaps] = None
        self._lock = threading.RLock()  # one lock for every memo below
        # The records' tensors, bounded by their bytes; the memos of the last few settings, by count.
        self._tensors: BoundedCache[int, RecordTensors] = BoundedCache(
            max(len(self.images), 1), lock=self._lock, weigh=RecordTensors.nbytes, max_weight=cache_bytes)
        self._stages: BoundedCache[Hashable, _EvalStage] = BoundedCache(RPN_MEMO, lock=self._lock)
        self._bases: BoundedCache[float, list[Optional[NmsBase]]] = BoundedCache(NMS_BASE_MEMO, lock=self._lock)
        self._proposals: BoundedCache[Hashable, ProposalRecall] = BoundedCache(METRICS_MEMO, lock=self._lock)
        self._metrics: BoundedCache[Hashable, DatasetMetrics] = BoundedCache(METRICS_MEMO, lock=self._lock)
        self._score_moves = ScoreMoves()  # box-score moves without matching again
        # Mask R-CNN: the metrics with their segm part per (setting, mask threshold), and each detection's binary
        # mask as a COCO RLE per (image, row, label, pixel box, mask threshold)
        self._with_segm: BoundedCache[Hashable, DatasetMetrics] = BoundedCache(METRICS_MEMO, lock=self._lock)
        self._segms: BoundedCache[Hashable, Optional[SegmMetrics]] = BoundedCache(METRICS_MEMO, lock=self._lock)
        self._rles: BoundedCache[Hashable, Rle] = BoundedCache(MASK_RLE_MEMO, lock=self._lock)
        # and its paste (box-sized probabilities) per (image, row, label, pixel box): a new mask threshold only
        # thresholds them again; bounded by their bytes
        self._pastes: BoundedCache[Hashable, PastedMask] = BoundedCache(
            MASK_RLE_MEMO, lock=self._lock, weigh=lambda p: int(p.values.numel()) * 4 + 200,
            max_weight=MASK_PASTE_BYTES)

    # ---- opening ---------------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Union[str, Path], model: Optional[InspectedModel] = None, *,
             cache_bytes: int = RECORD_CACHE_BYTES) -> "DatasetCapture":
        """Open a finished capture. With `model`, also check that the capture was made with this model."""
        path = Path(path)
        manifest = read_manifest(path)
        if model is not None:
            check_same_model(path, manifest, model_identity(model))
        if not manifest.get("complete"):
            done = sum(1 for _ in (path / RECORDS).glob("*.npz")) if (path / RECORDS).is_dir() else 0
            raise InputError("dataset.incomplete", path=str(path), done=done, total=len(manifest["images"]))
        check_records(path, manifest)  # every record as written (size, sha256), else a LensError naming it
        return cls(path, manifest, cache_bytes)

    # ---- what it holds ---------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.images)

    @property
    def model_name(self) -> str:
        return str(self.manifest["model"]["name"])

    @property
    def model_defaults(self) -> dict[str, float]:
        """The seven thresholds as the model was configured at capture."""
        return dict(self.config.thresholds)

    @property
    def defaults(self) -> dict[str, float]:
        """What a threshold left out means: the model's value, with the pre-NMS top-n capped at what the capture
        stored (a capture made with a smaller maximum cannot replay the model's own larger top-n)."""
        values = self.model_defaults
        values["rpn_pre_nms_top_n"] = min(int(values["rpn_pre_nms_top_n"]), self.max_pre_nms_top_n)
        return values

    @property
    def max_pre_nms_top_n(self) -> int:
        return int(self.manifest["max_pre_nms_top_n"])

    @property
    def ranges(self) -> dict[str, list[float]]:
        """Each threshold's replayable range (rpn_pre_nms_top_n is capped by what the records hold)."""
        return dict(self.manifest["ranges"])

    def index_of(self, key: Union[int, str]) -> int:
        if isinstance(key, (int, np.integer)) and 0 <= int(key) < len(self):
            return int(key)
        if isinstance(key, str) and key in self._index:
            return self._index[key]
        raise InputError("dataset.unknown_image", name=str(key))

    def evaluated_class(self, labels: np.ndarray) -> np.ndarray:
        """Model labels → index into class_names of the evaluated class, -1 for labels the dataset lacks."""
        return self._class_of_label[np.asarray(labels, dtype=np.int64)]

    def category_class(self, category_ids: np.ndarray) -> np.ndarray:
        """Dataset category ids → index into class_names, -1 for categories the model does not predict."""
        return np.array([self._class_of_category.get(int(c), -1) for c in category_ids], dtype=np.int64)

    def image_path(self, key: Union[int, str]) -> Path:
        return Path(self.images[self.index_of(key)]["path"])

    def record(self, key: Union[int, str]) -> ImageRecord:
        return self._record_tensors(self.index_of(key)).record

    def settings(self, **thresholds: Any) -> dict[str, float]:
        """The full setting (the model's values for what is not given), checked against the capture's range."""
        unknown = set(thresholds) - set(THRESHOLD_KEYS)
        if unknown:
            raise TypeError(f"Unknown threshold(s) {sorted(unknown)}; known: {', '.join(THRESHOLD_KEYS)}.")
        settings = {**self.defaults, **check_thresholds(thresholds)}
        if settings["rpn_pre_nms_top_n"] > self.max_pre_nms_top_n:
            raise InputError("dataset.pre_nms_above_capture", value=settings["rpn_pre_nms_top_n"],
                             high=self.max_pre_nms_top_n)
        return settings

    # ---- one image -------------------------------------------------------------------------------------------------
    def replay(self, key: Union[int, str], **thresholds: Any) -> ImageReplay:
        """One image at `thresholds`: proposals, detections (original frame) and its ground truth."""
        index = self.index_of(key)
        settings = self.settings(**thresholds)
        with torch.inference_mode():
            tensors = self._record_tensors(index)
            stage = rpn_stage(tensors, rpn_settings(settings, self.config.rpn_min_size),
                              self.config.roi_box_coder.build())
            post: ImageDetections = detections(stage, tensors.record, box_settings(settings), self.categories)
            source = None
            spec = self.config.mask
            if self.has_masks and spec is not None:
                rows = stage.proposal_rows[post.detections.proposal_index].numpy()
                labels = post.detections.labels.numpy()
                record, num_classes = tensors.record, len(self.categories)

                def source() -> torch.Tensor:
                    try:
                        logits = stored_logits(record, rows, labels, num_classes)
                    except MasksUnavailable as e:
                        raise InputError("dataset.masks_below_floor", value=settings["box_score_thresh"],
                                         floor=record.mask_floor, reason=str(e)) from None
                    with torch.inference_mode():
                        return probabilities(logits, labels, spec)[0]
        return ImageReplay(index=index, name=self.names[index], settings=settings, stage=stage,
                           detections=post.detections, box_steps=post.box_steps,
                           ground_truth=tensors.record.ground_truth, mask_source=source, mask_spec=spec,
                           original_size=tensors.record.original_size)

    def image_ground_truth(self, key: Union[int, str]) -> "GroundTruth":
        """The image's ground truth as the single-image engine takes it (trace.ground_truth(gt, ...)), from the
        capture's own copy (the annotation file may have moved since)."""
        from inspectors.ground_truth.annotations import load_annotations

        index = self.index_of(key)
        gt = self.record(index).ground_truth
        names = dict((int(i), n) for i, n in self.manifest["dataset"]["categories"])
        coco = {
            "images": [{"id": gt.image_id, "file_name": gt.file_name, "width": gt.width, "height": gt.height}],
            "categories": [{"id": i, "name": n} for i, n in names.items()],
            "annotations": [{"id": int(a) if a else k + 1, "image_id": gt.image_id, "category_id": int(c),
                             "bbox": [float(v) for v in b], "area": float(area), "iscrowd": int(crowd)}
                            for k, (a, c, b, area, crowd) in enumerate(zip(gt.ann_id, gt.category_id, gt.bbox,
                                                                            gt.area, gt.iscrowd))],
        }
        for ann, rle in zip(coco["annotations"], gt.mask_rles() or []):
            if rle is not None:  # the masks too (compressed RLE), for the mask IoU and segm AP of one image
                ann["segmentation"] = {"size": list(rle["size"]), "counts": rle["counts"].decode("ascii")}
        return load_annotations(coco, image=gt.file_name)

    # ---- the whole dataset -----------------------------------------------------------------------------------------
    def evaluate(self, *, mask_thresh: float = 0.5, **thresholds: Any) -> DatasetMetrics:
        """COCO metrics of the whole dataset at `thresholds` (any of the seven; the rest at the model's values).
        For a Mask R-CNN capture, `.segm` holds COCOeval's segm metrics with the masks binarised at `mask_thresh`
        (computed when first read); None for a model without masks."""
        mask_thresh = check_mask_thresh(mask_thresh)
        metrics = self._box_metrics(**thresholds)
        if not self.has_masks:
            return metrics
        key = (tuple(metrics.settings[k] for k in THRESHOLD_KEYS), mask_thresh)
        with self._lock:
            known = self._with_segm.get(key)
            if known is None:
                known = copy.copy(metrics)
                known.__dict__.pop("segm", None)
                settings = dict(metrics.settings)
                known._segm = lambda: self._segm(settings, mask_thresh)
                known.segm_note = self.segm_unavailable(**settings)
                self._with_segm.put(key, known)
            return known

    def _box_metrics(self, **thresholds: Any) -> DatasetMetrics:
        settings = self.settings(**thresholds)
        key = tuple(settings[k] for k in THRESHOLD_KEYS)
        rpn_key = tuple(settings[k] for k in RPN_KEYS)
        with self._lock:
            known = self._metrics.get(key)
            if known is not None:
                return known
            gts, _ = self._ground_truth()
            dets = self.detection_set(**settings)
            moved: Optional[tuple[Matches, Optional[Accumulated]]] = self._score_moves.known(settings, dets)
            # (a score move up: no matching, score_moves)
            previous = self._score_moves.previous(settings) if moved is None else None
            if previous is not None:  # a box-NMS or detections-per-image move: the images that changed matched
                moved = (rematch_changed(*previous, dets, gts, MAX_DETS[-1]), None)
            matches, acc, values = detection_metrics(dets, gts, self.class_names, self.names, per_image=False,
                                                     known=moved)
            self._score_moves.remember(settings, dets, matches, gts, len(self.class_names),
                                       plain=moved is None or moved[1] is None)
            recall = self._proposal_recall(rpn_key, settings)
            num_classes, num_images = len(self.class_names), len(self)
            metrics = DatasetMetrics(
                settings=settings, proposal_ar=proposal_ar(recall), proposal_recall=recall,
                precision=acc.precision, recall=acc.recall, scores=acc.scores, class_names=self.class_names,
                _tide=lambda: tide_breakdown(dets, gts, matches, num_classes, num_images),
                _per_image=lambda: per_image_ap(matches, dets, gts, num_classes, self.names), **values,
            )
            self._metrics.put(key, metrics)
            return metrics

    def detection_set(self, **thresholds: Any) -> DetectionSet:
        """Every image's detections at `thresholds` as COCO sees them: [x, y, w, h] float64 in original pixels, the
        evaluated classes only (class index into class_names). Equal, image by image, to `replay(i).detections`."""
        settings = self.settings(**thresholds)
        stage = self._eval_stage(tuple(settings[k] for k in RPN_KEYS), settings)
        with torch.inference_mode():
            found = batch_select_detections(stage.candidates, box_settings(settings))
        classes = self._class_of_label[found.labels]
        kept = classes >= 0
        return DetectionSet(image=found.image[kept], category=classes[kept], bbox=xyxy_to_xywh(found.boxes[kept]),
                            score=found.scores[kept].astype(np.float64))

    def matches(self, **thresholds: Any) -> tuple[DetectionSet, Matches]:
        """The detections at `thresholds` and their COCO matches (maxDets 100, every IoU threshold and area range)
        as evaluate() made them."""
        settings = self.settings(**thresholds)
        self._box_metrics(**settings)
        known = self._score_moves.matches.get(tuple(settings[k] for k in THRESHOLD_KEYS))
        if known is not None:
            return known
        dets = self.detection_set(**settings)  # the evaluation is memoised longer than its matches: match again
        return dets, match(dets, self.ground_truth(), max_det=MAX_DETS[-1])

    def coco_results(self, **thresholds: Any) -> list[dict[str, Any]]:
        """The detections at `thresholds` as a COCO results list (for pycocotools' loadRes, or to save as JSON)."""
        dets = self.detection_set(**thresholds)
        return [{"image_id": int(self.images[i]["image_id"]), "category_id": int(self.category_ids[c]),
                 "bbox": [float(v) for v in b], "score": float(s)}
                for i, c, b, s in zip(dets.image, dets.category, dets.bbox, dets.score)]

    # ---- masks (Mask R-CNN) ----------------------------------------------------------------------------------------
    @property
    def has_masks(self) -> bool:
        """Whether the capture stores masks (a Mask R-CNN captured with its mask logits)."""
        return self.manifest.get("masks") is not None and self.config.mask is not None

    @property
    def mask_score_floor(self) -> Optional[float]:
        """Masks are stored for every box scoring above this: segm metrics and replayed masks need
        box_score_thresh ≥ it. The capture's floor, or an image's higher one (an image with more boxes above the
        floor than a record keeps, see inspectors.dataset.masks)."""
        if not self.has_masks:
            return None
        floor = float(self.manifest["masks"]["score_floor"])
        return max([floor] + [float(e["mask_floor"]) for e in self.images if e.get("mask_floor") is not None])

    def segm_detections(self, mask_thresh: float = 0.5, **thresholds: Any) -> tuple[DetectionSet, list[Rle]]:
        """detection_set(...) and each of its detections' binary mask (probability > mask_thresh) as a COCO RLE.
        InputError when box_score_thresh is below the capture's mask score floor."""
        mask_thresh = check_mask_thresh(mask_thresh)
        settings = self.settings(**thresholds)
        spec = self.config.mask
        if not self.has_masks or spec is None:
            raise ValueError("this capture stores no masks")
        floor = float(self.mask_score_floor or 0.0)
        if settings["box_score_thresh"] < floor:
            raise InputError("dataset.masks_below_floor", value=settings["box_score_thresh"], floor=floor,
                             reason="the capture stored the masks of boxes above the floor only")
        stage = self._eval_stage(tuple(settings[k] for k in RPN_KEYS), settings)
        with torch.inference_mode():
            found = batch_select_detections(stage.candidates, box_settings(settings))
        classes = self._class_of_label[found.labels]
        kept = classes >= 0
        rles: list[Optional[Rle]] = [None] * len(found.labels)
        num_classes = len(self.categories)
        with torch.inference_mode():
            for i in np.unique(found.image):
                mine = np.flatnonzero(found.image == i)  # this image's detections, in the model's order
                record = self._record_tensors(int(i)).record
                rows = stage.proposal_rows[int(i)][found.source[mine]]
                labels = found.labels[mine]
                probs, cacheable = probabilities(stored_logits(record, rows, labels, num_classes), labels, spec)
                boxes = torch.from_numpy(np.ascontiguousarray(found.boxes[mine]))
                boxes_px = pixel_boxes(boxes, spec)
                boxes_key = [(int(i), int(r), int(lab), box) for r, lab, box in zip(rows, labels, boxes_px)]
                keys = [(*k, mask_thresh) for k in boxes_key]
                need = [j for j, k in enumerate(keys) if kept[mine[j]] and not (cacheable[j] and k in self._rles)]
                pasted: dict[int, PastedMask] = {}
                for j in need:
                    hit = self._pastes.get(boxes_key[j]) if cacheable[j] else None
                    if hit is not None:
                        pasted[j] = hit
                todo = [j for j in need if j not in pasted]
                fresh = paste(probs, boxes, spec, record.original_size, todo)
                pasted.update(fresh)
                for j, p in fresh.items():
                    if cacheable[j]:
                        self._pastes.put(boxes_key[j], p)
                for j, m in enumerate(mine):
                    if not kept[m]:
                        continue
                    rle = self._rles.get(keys[j]) if cacheable[j] else None
                    if rle is None:
                        rle = pasted_rle(pasted[j], mask_thresh, record.original_size)
                        if cacheable[j]:
                            self._rles.put(keys[j], rle)
                    rles[m] = rle
        dets = DetectionSet(image=found.image[kept], category=classes[kept], bbox=xyxy_to_xywh(found.boxes[kept]),
                            score=found.scores[kept].astype(np.float64))
        return dets, [r for r, k in zip(rles, kept) if k]  # type: ignore[misc]

    def segm_results(self, mask_thresh: float = 0.5, **thresholds: Any) -> list[dict[str, Any]]:
        """The detections at `thresholds` with their masks as a COCO segm results list (torchvision's references'
        format: image_id, category_id, segmentation as RLE with a str counts, score; no bbox)."""
        dets, rles = self.segm_detections(mask_thresh, **thresholds)
        return [{"image_id": int(self.images[i]["image_id"]), "category_id": int(self.category_ids[c]),
                 "segmentation": {"size": list(r["size"]), "counts": r["counts"].decode("ascii")}, "score": float(s)}
                for i, c, r, s in zip(dets.image, dets.category, rles, dets.score)]

    def ground_truth_masks(self) -> Optional[list[Rle]]:
        """The evaluated objects' masks, in ground_truth()'s row order; None when some object has none."""
        with self._lock:
            out: list[Rle] = []
            for i in range(len(self)):
                gt = self._record_tensors(i).record.ground_truth
                rles = gt.mask_rles()
                keep = np.isin(gt.category_id, self.category_ids)
                if keep.any() and rles is None:
                    return None
                for k in np.flatnonzero(keep):
                    rle = rles[k] if rles is not None else None
                    if rle is None:
                        return None
                    out.append(rle)
            return out

    def _segm(self, settings: dict[str, float], mask_thresh: float) -> Optional[SegmMetrics]:
        key = (tuple(settings[k] for k in THRESHOLD_KEYS), mask_thresh)

        def build() -> Optional[SegmMetrics]:
            gt_masks = self.ground_truth_masks()
            if gt_masks is None or settings["box_score_thresh"] < float(self.mask_score_floor or 0.0):
                return None
            dets, rles = self.segm_detections(mask_thresh, **settings)
            gts, _ = self._ground_truth()
            return segm_metrics(dets, gts, rles, gt_masks, self.class_names, self.names, mask_thresh)

        return self._segms.get_or_build(key, build)

    def segm_unavailable(self, **thresholds: Any) -> Optional[str]:
        """Why a mask capture has no segm metrics at `thresholds` (None when it has them)."""
        if not self.has_masks:
            return "the model has no masks"
        if self.ground_truth_masks() is None:
            return "some objects of the annotations have no segmentation"
        settings = self.settings(**thresholds)
        if settings["box_score_thresh"] < float(self.mask_score_floor or 0.0):
            return (f"box_score_thresh {settings['box_score_thresh']:g} is below the capture's mask score floor "
                    f"{self.mask_score_floor:g}")
        return None

    def proposal_set(self, **thresholds: Any) -> DetectionSet:
        """Every image's RPN proposals at the RPN thresholds, class-agnostic, scored by objectness."""
        settings = self.settings(**thresholds)
        return self._eval_stage(tuple(settings[k] for k in RPN_KEYS), settings).proposals

    def ground_truth(self) -> GroundTruthArrays:
        return self._ground_truth()[0]

    def warm_rpn_nms(self, values: Sequence[float], progress: bool = False) -> None:
        """Run the per-image RPN NMS for these RPN NMS thresholds now (in a background thread after opening): a new
        RPN NMS threshold off the slider's steps (which the capture decided already) is the one RPN setting that
        costs an NMS run per image; warmed, it costs what the other RPN sliders cost. Evaluations can run meanwhile."""
        from tqdm.auto import tqdm

        min_size = self.config.rpn_min_size
        for value in tqdm([float(v) for v in values], desc="RPN NMS", unit="threshold", disable=not progress):
            bases = self._nms_bases(value)
            for i in range(len(self)):
                if bases[i] is None:
                    tensors = self._record_tensors(i)
                    if _stored_base(tensors, min_size, value) is not None:
                        continue  # decided at capture
                    with torch.inference_mode():
                        base = nms_base(tensors.box, tensors.logit, tensors.level, tensors.top_rows,
                                        tensors.record.resized_size, min_size, value)
                    with self._lock:
                        bases[i] = base

    def clear_cache(self) -> None:
        with self._lock:
            self._tensors.clear()
            self._stages.clear()
            self._bases.clear()
            self._proposals.clear()
            self._metrics.clear()
            self._score_moves.bases.clear()
            self._with_segm.clear()
            self._segms.clear()
            self._rles.clear()
            self._pastes.clear()

    # ---- memos -----------------------------------------------------------------------------------------------------
    def _nms_bases(self, nms_thresh: float) -> list[Optional[NmsBase]]:
        """The per-image RPN NMS runs at one threshold (filled on demand), for the last few thresholds."""
        return self._bases.get_or_build(nms_thresh, lambda: [None] * len(self))

    def _record_tensors(self, index: int) -> RecordTensors:
        cached = self._tensors.get(index)
        if cached is not None:
            return cached
        path = self.path / RECORDS / self.images[index]["record"]
        try:
            tensors = RecordTensors.of(read_record(path))
        except (OSError, ValueError, KeyError) as e:  # a missing, torn or foreign file
            raise InputError("dataset.record_missing", path=str(self.path), index=index,
                             name=self.names[index], file=str(path)) from e
        self._tensors.put(index, tensors)
        return tensors

    def _eval_stage(self, rpn_key: Hashable, settings: dict[str, float]) -> _EvalStage:
        """Every image's proposals (fast_proposals, reusing one NMS run per image and NMS threshold) and per-class
        candidates (batch_box_candidates) at one RPN setting; memoised."""
        with self._lock:
            known = self._stages.get(rpn_key)
            if known is not None:
                return known
            chosen = rpn_settings(settings, self.config.rpn_min_size)
            bases = self._nms_bases(chosen.nms_thresh)
            logits, deltas, boxes, scores, resized, original, rows_per_image = [], [], [], [], [], [], []
            with torch.inference_mode():
                for i in range(len(self)):
                    tensors = self._record_tensors(i)
                    record = tensors.record
                    rows = candidate_rows(tensors, chosen.pre_nms_top_n)
                    def base(i: int = i, tensors: RecordTensors = tensors) -> NmsBase:
                        stored = _stored_base(tensors, chosen.min_size, chosen.nms_thresh)
                        if stored is not None:  # decided at capture: no NMS run
                            return stored
                        known = bases[i]
                        if known is None:
                            known = bases[i] = nms_base(tensors.box, tensors.logit, tensors.level, tensors.top_rows,
                                                        tensors.record.resized_size, chosen.min_size,
                                                        chosen.nms_thresh)
                        return known

                    position, score = rpn_proposals(
                        rows, tensors.box, tensors.logit, tensors.level, record.resized_size, chosen,
                        base if is_prefix(tensors, rows, chosen.pre_nms_top_n) else None,
                        tensors.not_small(chosen.min_size))
                    proposal_rows = rows[position]
                    rows_per_image.append(proposal_rows.numpy())
                    logits.append(tensors.class_logits[proposal_rows])
                    deltas.append(tensors.box_regression[proposal_rows])
                    boxes.append(tensors.box[proposal_rows])  # stored boxes are clipped: the proposals
                    scores.append(score)
                    resized.append(record.resized_size)
                    original.append(record.original_size)
                candidates = batch_box_candidates(logits, deltas, boxes, resized, original,
                                                  self.config.roi_box_coder.build())
                proposals = _proposal_set(boxes, scores, candidates)
            stage = _EvalStage(candidates, proposals, rows_per_image)
            self._stages.put(rpn_key, stage)
            return stage

    def _proposal_recall(self, rpn_key: Hashable, settings: dict[str, float]) -> ProposalRecall:
        def build() -> ProposalRecall:
            gts, _ = self._ground_truth()
            stage = self._eval_stage(rpn_key, settings)
            return proposal_recall_of_rows(self._overlaps(), stage.proposal_rows, gts)

        return self._proposals.get_or_build(rpn_key, build)

    def _overlaps(self) -> CandidateOverlaps:
        """Every stored candidate's IoU with the objects of its image (computed once; see proposal_matching)."""
        with self._lock:
            if self._candidate_overlaps is None:
                gts, _ = self._ground_truth()
                boxes = []
                with torch.inference_mode():
                    for i in range(len(self)):
                        record = self._record_tensors(i).record
                        box = torch.from_numpy(record.box)
                        ratio = (torch.tensor(record.original_size, dtype=torch.float32)
                                 / torch.tensor(record.resized_size, dtype=torch.float32))  # as resize_boxes
                        rh, rw = ratio[0], ratio[1]
                        original = torch.stack((box[:, 0] * rw, box[:, 1] * rh, box[:, 2] * rw, box[:, 3] * rh), 1)
                        boxes.append(xyxy_to_xywh(original.numpy()))
                self._candidate_overlaps = candidate_overlaps(boxes, gts)
            return self._candidate_overlaps

    def _ground_truth(self) -> tuple[GroundTruthArrays, list[ImageGroundTruth]]:
        if self._gt is None:
            per_image = [self._record_tensors(i).record.ground_truth for i in range(len(self))]
            rows = [(i, g) for i, g in enumerate(per_image)]
            keep = [np.isin(g.category_id, self.category_ids) for _, g in rows]
            self._gt = (GroundTruthArrays(
                image=np.concatenate([np.full(int(k.sum()), i, np.int64) for (i, _), k in zip(rows, keep)]),
                category=np.concatenate([np.array([self._class_of_category[int(c)] for c in g.category_id[k]],
                                                  dtype=np.int64) for (_, g), k in zip(rows, keep)]),
                bbox=np.concatenate([g.bbox[k] for (_, g), k in zip(rows, keep)]).reshape(-1, 4),
                area=np.concatenate([g.area[k] for (_, g), k in zip(rows, keep)]),
                iscrowd=np.concatenate([g.iscrowd[k] for (_, g), k in zip(rows, keep)]),
            ), per_image)
        return self._gt


def _proposal_set(boxes: list[torch.Tensor], scores: list[torch.Tensor], batch: CandidateBatch) -> DetectionSet:
    """Proposals (resized frame) → COCO's view: class-agnostic, [x, y, w, h] in original pixels (resize_boxes's
    float32 ratios), scored by objectness."""
    counts = [int(b.shape[0]) for b in boxes]
    image = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts, dtype=torch.int64))
    cat = torch.cat(boxes) if boxes else torch.zeros((0, 4))
    ratios = batch.original / batch.resized
    rh, rw = ratios[image, 0], ratios[image, 1]
    original = torch.stack((cat[:, 0] * rw, cat[:, 1] * rh, cat[:, 2] * rw, cat[:, 3] * rh), dim=1)
    return DetectionSet(
        image=image.numpy(),
        category=np.zeros(sum(counts), dtype=np.int64),
        bbox=xyxy_to_xywh(original.numpy()),
        score=(torch.cat(scores).numpy() if scores else np.zeros(0)).astype(np.float64),
    )


def _stored_base(tensors: RecordTensors, min_size: float, nms_thresh: float) -> Optional[NmsBase]:
    """The RPN NMS decisions the capture stored for this threshold (a step of the slider), or None."""
    record = tensors.record
    return stored_nms_base(record.nms_bits, record.nms_grid, record.nms_min_size, record.nms_ordered, min_size,
                           nms_thresh)
