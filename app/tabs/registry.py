"""The tabs, in page order: each one's id (its label is the string `tab.<id>`), how it is built, and which of the
seven thresholds its view reads (the sliders folded into it in the projector layout). The page layout, the
projector strips and the wiring test are derived from this table: a new tab is one entry here plus its module,
its figures and its strings."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from app import views
from app.tabs import (
    ablations,
    anchors,
    dataset,
    detections,
    features,
    ground_truth,
    masks,
    nms,
    objectness,
    overview,
    proposals,
    roi,
)
from inspectors.core.thresholds import THRESHOLD_KEYS


@dataclass(frozen=True)
class TabSpec:
    id: str
    build: Callable[[], Any]
    reads: tuple[str, ...] = ()   # thresholds the tab's view depends on (its strip in the projector layout)
    wire: Callable[..., dict[str, Callable[..., Any]]] | None = None   # (lens, the built tab) -> its events by name
    # (lens, the built tab, the page layout) -> its events by name: for a tab whose events update other tabs too
    wire_page: Callable[..., dict[str, Callable[..., Any]]] | None = None
    # (the built tab, a session) -> its threshold-dependent values: computed when the tab shows or opens
    refresh: Callable[[Any, Any], dict[Any, Any]] | None = None
    # a session -> the tab's parts by what they are drawn from (cheap: nothing drawn); taken before and after a
    # slider move, a part whose key is the same is left as it is on the page (the built tab's `parts` maps the same
    # names to its outputs)
    keys: Callable[[Any], dict[str, Any]] | None = None

    @property
    def label_key(self) -> str:
        return f"tab.{self.id}"


TABS: tuple[TabSpec, ...] = (
    TabSpec("overview", overview.build),
    TabSpec("features", features.build, wire=features.wire),
    TabSpec("anchors", anchors.build, wire=anchors.wire),
    TabSpec("objectness", objectness.build, wire=objectness.wire),
    TabSpec("proposals", proposals.build,
            ("rpn_pre_nms_top_n", "rpn_nms_thresh", "rpn_post_nms_top_n", "rpn_score_thresh"), wire=proposals.wire,
            keys=views.proposals_keys),
    TabSpec("nms", nms.build, ("rpn_nms_thresh", "box_nms_thresh", "box_score_thresh"), wire=nms.wire),
    TabSpec("roi", roi.build, ("rpn_nms_thresh", "rpn_post_nms_top_n"), wire=roi.wire, keys=views.roi_keys),
    TabSpec("detections", detections.build, ("box_score_thresh", "box_nms_thresh", "box_detections_per_img"),
            wire_page=detections.wire_follow),
    TabSpec("masks", masks.build, ("box_score_thresh", "box_nms_thresh", "box_detections_per_img"), wire=masks.wire,
            refresh=masks.refresh),
    TabSpec("gt", ground_truth.build,
            ("rpn_post_nms_top_n", "rpn_nms_thresh", "box_score_thresh", "box_nms_thresh"), wire=ground_truth.wire,
            keys=views.ground_truth_keys),
    TabSpec("ablations", ablations.build, ("rpn_post_nms_top_n", "box_score_thresh"), wire=ablations.wire,
            refresh=ablations.refresh, keys=ablations.keys),
    # its own seven sliders, on the tab (said so on the page); capture reads the page's model choice
    TabSpec("dataset", dataset.build, wire_page=dataset.wire),
)

BY_ID: dict[str, TabSpec] = {spec.id: spec for spec in TABS}


def tab_keys(session: Any) -> dict[str, Any]:
    """The open tab's parts by what they are drawn from ({} for a tab without parts)."""
    spec = BY_ID.get(session.options.current_tab)
    return spec.keys(session) if spec is not None and spec.keys is not None else {}


# Tab id -> the sliders folded into it in the projector layout.
STRIP_KEYS: dict[str, tuple[str, ...]] = {spec.id: spec.reads for spec in TABS if spec.reads}

assert len({spec.id for spec in TABS}) == len(TABS), "tab ids must be unique"
assert all(set(spec.reads) <= set(THRESHOLD_KEYS) for spec in TABS), "a tab reads an unknown threshold"
