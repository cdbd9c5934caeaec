"""The funnel's RPN-NMS removers (found without walking the level) are the NMS player's: for every candidate the RPN's
NMS removed, at several thresholds and on both of torchvision's batched_nms code paths, the same remover and the
same IoU, bit for bit, as teaching.provenance.nms_suppressor reads from the walk."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inspectors import capture, load_model
from inspectors.ground_truth.funnel import StageBest, _rpn_nms_suppressions
from inspectors.rpn.filter import REMOVED_NMS
from inspectors.teaching.provenance import nms_suppressor

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow]   # ~15 s: one capture, the walk of every level at eight settings


@pytest.fixture(scope="module")
def trace():
    return capture(load_model("demo", device="cpu"), ROOT / "sample_images" / "shapes_02.png")


# pre_nms_top_n 200: batched_nms offsets the levels (its coordinate trick); 1000: it runs each level on its own.
@pytest.mark.parametrize("pre_nms_top_n", [200, 1000])
@pytest.mark.parametrize("nms", [0.3, 0.55, 0.7, 0.9])
def test_every_removed_candidate_has_the_walks_remover_and_iou(trace, pre_nms_top_n, nms):
    replay = trace.replay(rpn_nms_thresh=nms, rpn_pre_nms_top_n=pre_nms_top_n)
    fate = replay.rpn_candidates.fate.cpu().numpy()
    removed = np.flatnonzero(fate == REMOVED_NMS)
    assert removed.size > 0
    # One "object" per removed candidate, whose best candidate it is.
    best = [StageBest(0.0, int(c), None) for c in removed]
    clipped = replay.rpn_candidates.candidate_boxes.cpu().numpy()
    ious = np.zeros((len(fate), len(best)))
    found = _rpn_nms_suppressions(replay, best, fate, clipped, ious)
    for candidate, removal in zip(removed.tolist(), found):
        expected = nms_suppressor(replay, "rpn", candidate)
        assert expected is not None and removal is not None
        assert (removal.removed, removal.by) == (candidate, expected[0])
        assert removal.iou == expected[1]   # the same float32 IoU, exactly
        assert removal.by_score == float(replay.rpn_candidates.candidate_scores[expected[0]])


def test_kept_candidates_have_no_remover(trace):
    replay = trace.replay(rpn_nms_thresh=0.5)
    fate = replay.rpn_candidates.fate.cpu().numpy()
    kept = np.flatnonzero(fate != REMOVED_NMS)[:50]
    best = [StageBest(0.0, int(c), None) for c in kept] + [StageBest(0.0, None, None)]
    clipped = replay.rpn_candidates.candidate_boxes.cpu().numpy()
    found = _rpn_nms_suppressions(replay, best, fate, clipped, np.zeros((len(fate), len(best))))
    assert found == [None] * len(best)


@pytest.mark.parametrize("settings", [{}, {"rpn_nms_thresh": 0.5}, {"rpn_post_nms_top_n": 60},
                                      {"rpn_pre_nms_top_n": 300, "rpn_nms_thresh": 0.85, "rpn_score_thresh": 0.2}])
def test_recall_proposals_from_the_replays_filtering_equal_a_wide_filtering(trace, settings):
    """The recall curve's 2000 proposals, read from the replay's own NMS survivors, are those of the RPN filtering
    run again with post-NMS top-n 2000 (what the report computed before): same boxes, same order, bit for bit."""
    from inspectors.ground_truth.proposal_recall import extended_proposals
    from inspectors.pipeline.replay import rpn_settings_of

    replay = trace.replay(**settings)
    rpn = rpn_settings_of(trace, replay.settings)
    boxes, scores = extended_proposals(trace, rpn, 2000, replay.rpn_candidates)
    wide_boxes, wide_scores = extended_proposals(trace, rpn, 2000)
    assert np.array_equal(boxes, wide_boxes) and np.array_equal(scores, wide_scores)
    assert len(boxes) >= len(replay.proposals)
