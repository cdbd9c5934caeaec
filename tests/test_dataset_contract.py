"""Dataset mode's public names are a contract; the engine imports no UI library and no Ray until asked."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.dataset]

ROOT = Path(__file__).resolve().parents[1]


def test_dataset_modules_import_no_ui_library_and_no_ray():
    code = ("import sys, inspectors, inspectors.dataset.store, inspectors.dataset.capture, inspectors.dataset.views, "
            "inspectors.dataset.ray, inspectors.dataset.sweep, inspectors.dataset.demo; "
            "print(sorted(m for m in ('gradio', 'plotly', 'ray') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_contract(demo_capture):
    import inspectors
    from inspectors import DatasetCapture, DatasetMetrics, capture_dataset

    params = inspect.signature(capture_dataset).parameters
    assert list(params)[:4] == ["model", "images", "annotations", "out"]
    assert params["engine"].default == "local" and params["progress"].default is True
    assert params["engine"].kind is inspect.Parameter.KEYWORD_ONLY
    assert callable(DatasetCapture.open) and inspectors.DatasetCapture is DatasetCapture
    metrics = DatasetCapture.open(demo_capture.path).evaluate(box_score_thresh=0.2)
    assert isinstance(metrics, DatasetMetrics)
    for name in ("ap", "ap50", "ap75", "ap_small", "ap_medium", "ap_large", "ar1", "ar10", "ar100"):
        assert 0.0 <= getattr(metrics, name) <= 1.0, name
    assert set(metrics.per_class) == {"circle", "rectangle", "triangle"}
    assert {"AR@100", "AR@1000"} <= set(metrics.proposal_ar)
    assert set(metrics.per_image) == set(demo_capture.names)
    assert all(set(v) == {"count", "dap"} for v in metrics.tide.values())
