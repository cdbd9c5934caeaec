"""The engine is UI-free, and its public names are a contract for code outside this repo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_inspectors_imports_no_ui_libraries():
    code = "import sys, inspectors, inspectors.rpn.anchors, inspectors.teaching.roi_pooling, inspectors.teaching.nms; " \
           "print(sorted(m for m in ('gradio', 'plotly') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_contract():
    import inspectors
    from inspectors import Trace

    for name in ("load_model", "capture", "compare_roi_pooling", "nms_steps"):
        assert callable(getattr(inspectors, name))
    for name in ("replay", "roi_pooling", "anchor_summary", "anchors_at"):
        assert callable(getattr(Trace, name))
    assert isinstance(Trace.detections, property)
