"""Stage 1, the region proposal network: the anchors the model tiles, RPN proposal filtering (pre-NMS top-n, NMS,
post-NMS top-n) with lineage, and NMS at every slider step in one pass. Imports only `core`."""
