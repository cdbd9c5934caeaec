"""The backbone runs exactly once per inspected image, whatever the sliders and tab controls do afterwards."""
from __future__ import annotations

from pathlib import Path

from app import handlers, views
from app.testing import make_lens, shapes_image

MOVES = [
    {"box_score_thresh": 0.5},
    {"box_nms_thresh": 0.3, "box_detections_per_img": 5},
    {"rpn_nms_thresh": 0.5},                     # RPN: new proposals, the RoI heads run for them
    {"rpn_pre_nms_top_n": 200, "rpn_post_nms_top_n": 50},
    {"rpn_score_thresh": 0.3, "box_score_thresh": 0.1},
    {"rpn_nms_thresh": 0.9, "rpn_post_nms_top_n": 2000},
]


def test_the_backbone_runs_once_per_image_whatever_the_sliders_do(tmp_path: Path) -> None:
    lens = make_lens()
    model = lens.store.get("demo")
    calls = {"body": 0, "fpn": 0}
    hooks = [model.model.backbone.body.register_forward_hook(lambda *a: calls.__setitem__("body", calls["body"] + 1)),
             model.model.backbone.fpn.register_forward_hook(lambda *a: calls.__setitem__("fpn", calls["fpn"] + 1))]
    try:
        first, second = shapes_image(tmp_path / "a.png", seed=1), shapes_image(tmp_path / "b.png", seed=2)
        session = handlers.inspect_image(lens, "s", first, "demo")
        assert calls == {"body": 1, "fpn": 1}
        thresholds = dict(session.thresholds)
        for move in MOVES:
            thresholds.update(move)
            session, _ = handlers.rethreshold(lens, "s", thresholds)
            views.proposals_view(session), views.roi_view(session), views.detections_view(session)
        handlers.set_options(lens, "s", features_family="body", features_mode="channel", features_channel=3)
        handlers.set_options(lens, "s", roi_proposal=2, objectness_level=1, anchor_point=(10.0, 20.0))
        views.features_view(session), views.anchors_view(session), views.objectness_view(session)
        handlers.reset_thresholds(lens, "s")
        handlers.inspect_image(lens, "s", first, "demo")          # the same file again: the trace is reused
        assert calls == {"body": 1, "fpn": 1}
        handlers.inspect_image(lens, "s", second, "demo")         # a new image: one more run
        assert calls == {"body": 2, "fpn": 2}
    finally:
        for hook in hooks:
            hook.remove()
