"""Stage 2, the RoI heads: the box head run on the captured FPN maps, and torchvision's postprocess (score
threshold, per-class NMS, detections per image) with lineage, for one image or many. Imports `core` and `rpn`."""
