"""A bounded, thread-safe LRU of per-session state, so that sessions stay apart and memory stays bounded.

Each browser tab (or gradio_client) has its own Gradio session hash; the model runs once per (image, model) and
its Trace lives here while sliders replay it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from inspectors import GroundTruth, Replay, Trace
from inspectors.core.lru import BoundedCache

T = TypeVar("T")

VIEW_MEMO_SIZE = 24   # view parts remembered per session (plotly figures, tables: kilobytes; drawn pictures: MBs)
VIEW_MEMO_BYTES = 24 * 2**20   # … and at most this many bytes of pictures, counted in the session's size


def picture_bytes(value: Any) -> int:
    """The bytes of the pictures (numpy arrays) in a view memo entry: an array, or a tuple holding some."""
    parts = value if isinstance(value, tuple) else (value,)
    return sum(int(part.nbytes) for part in parts if isinstance(part, np.ndarray))


@dataclass
class ViewOptions:
    """What the per-tab controls currently show, so that a new inspection renders every tab the same way."""
    features_family: str = "fpn"        # "body" (C2–C5) or "fpn" (P2–P6)
    features_mode: str = "mean"         # "mean" | "max" | "channel"
    features_channel: int = 0
    objectness_level: int = 0           # index into trace.levels
    proposals_top_n: int = 100
    roi_proposal: int | None = None     # index into replay.proposals; None = the best one
    roi_channel: int = 0
    roi_box: tuple[float, float, float, float] | None = None   # a box typed on the RoI tab (original pixels)
    anchor_point: tuple[float, float] | None = None   # original pixels; None = best detection's centre
    nms_stage: str = "rpn"              # "rpn" (one level) or "box" (one class)
    nms_group: int | None = None        # level index or class label; None = the group with the most boxes
    nms_step: int = 0                   # the decision shown by the NMS player
    followed_detection: int | None = None   # index into replay.detections; None = the best one
    followed_anchor: int | None = None      # the followed detection's anchor (highlighted on the Anchors tab)
    fate_candidate: int | None = None       # an RPN candidate clicked on the "before NMS" image
    followed_key: tuple[int, int] | None = None   # (anchor, class) of the followed detection: found again after a
                                                  # slider move, if it survived
    gt_object: int | None = None            # the object picked in the ground-truth funnel
    gt_iou: float = 0.5                     # the funnel's IoU threshold t
    anchor_label_level: int | None = None   # level shown in the anchor-labels overlay; None = the busiest
    current_tab: str = "overview"           # the tab on screen: only its threshold-dependent view is recomputed
    mask_detection: tuple[int, int] | None = None   # (anchor, class) of the detection the Masks tab follows
    mask_threshold: float = 0.5             # the Masks tab's threshold (its step-by-step panel; the viewer's own)
    summary_open: bool = False              # the Detections tab's JSON summary panel is open (else not computed)
    # A tab's own options, kept by its module (tab id -> the tab's options dataclass): a new tab adds no field here.
    # A state with a `for_new_image()` method is replaced by what it returns when another image is inspected.
    tab_state: dict[str, Any] = field(default_factory=dict)

    def tab(self, tab_id: str, state_type: type[T]) -> T:
        """The tab's own options (its defaults until one of its controls changes them)."""
        state = self.tab_state.get(tab_id)
        return state if isinstance(state, state_type) else state_type()

    def for_new_image(self) -> dict[str, Any]:
        """The tabs' own options as another image starts (the ones that name places on the image are dropped)."""
        return {tab_id: state.for_new_image() if hasattr(state, "for_new_image") else state
                for tab_id, state in self.tab_state.items()}


@dataclass
class Session:
    model_key: str                  # the model choice the trace was captured with
    trace: Trace                    # the one capture of (image, model)
    replay: Replay                  # the trace replayed at `thresholds`
    thresholds: dict[str, float]
    replay_seconds: float = 0.0
    image_key: str = ""             # content hash of the inspected file: the model runs once per (image, model)
    options: ViewOptions = field(default_factory=ViewOptions)
    gt: GroundTruth | None = None   # this image's ground truth
    gt_name: str = ""               # the annotation file it came from
    gt_for: str = ""                # the image (content hash) that ground truth belongs to
    gt_reports: dict[Any, Any] = field(default_factory=dict)   # the last ground-truth report, keyed by thresholds
    # The views' memo (figures and tables keyed by everything they are drawn from, the language included), so that
    # a slider move that leaves a view's inputs as they were rebuilds nothing: app/views.py.
    view_memo: BoundedCache[Any, Any] = field(
        default_factory=lambda: BoundedCache(VIEW_MEMO_SIZE, weigh=picture_bytes, max_weight=VIEW_MEMO_BYTES),
        repr=False, compare=False)

    def nbytes(self) -> int:
        return int(self.trace.nbytes()) + int(self.view_memo.weight)


class SessionCache:
    """LRU keyed by session id, bounded by entry count (the one BoundedCache) and by the traces' total size, which
    is measured again at every insertion: a trace grows as replay fills its caches."""

    def __init__(self, max_sessions: int = 16, max_bytes: int = 3 * 1024**3) -> None:
        self.max_sessions = max_sessions
        self.max_bytes = max_bytes
        self._entries: BoundedCache[str, Session] = BoundedCache(max_sessions)

    def get(self, session_id: str) -> Session | None:
        return self._entries.get(session_id)

    def put(self, session_id: str, session: Session) -> None:
        with self._entries.lock:
            self._entries.put(session_id, session)
            # Oldest first; the newest entry always stays, even if it alone exceeds the byte budget.
            while len(self._entries) > 1 and self.total_bytes() > self.max_bytes:
                self._entries.pop(next(iter(self._entries)))

    def drop(self, session_id: str) -> None:
        self._entries.pop(session_id)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, session_id: str) -> bool:
        return session_id in self._entries

    def total_bytes(self) -> int:
        return sum(s.nbytes() for s in self._entries.values())
