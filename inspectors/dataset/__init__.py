"""Dataset mode: capture many images once (locally or on Ray) into compact records, replay them at any
thresholds, evaluate with COCO metrics and TIDE, sweep the thresholds; the demo dataset and its synthetic scenes."""
