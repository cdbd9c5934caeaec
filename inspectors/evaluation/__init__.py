"""Evaluation: COCO's matching and accumulation (one matcher for one image and for a dataset; pycocotools is the
test oracle, never the hot path), COCO metrics, and TIDE's error types. Pure numpy; imports only `core`."""
