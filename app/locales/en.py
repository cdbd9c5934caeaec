"""English UI strings (the reference table: every key exists here first)."""

EN: dict[str, str] = {
    # --- app frame -------------------------------------------------------------------------------------------
    "app.title": "RCNN Lens",
    "app.subtitle": "A visual debugger for torchvision's Faster R-CNN: upload an image, see every stage, "
                    "move the thresholds and watch the result change at once.",
    "status.empty": "Upload an image or click an example to start.",
    "app.auth_message": "RCNN Lens: log in with the user name and password your teacher gave you.",
    "status.ready": "**{model}** · {width}×{height} px · {proposals} proposals · model run {total_ms:.0f} ms",
    "status.detections": "{count} detections",
    # Hidden labels that name the API outputs (gradio_client shows them); keep them ASCII identifiers.
    "api.summary": "summary",
    "api.status": "status",
    "api.detections_count": "detections_count",
    # --- inputs ----------------------------------------------------------------------------------------------
    "input.image": "Image",
    "input.examples": "Examples (click one)",
    "input.model": "Model",
    "input.model.info": "The demo model is small and runs fast on a CPU. COCO models download their weights once.",
    "input.inspect": "Inspect",
    "input.custom": "Custom checkpoint",
    "input.custom.explain": "Your own fine-tuned Faster R-CNN: pick its architecture, its state_dict (.pth; plain, "
                            "Lightning or DDP) and, optionally, a labels file (UTF-8, one class name per line, "
                            "background first or left out).",
    "input.custom.arch": "Architecture",
    "input.custom.checkpoint": "Checkpoint (.pth)",
    "upload.image": "an image",
    "upload.checkpoint": "a checkpoint",
    "error.file_too_large": "{name} is {size}, above this server's cap of {cap} for {what}. Whoever starts the app "
                            "can raise it: {flag} 2gb.",
    "input.custom.labels": "Labels (.txt)",
    "input.custom.load": "Load checkpoint",
    "input.custom.loaded": "Loaded **{name}** with {classes} classes. It is now selected in the model list "
                           "(for you only: other people on this server do not see your checkpoints).",
    "input.custom.trained_from": "How its training started",
    "input.custom.trained_from.info": "Decides the backbone's normalisation layers, as torchvision's builders do. "
                                      "Auto reads BatchNorm counters from the checkpoint; otherwise it assumes COCO.",
    "input.custom.trained_from.auto": "auto",
    "input.custom.trained_from.coco": "from COCO weights",
    "input.custom.trained_from.imagenet": "from an ImageNet backbone",
    "input.custom.trained_from.scratch": "from scratch",
    "model.normalization": "Backbone normalisation: **{layer}, eps {eps:g}** — {how}.",
    "model.normalization.assumed": "assumed: fine-tuned from COCO weights (the checkpoint has no BatchNorm "
                                   "counters). If training started from an ImageNet backbone only, choose that "
                                   "above and load again",
    "model.normalization.checkpoint": "read from the checkpoint, which carries BatchNorm counters "
                                      "(num_batches_tracked): trained {trained_from}",
    "model.normalization.given": "as chosen: trained {trained_from}",
    "model.demo": "demo (shapes: circle, rectangle, triangle)",
    # --- thresholds ------------------------------------------------------------------------------------------
    "thresholds.title": "Thresholds",
    "thresholds.explain": "Moving a slider replays the cached stages; the backbone never runs again.",
    "thresholds.rpn": "RPN (region proposal network)",
    "thresholds.roi": "RoI head (final detections)",
    "thresholds.reset": "Reset to the model's defaults",
    "th.rpn_pre_nms_top_n": "Pre-NMS top-n (per level)",
    "th.rpn_pre_nms_top_n.info": "Keep the n highest-objectness anchors of each FPN level before NMS.",
    "th.rpn_nms_thresh": "RPN NMS IoU",
    "th.rpn_nms_thresh.info": "Proposals overlapping a better one by more than this IoU are removed.",
    "th.rpn_post_nms_top_n": "Post-NMS top-n",
    "th.rpn_post_nms_top_n.info": "How many proposals (RoIs) go on to the RoI head.",
    "th.rpn_score_thresh": "RPN score",
    "th.rpn_score_thresh.info": "Drop proposals whose objectness probability is below this.",
    "th.box_score_thresh": "Detection score",
    "th.box_score_thresh.info": "Drop detections whose class score is below this.",
    "th.box_nms_thresh": "Detection NMS IoU",
    "th.box_nms_thresh.info": "Per class: boxes overlapping a better one by more than this IoU are removed.",
    "th.box_detections_per_img": "Detections per image",
    "th.box_detections_per_img.info": "Keep at most this many detections, best first.",
    # --- errors -------------------------------------------------------------------------------------------
    "error.title": "Could not update",
    "error.no_image": "Please upload an image first.",
    "error.not_an_image": "This file is not an image that can be opened (use JPEG, PNG, WebP or BMP).",
    "error.bad_image": "The image could not be used: {reason}",
    "error.model_load": "The model could not be loaded. {reason}",
    "error.no_session": "Inspect an image first: there is nothing to re-threshold yet "
                        "(or your session expired from the cache).",
    "error.annotations": "The ground-truth file could not be used: {reason}",
    "error.custom_missing": "Choose a checkpoint file first.",
    "error.labels_file": "The labels file could not be read: {reason}",
    "error.unknown_model": "Unknown model '{name}'. Choose one of: {choices}.",
    "error.missing_thresholds": "Missing threshold(s): {names}.",
    "error.internal": "Something went wrong while {action}: {reason}",
    "action.inspect": "inspecting the image",
    "action.rethreshold": "re-applying the thresholds",
    "action.view": "drawing this view",
    "layout.desktop": "Desktop",
    "layout.projector": "Projector",
    "action.language": "switching the language",
    "progress.load_model": "Loading model {name}…",
    "progress.capture": "Running the model once with hooks…",
    "progress.draw": "Drawing the stages…",
    # --- tabs: overview --------------------------------------------------------------------------------------
    "tab.overview": "Overview",
    "overview.explain": "Faster R-CNN works in two stages. A backbone with a **feature pyramid** turns the image into "
                        "feature maps; the **RPN** scores thousands of **anchors** and turns the best into "
                        "**proposals**; the **RoI head** pools each proposal's features, classifies it and refines "
                        "its box. The numbers below are for this image.",
    "overview.pipeline": "Pipeline (counts for this image, timings of the one model run)",
    "overview.stage.image": "Image",
    "overview.stage.anchors": "Anchors",
    "overview.stage.pre_nms": "Pre-NMS",
    "overview.stage.proposals": "Proposals",
    "overview.stage.rois": "RoIs",
    "overview.stage.detections": "Detections",
    "overview.timing.transform": "transform",
    "overview.timing.backbone_body": "backbone",
    "overview.timing.fpn": "FPN",
    "overview.timing.rpn": "RPN",
    "overview.timing.roi_heads": "RoI heads",
    "overview.timing.postprocess": "postprocess",
    "overview.timings": "Model run: {total_ms:.0f} ms in total. Last replay: {replay_ms:.0f} ms.",
    "overview.frames": "Three coordinate frames",
    "overview.frames.explain": "The model resizes the image (keeping its aspect ratio) and pads it with zeros to a "
                               "multiple of 32 so that every pyramid level has a whole number of cells. Boxes are "
                               "shown in original pixels.",
    "overview.frame.original": "original",
    "overview.frame.resized": "resized",
    "overview.frame.padded": "padded",
    "overview.frame.scale": "× {sx:.3f} (x), × {sy:.3f} (y)",
    "overview.frame.pad": "+{right} px right, +{bottom} px bottom",
    # --- tabs: feature pyramid -------------------------------------------------------------------------------
    "tab.features": "Features (FPN)",
    "features.explain": "The backbone body gives feature maps C2–C5, each half the size of the one before. The FPN "
                        "adds a top-down path and lateral connections so that P2–P5 all have the same number of "
                        "channels and strong semantics; P6 is a max-pool of P5, for the largest anchors. Bright = "
                        "high activation.",
    "features.family": "Feature maps",
    "features.family.body": "Backbone body (C)",
    "features.family.fpn": "FPN (P)",
    "features.mode": "Show",
    "features.mode.mean": "channel mean",
    "features.mode.max": "channel max",
    "features.mode.channel": "one channel",
    "features.channel": "Channel",
    "features.heatmaps": "Heatmaps (hover for values)",
    "features.overlays": "Overlays on the image",
    "features.level_title": "{name} · {channels}×{height}×{width} · stride {stride}",
    "features.table.level": "Level",
    "features.table.shape": "Shape (C×H×W)",
    "features.table.stride": "Stride (px)",
    "features.channel_clamped": "Level {name} has {channels} channels; showing channel {channel}.",
    # --- tabs: anchors ---------------------------------------------------------------------------------------
    "tab.anchors": "Anchors",
    "anchors.explain": "At every cell of every level the RPN places a few reference boxes (anchors) of fixed sizes "
                       "and aspect ratios. The FPN puts one size on each level; the original paper used 9 anchors "
                       "(3 sizes × 3 ratios) on a single stride-16 map. **Click the image** to see the anchors at "
                       "that point on every level.",
    "anchors.click_image": "Click a point",
    "anchors.point": "Anchors centred nearest to ({x:.0f}, {y:.0f}) px in the original image.",
    "anchors.model_config": "This model (FPN)",
    "anchors.paper_config": "Paper (single level, 9 anchors)",
    "anchors.border": "Anchors crossing the image border: {crossing} of {total} ({percent:.0f}%). torchvision keeps "
                      "them and clips the proposals they produce to the image; the paper ignored them in training.",
    "anchors.col.level": "Level",
    "anchors.col.stride": "Stride",
    "anchors.col.grid": "Grid (H×W)",
    "anchors.col.per_location": "Per cell",
    "anchors.col.sizes": "Sizes (px)",
    "anchors.col.ratios": "Ratios (h/w)",
    "anchors.col.total": "Anchors",
    "anchors.col.inside": "Inside",
    "anchors.col.inside_image": "Inside image",
    "anchors.col.crossing": "Crossing border",
    "anchors.col.shape": "Size · h/w",
    "anchors.col.level_cell": "Level (y, x)",
    "anchors.col.box": "Box (px)",
    "anchors.col.objectness": "P(object)",
    # --- tabs: objectness ------------------------------------------------------------------------------------
    "tab.objectness": "Objectness",
    "objectness.explain": "For every anchor the RPN predicts how likely it is to cover an object (objectness) and how "
                          "to shift it. Each level has one map per anchor shape; the maximum over shapes shows where "
                          "the RPN sees objects at that scale. Small objects light up on fine levels (P2, P3), large "
                          "ones on coarse levels.",
    "objectness.level": "Level",
    "objectness.all_levels": "Maximum over anchor shapes, every level",
    "objectness.per_shape": "Level {level}: one map per anchor shape",
    "objectness.overlay": "Level {level} (max over shapes) on the image",
    "objectness.shape_title": "size {size:g}, ratio {ratio:g}",
    "objectness.level_title": "{name} · {height}×{width}",
    "objectness.colorbar": "P(object)",
    "objectness.col.level": "Level",
    "objectness.col.grid": "Grid (H×W)",
    "objectness.col.anchors": "Anchors",
    "objectness.col.max": "Highest P(object)",
    "objectness.col.above": "Anchors with P > 0.5",
    # --- tabs: proposals -------------------------------------------------------------------------------------
    "tab.proposals": "Proposals",
    "proposals.explain": "The RPN decodes each anchor's predicted offsets into a box, keeps the top-n per level, clips "
                         "to the image, drops tiny and low-score boxes and runs NMS per level. Colours show the FPN "
                         "level a box came from. These views follow the RPN sliders.",
    "proposals.top_n": "Show the top N boxes",
    "proposals.pre_nms": "Before NMS: {shown} of {total}",
    "proposals.post_nms": "After NMS (proposals): {shown} of {total}",
    "proposals.steps": "What each filter step removed",
    "proposals.col.step": "Step",
    "proposals.col.before": "Before",
    "proposals.col.after": "After",
    "proposals.col.removed": "Removed",
    "proposals.legend": "Level colours:",
    # --- tabs: RoI pooling -----------------------------------------------------------------------------------
    "tab.roi": "RoI pooling",
    "roi.explain": "The RoI head needs a fixed 7×7 feature grid for every proposal. The proposal is assigned to a "
                   "pyramid level by its size, projected onto that feature map and pooled. **RoIPool** rounds the box "
                   "and the bin edges to whole cells (quantization) and takes the maximum; **RoIAlign** keeps the "
                   "exact coordinates and averages bilinear samples. Pick a proposal from the list or click one.",
    "roi.proposal": "Proposal",
    "roi.channel": "Channel",
    "roi.click_image": "Proposals (click one)",
    "roi.choice": "#{index} · score {score:.2f} · {width:.0f}×{height:.0f} px · proposed on {level}",
    "roi.assignment": "Proposal #{index} ({width:.0f}×{height:.0f} px in the original image) was proposed by an "
                      "anchor on {proposed_level}, but RoI pooling picks the level from the box size alone: it is "
                      "pooled from **{level}** (spatial scale 1/{inverse_scale:g}). {reason}",
    "roi.level_rule": "√(w·h) = √({width:.1f}·{height:.1f}) = {side:.1f} px (resized frame); k = ⌊{k0} + "
                      "log2({side:.1f}/{s0})⌋ = ⌊{raw:.2f}⌋, clamped to {kmin}..{kmax} → {level}",
    "overview.levels": "{count} levels",
    "overview.stage.nms": "NMS",
    "roi.on_feature": "The RoI on {level}, channel {channel}",
    "roi.pool_cells": "RoIPool: quantized cells",
    "roi.align_points": "RoIAlign: sample points",
    "roi.out_pool": "RoIPool 7×7",
    "roi.out_align": "RoIAlign 7×7",
    "roi.out_diff": "Difference (align − pool)",
    "roi.outputs": "The two 7×7 outputs, channel {channel}",
    "roi.none": "No proposals at these thresholds.",
    # --- tabs: detections ------------------------------------------------------------------------------------
    "tab.detections": "Detections",
    "detections.explain": "For each RoI the head predicts a score per class and a box per class. Postprocessing "
                          "drops low scores and tiny boxes, runs NMS per class and keeps the best. These views follow "
                          "the RoI-head sliders.",
    "detections.table": "Detections",
    "detections.image_label": "{count} detections · score > {score:g} · NMS IoU {nms:g}",
    "detections.per_class": "Per class",
    "detections.steps": "What each postprocess step removed",
    "detections.summary": "JSON summary (same as the API returns)",
    "detections.col.label": "Label",
    "detections.col.score": "Score",
    "detections.col.box": "Box (x1, y1, x2, y2)",
    "detections.col.proposal": "RoI #",
    "detections.col.count": "Count",
    "detections.none": "No detections at these thresholds. Try lowering the detection score.",
    # --- engine step names (inspectors' FilterStep.name) ----------------------------------------------------
    "step.anchors": "anchors",
    "step.per-level top-k": "per-level top-k",
    "step.clip + remove small": "clip + remove small",
    "step.score threshold": "score threshold",
    "step.NMS": "NMS",
    "step.post-NMS top-n": "post-NMS top-n",
    "step.remove tiny boxes": "remove tiny boxes",
    "step.per-class NMS": "per-class NMS",
    "step.detections per image": "detections per image",
}


def _feature_tables() -> None:
    """Strings of the larger features live beside their Korean in one module each (app/locales/<feature>.py)."""
    from app.locales import dataset, ground_truth, masks, teach

    for module in (teach, ground_truth, dataset, masks):
        EN.update(module.EN)


_feature_tables()
