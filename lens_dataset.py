"""RCNN Lens dataset mode on the command line: capture a dataset once, then evaluate, sweep and report.

    python lens_dataset.py capture runs/val --demo 100
    python lens_dataset.py evaluate runs/val --box-score-thresh 0.3
    python lens_dataset.py report runs/val --out report.html
    python lens_dataset.py --help          # every command and flag
"""
import sys

from reports.dataset_cli import main

if __name__ == "__main__":
    sys.exit(main())
