"""The methods people call on a Trace and a Replay (`trace.replay(...)`, `trace.ground_truth(gt)`, `r.explain(i)`,
…), bound here, at the top of the package.

Each is the analysis' own function, whose first argument is the trace or the replay. Binding them here, rather than
importing the analyses from `core` or `pipeline`, keeps every import pointing down the layers (no cycle, not even
inside a function); `inspectors/__init__.py` imports this module, so the methods exist as soon as `inspectors` is
imported. The stubs in `core/trace.py` and `pipeline/replay.py` give type checkers their signatures.
"""

from __future__ import annotations

from inspectors.core.trace import Trace
from inspectors.ground_truth.report import ground_truth
from inspectors.pipeline.replay import Replay, replay
from inspectors.rpn.anchors import anchor_summary, anchors_at
from inspectors.teaching.ablation import ablation
from inspectors.teaching.box_story import explain, explain_proposal
from inspectors.teaching.nms_walkthrough import nms_groups, nms_walkthrough
from inspectors.teaching.provenance import anchor_fate, box_fate, provenance, rpn_fate
from inspectors.teaching.roi_pooling import roi_pooling_view
from inspectors.teaching.roi_projection import roi_projection_walk

TRACE_METHODS = {
    "replay": replay,
    "ground_truth": ground_truth,
    "anchor_summary": anchor_summary,
    "anchors_at": anchors_at,
    "roi_pooling": roi_pooling_view,
    "roi_projection_walk": roi_projection_walk,
    "ablation": ablation,
}
REPLAY_METHODS = {
    "explain": explain,
    "explain_proposal": explain_proposal,
    "nms_groups": nms_groups,
    "nms_walkthrough": nms_walkthrough,
    "provenance": provenance,
    "rpn_fate": rpn_fate,
    "anchor_fate": anchor_fate,
    "box_fate": box_fate,
}

for _name, _function in TRACE_METHODS.items():
    setattr(Trace, _name, _function)
for _name, _function in REPLAY_METHODS.items():
    setattr(Replay, _name, _function)
