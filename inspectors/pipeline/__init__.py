"""The pipeline: `capture` (one forward with hooks → a Trace) and `replay` (every stage after the backbone at any
thresholds → a Replay), reading like torchvision's GeneralizedRCNN.forward. Imports `core`, `rpn` and `roi`."""
