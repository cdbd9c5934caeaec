"""Errors the engine raises for input a person can fix, each with a stable code and the values in its message.

The English text lives here, once, as a template per code; a UI that speaks another language translates by code
(`error.code`, `error.params`) and falls back to `str(error)`. Raise them with `InputError("image.too_small", ...)`.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, str] = {
    # images
    "image.unsupported_type": "Unsupported image type {kind}: give a path, a PIL image or an H×W×3 array.",
    "image.bad_array": "Expected an H×W×3 image array, got shape {shape}.",
    "image.bad_tensor": "Expected a 3×H×W image tensor, got shape {shape}.",
    "image.missing": "No image file at {path}.",
    "image.not_an_image": "{name} is not an image file that Pillow can read.",
    "image.undecodable": "{name} could not be decoded: {reason}.",
    "image.too_many_pixels": "The image is too large: {width}×{height} = {pixels:,} pixels, over the safety limit "
                             "of {limit:,} pixels (about {side}×{side}); scale it down first.",
    "image.too_small": "The image is only {width}×{height} pixels; nothing to detect.",
    "image.aspect_ratio": "The image is {width}×{height} pixels: too elongated for this model, which resizes it to "
                          "about {resized_width}×{resized_height} px (its short side must stay at least "
                          "{min_side} px). This model accepts aspect ratios up to {max_ratio:.0f}:1; crop the image "
                          "first.",
    # thresholds
    "threshold.unknown": "Unknown threshold(s) {names}; known: {known}.",
    "threshold.not_a_number": "{name} must be a number, not {value!r}.",
    "threshold.not_finite": "{name} must be a finite number, not {value}.",
    "threshold.not_integer": "{name} must be a whole number, not {value}.",
    "threshold.out_of_range": "{name} = {value} is outside the allowed range {low} … {high}.",
    # models and checkpoints
    "model.unknown": "Unknown model {name!r}. Choose one of: {choices}.",
    "model.unknown_weights": "Unknown weights {weights!r} for {name}.",
    "model.trained_from": "trained_from must be one of {choices}, not {value!r}.",
    "model.demo_checkpoint": "The demo model has its own bundled weights and takes no checkpoint: to inspect a "
                             "checkpoint, name the torchvision architecture it was trained with ({architectures}).",
    "model.demo_missing": "The demo model is not available in this checkout ({reason}).",
    "model.weights_unavailable": "COCO weights for {name} are not available: they could not be downloaded "
                                 "({reason}). To use them offline, download {url} on a machine with internet and "
                                 "place the file as {file} in the folder {folder} (TORCH_HOME / torch.hub cache).",
    "model.weights_corrupt": "COCO weights for {name} are not available: the file {path} exists but could not be "
                             "loaded ({reason}). Download {url} again and replace it.",
    "checkpoint.missing": "No checkpoint file at {path}.",
    "checkpoint.evicted": "The checkpoint {name} is no longer stored on this server (it made room for newer "
                          "uploads): load the file again.",
    "checkpoint.unreadable": "{name} is not a PyTorch state dict that can be loaded safely ({reason}). Save it with "
                             "torch.save(model.state_dict(), path); files that need to run code to unpickle are "
                             "refused.",
    "checkpoint.non_finite": "{name} holds {count} non-finite values (NaN or infinity) in {tensor}{more}: the model "
                             "would compute nothing meaningful. Use a checkpoint saved before training diverged.",
    "checkpoint.not_state_dict": "{name} does not hold a state dict (a mapping of parameter names to tensors).",
    "checkpoint.not_faster_rcnn": "{name} has no {key}: it is not a Faster R-CNN state dict.",
    "checkpoint.mismatch": "{name} does not fit {architecture}. {details}.",
    "checkpoint.other_architecture": "{name} is a checkpoint of {fits}, not {architecture}: choose that architecture "
                                     "and load it again.",
    "checkpoint.norm_conflict": "{name} carries BatchNorm counters (num_batches_tracked) in its backbone, so it was "
                                "trained with BatchNorm2d layers (from scratch), not from {given} weights: load it "
                                "as trained from scratch, or let RCNN Lens decide (auto).",
    "checkpoint.norm_conflict_scratch": "{name} has no BatchNorm counters (num_batches_tracked) in its backbone, so "
                                        "it was trained with FrozenBatchNorm2d (from COCO or ImageNet weights), not "
                                        "from scratch: load it as trained from COCO or ImageNet weights, or auto.",
    # datasets: annotations and images
    "dataset.annotations_missing": "No annotation file or folder at {path}: give a COCO JSON file or a Pascal VOC "
                                   "folder.",
    "dataset.annotations_unreadable": "The annotation file {name} is not UTF-8 JSON ({reason}).",
    "dataset.not_coco": "{name} is not a COCO annotation file: it needs \"images\" and \"categories\" lists (and "
                        "\"annotations\").",
    "dataset.not_coco_detail": "{name} is not a valid COCO annotation file ({reason}).",
    "dataset.bad_mask": "The segmentation of annotation {id} of {name} cannot be read ({reason}). COCO masks are "
                        "polygons [[x1, y1, x2, y2, …]] or an RLE {{\"size\": [height, width], \"counts\": …}} of "
                        "the image's size.",
    "dataset.masks_below_floor": "The capture stored masks only for boxes scoring above {floor:g}, so the masks at "
                                 "box_score_thresh = {value:g} are not known ({reason}): raise the score threshold "
                                 "to {floor:g} or more, or capture again with a lower mask_score_floor.",
    "dataset.unknown_category": "{name} has annotations with category ids {ids} that its \"categories\" list does "
                                "not define.",
    "dataset.voc_empty": "No Pascal VOC .xml files in {path} (nor in its Annotations folder).",
    "dataset.voc_unreadable": "The VOC annotation {name} cannot be read ({reason}).",
    "dataset.images_missing": "No image folder at {path}.",
    "dataset.no_images_matched": "None of the images in {annotations} was found among the given images (for "
                                 "example {example}): give the folder the annotation's file names are relative to.",
    "dataset.size_mismatch": "{name} is {width}×{height} pixels but the annotations say {ann_width}×{ann_height}: "
                             "the ground truth would not line up with the image.",
    "dataset.no_shared_classes": "The dataset's classes ({dataset}) and the model's ({model}) have no name in "
                                 "common: load the model with the dataset's class names (a labels file).",
    # datasets: captures
    "dataset.capture_missing": "No dataset capture at {path} (its manifest.json is missing).",
    "dataset.capture_unreadable": "The dataset capture at {path} cannot be read ({reason}).",
    "dataset.format_version": "The dataset capture at {path} was written in format version {found}; this version "
                              "of RCNN Lens reads version {expected}. Capture the dataset again into a new folder.",
    "dataset.other_model": "The dataset capture at {path} was made with another model ({found}; now {given}): "
                           "capture into a new folder, or use the model it was made with.",
    "dataset.other_dataset": "The dataset capture at {path} was made from other images or annotations: capture "
                             "into a new folder, or give the same images and annotations to resume it.",
    "dataset.other_settings": "The dataset capture at {path} was made with {name} = {found} (now {given}): capture "
                              "into a new folder to change it.",
    "dataset.incomplete": "The dataset capture at {path} is unfinished ({done} of {total} images): run the same "
                          "capture again to resume it.",
    "dataset.not_a_folder": "{path} exists and is not a folder: choose a folder name for the dataset capture.",
    "dataset.not_empty": "{path} is a folder with other files in it (not a dataset capture): choose a new or empty "
                         "folder.",
    "dataset.record_missing": "The dataset capture at {path} is damaged: the record of image {index} ({name}), "
                              "file {file}, is missing or unreadable. Run the same capture again: it captures "
                              "just the images whose records are missing or damaged.",
    "dataset.record_truncated": "The dataset capture at {path} is damaged: the record of image {index} ({name}), "
                                "file {file}, is cut short ({size:,} of {expected:,} bytes); {count} damaged "
                                "record(s) in all. Run the same capture again: it captures just those images.",
    "dataset.record_changed": "The dataset capture at {path} is damaged: the record of image {index} ({name}), "
                              "file {file}, does not match its checksum in the manifest (its bytes changed); "
                              "{count} damaged record(s) in all. Run the same capture again: it captures just "
                              "those images.",
    "dataset.record_absent": "The dataset capture at {path} is damaged: the record of image {index} ({name}), file "
                             "{file}, is missing; {count} damaged record(s) in all. Run the same capture again: it "
                             "captures just those images.",
    "dataset.pre_nms_above_capture": "rpn_pre_nms_top_n = {value} is above what this dataset capture stored "
                                     "({high} per level): choose at most {high}, or capture again with a larger "
                                     "maximum.",
    "dataset.unknown_engine": "Unknown capture engine {engine!r}: use \"local\" or \"ray\".",
    "dataset.ray_missing": "The Ray engine needs Ray: pip install -r requirements-ray.txt ({reason}).",
    "dataset.unknown_metric": "Unknown metric {name!r}; choose one of: {choices}.",
    "dataset.unknown_image": "No image {name!r} in this dataset capture.",
    # labels files
    "labels.missing": "No labels file at {path}.",
    "labels.not_text": "The labels file {name} is not UTF-8 text (it looks binary or uses another encoding): save it "
                       "as UTF-8 with one class name per line.",
    "labels.empty": "The labels file {name} has no class names.",
    "labels.count": "The labels list has {names} names but the checkpoint predicts {classes} classes (background "
                    "included): give {expected} names, one per line.",
    # annotation files (ground truth): fatal problems
    "annotations.unsupported_type": "Annotations must be a file path or a COCO dict, not {kind}.",
    "annotations.missing": "No annotation file at {path}.",
    "annotations.empty": "The annotation file {name} is empty.",
    "annotations.too_large": "The annotation file {name} is {size_mb:.1f} MB, over the limit of {limit_mb:.0f} MB.",
    "annotations.not_text": "{name} is not a text file (it looks binary, or is not UTF-8): give a COCO JSON or a "
                            "Pascal VOC XML file.",
    "annotations.unknown_format": "{name} is neither COCO JSON nor Pascal VOC XML (it starts with {start!r}).",
    "annotations.bad_json": "{name} is not valid JSON: {reason} (line {line}, column {column}).",
    "annotations.bad_xml": "{name} is not valid XML: {reason}.",
    "annotations.xml_forbidden": "{name} was refused: it declares a DTD, entities or external references "
                                 "({reason}). Annotation files never need them, and they can attack the parser "
                                 "(entity-expansion bombs, external files), so they are not read.",
    "annotations.bad_schema": "{name} is not a COCO ground-truth file nor a Pascal VOC annotation: {detail}.",
    "annotations.no_images": "{name} lists no images, so it has no ground truth for this one.",
    "annotations.which_image": "{name} annotates {count} images ({examples}): say which image the ground truth "
                               "is for.",
    "annotations.image_not_found": "{name} has no entry for the image {image}: it annotates {count} other "
                                   "image(s) ({examples}). Is it the annotation file of another image?",
    "annotations.ambiguous_image": "{name} has {count} entries whose file name is {image}: the image is ambiguous.",
    "annotations.other_image": "{name} is the annotation of {annotated}, not of {image}.",
    "annotations.size_mismatch": "{name} was made for an image of {declared_width}×{declared_height} pixels, but "
                                 "this image is {width}×{height}: its boxes would land in the wrong places.",
    "annotations.size_rotated": "{name} was made for an image of {declared_width}×{declared_height} pixels, but "
                                "this image is {width}×{height}: the same image turned by 90°. The photo probably "
                                "carries an EXIF rotation that the annotation tool ignored; save the image upright "
                                "and annotate it again.",
    "annotations.bad_mask": "{name}: the segmentation of annotation {id} cannot be read ({reason}). COCO masks are "
                            "polygons [[x1, y1, x2, y2, …]] or an RLE {{\"size\": [height, width], \"counts\": …}} "
                            "of the image's size.",
    "mask.threshold": "mask_thresh = {value!r} must be a number from 0 to 1 (a mask pixel counts when its "
                      "probability is above it).",
    # annotation files: what was left out or changed (warnings; the rest is used)
    # annotation files: what was left out or changed (warnings; the rest is used)
    "annotations.bad_entries": "{count} annotation(s) could not be read and were left out (first: {example}); "
                               "{kept} kept.",
    "annotations.degenerate": "{count} box(es) without area (x2 ≤ x1 or y2 ≤ y1) were left out ({ids}); {kept} "
                              "kept.",
    "annotations.clipped": "{count} box(es) reaching outside the {width}×{height} image were clipped to it ({ids}).",
    "annotations.outside": "{count} box(es) lying entirely outside the {width}×{height} image were left out "
                           "({ids}); {kept} kept.",
    "annotations.crowd": "{count} crowd region(s) (COCO iscrowd) are ignore regions, not objects to find: "
                         "detections inside them count neither as right nor as wrong, as in COCO evaluation.",
    "annotations.difficult": "{count} object(s) marked difficult are ignore regions, as in Pascal VOC evaluation.",
    "annotations.unknown_names": "{dropped} object(s) of classes this model does not know were left out "
                                 "({names}); {kept} kept.",
    "annotations.names_matched_loosely": "Class names matched to the model's ignoring case and spaces: {pairs}.",
    "annotations.no_objects": "The ground truth has no objects to find in this image ({ignored} ignore "
                              "region(s)): every detection counts as a false positive.",
    "annotations.voc_no_masks": "Pascal VOC annotations have no instance masks: mask IoU and mask AP need COCO "
                                "segmentations (polygons or RLE).",
    "annotations.no_masks": "The annotations give no segmentation, so the masks cannot be scored (mask IoU, mask "
                            "AP); boxes are evaluated as usual.",
    "annotations.some_without_masks": "Some objects (or crowd regions) have no segmentation, so the masks cannot be "
                                      "scored (mask IoU, mask AP); boxes are evaluated as usual.",
    "annotations.no_objects_for_masks": "There are no objects whose masks could be scored.",
    # per-image losses
    "losses.multiscale": "This model trains at several sizes (min_size {sizes}); the losses are computed at the "
                         "size the image was inspected at ({size}).",
    "losses.dropout": "The model has dropout in {where}, which a training step would apply to features that are "
                      "replayed here from the inference run; the losses are those without that dropout.",
    # teaching: NMS walk-through, box stories, provenance, RoI projection, ablations
    "frame.unknown": "frame must be 'original' or 'resized', not {frame!r}.",
    "nms.unknown_stage": "Unknown NMS stage {stage!r}; stages: {stages}.",
    "nms.unknown_group": "There is no {stage} NMS group {group!r}: groups are numbered {low} … {high} (FPN level "
                         "index for rpn, class label for box).",
    "explain.detection_index": "There is no detection {index}: this replay has {count} detections.",
    "explain.proposal_index": "There is no proposal {index}: this replay has {count} proposals.",
    "provenance.candidate_index": "There is no {stage} candidate {index}: this replay has {count}.",
    "provenance.anchor_index": "There is no anchor {index}: this image has {count} anchors.",
    "provenance.label": "There is no class label {label}: labels are 1 … {high} (0 is the background).",
    "roi.bad_box": "A box is four finite numbers x1, y1, x2, y2; got {box}.",
    "roi.bad_scale": "The spatial scale must be a positive finite number (1 / stride), not {scale}.",
    "ablation.unknown_kind": "Unknown ablation {kind!r}: give 'no_reg', 'no_cls' or a list of boxes [x1, y1, x2, y2].",
    "ablation.bad_seed": "The random seed must be a whole number, not {seed!r}.",
    "ablation.boxes_shape": "Boxes must be a list of [x1, y1, x2, y2]; got something of shape {shape}.",
    "ablation.no_boxes": "Give at least one box [x1, y1, x2, y2].",
    "ablation.too_many_boxes": "{count} boxes are more than the {limit} the RoI head is run on at once.",
    "ablation.box_not_finite": "Box {index} {box} has a coordinate that is not a finite number.",
    "ablation.box_empty": "Box {index} {box} has no area: x2 must be greater than x1 and y2 greater than y1.",
    "ablation.box_outside": "Box {index} {box} lies entirely outside the {width}×{height} image.",
}


class LensWarning:
    """Something the engine did on the user's behalf (left out, clipped, approximated): a code and its values."""

    __slots__ = ("code", "params")

    def __init__(self, code: str, params: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.code = code
        self.params = {**(params or {}), **kwargs}

    @property
    def message(self) -> str:
        return MESSAGES[self.code].format(**self.params) if self.code in MESSAGES else self.code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"LensWarning({self.code!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LensWarning) and (self.code, self.params) == (other.code, other.params)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params), "message": self.message}


class LensError(Exception):
    """Base of the engine's own errors: `code` names the problem, `params` fill its message."""

    def __init__(self, code: str, message: str | None = None, **params: Any) -> None:
        self.code = code
        self.params = params
        if message is None:
            message = MESSAGES[code].format(**params) if code in MESSAGES else code
        super().__init__(message)


class InputError(LensError, ValueError):
    """The input (an image, a threshold, a file) cannot be used; the message says why and what to do."""
