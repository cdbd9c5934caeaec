"""RCNN Lens: an interactive visual debugger for torchvision's Faster R-CNN.

    python app.py                      # the demo model on http://127.0.0.1:7860
    python app.py --model fasterrcnn_resnet50_fpn --checkpoint my.pth --labels labels.txt
    python app.py --help               # all flags
"""
from app.cli import main

if __name__ == "__main__":
    main()
