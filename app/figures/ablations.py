"""Ablations tab: the RoI heads on other inputs (the paper's "no reg" / "no cls", or boxes someone draws) beside
the model's own detections."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from app.drawing import color_for, draw_boxes
from app.figures.common import markdown_table, to_numpy
from app.strings import t

if TYPE_CHECKING:
    from app.session_cache import Session

KINDS = ("no_reg", "no_cls", "boxes")
DRAWN = (255, 255, 255)
TAB_ID = "ablations"


@dataclass(frozen=True)
class AblationOptions:
    """The tab's own options for a session (kept in its ViewOptions.tab_state)."""
    kind: str = "no_reg"                                         # "no_reg" | "no_cls" | "boxes"
    seed: int = 0
    boxes: tuple[tuple[float, float, float, float], ...] = ()   # drawn or typed, original pixels
    pending: tuple[float, float] | None = None                  # the first corner of a box being drawn

    def for_new_image(self) -> AblationOptions:
        """Another image: the ablation chosen stays, the boxes drawn on the last one go."""
        return replace(self, boxes=(), pending=None)


def ablation_options(session: Session) -> AblationOptions:
    return session.options.tab(TAB_ID, AblationOptions)


def parse_boxes(text: str) -> list[tuple[float, float, float, float]]:
    """One box per line, four numbers each (commas, spaces or brackets); ValueError names the bad line."""
    from app.figures.projection import parse_box

    boxes = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            box = parse_box(line)
        except ValueError:
            raise ValueError(number) from None
        if box is not None:
            boxes.append(box)
    return boxes


def boxes_text(boxes: list[tuple[float, float, float, float]]) -> str:
    return "\n".join(", ".join(f"{v:.0f}" for v in box) for box in boxes)


def detections_image(trace: Any, detections: Any, drawn: list[tuple[float, float, float, float]] | None = None,
                     pending: tuple[float, float] | None = None) -> np.ndarray:
    """Detections (coloured by class) and, when given, the boxes someone drew (white) and a first corner."""
    boxes = to_numpy(detections.boxes).reshape(-1, 4)
    scores, labels = to_numpy(detections.scores), to_numpy(detections.labels)
    texts = [f"{name} {float(s):.2f}" for name, s in zip(detections.names, scores)]
    extra = np.asarray(drawn or [], dtype=np.float32).reshape(-1, 4)
    if pending is not None:
        x, y = pending
        extra = np.concatenate([extra, np.array([[x - 3, y - 3, x + 3, y + 3]], dtype=np.float32)])
    order = list(range(len(boxes)))[::-1]
    all_boxes = np.concatenate([extra, boxes[order]]) if len(extra) else boxes[order]
    colors = [DRAWN] * len(extra) + [color_for(int(labels[i])) for i in order]
    all_texts = [""] * len(extra) + [texts[i] for i in order]
    return draw_boxes(trace.image, all_boxes, colors, all_texts, width=3, dim=0.15)


def comparison_markdown(model: Any, ablation: Any, kind: str) -> str:
    """Model vs ablation: what went into the RoI heads and what came out."""
    def row(label: str, proposals: Any, detections: Any) -> list[Any]:
        scores = to_numpy(detections.scores)
        classes = Counter(detections.names).most_common(4)
        return [label, len(proposals), len(detections), round(float(scores.mean()), 3) if len(scores) else "–",
                ", ".join(f"{name} {n}" for name, n in classes) or "–"]

    rows = [row(t("abl.row.model"), model.proposals, model.detections),
            row(t(f"abl.kind.{kind}"), ablation.proposals, ablation.detections)]
    headers = [t(f"abl.col.{key}") for key in ("run", "rois", "detections", "mean_score", "classes")]
    return markdown_table(headers, rows)


@dataclass
class AblationView:
    kind: str
    boxes_text: str
    model_image: np.ndarray
    ablation_image: np.ndarray
    ablation_label: str
    comparison: str


def _array_key(values: Any) -> tuple[str, tuple[int, ...], bytes]:
    array = to_numpy(values)
    return str(array.dtype), array.shape, array.tobytes()


def _detections_key(detections: Any) -> tuple[Any, ...]:
    """Everything detections_image reads of the detections (their boxes, scores, labels, names)."""
    return (_array_key(detections.boxes), _array_key(detections.scores), _array_key(detections.labels),
            tuple(detections.names))


def _ablation_run(session: Session) -> Any:
    """The chosen ablation at the session's thresholds (memoised by the engine: a final-stage replay), or None for
    "boxes" with none drawn yet."""
    options = ablation_options(session)
    drawn = list(options.boxes)
    if options.kind == "boxes" and not drawn:
        return None
    kind = drawn if options.kind == "boxes" else options.kind
    key = ("abl-run", options.kind, tuple(drawn), int(options.seed), tuple(sorted(session.thresholds.items())))
    return session.view_memo.get_or_build(key, lambda: session.trace.ablation(
        kind, seed=int(options.seed), **session.thresholds))


def _ablation_parts(session: Session, run: Any) -> dict[str, Any]:
    options, replay = ablation_options(session), session.replay
    kind, drawn = options.kind, list(options.boxes)
    label = t(f"abl.kind.{kind}")
    result = None if run is None else (_detections_key(run.detections),
                                       t("abl.ablation_image", kind=label, count=len(run.detections)))
    return {"kind": (kind, boxes_text(drawn) if run is not None else ""),
            "model_image": (_detections_key(replay.detections), tuple(drawn), options.pending),
            "result": (label, result),
            "comparison": t("abl.no_boxes") if run is None else comparison_markdown(replay, run, kind)}


def ablation_keys(session: Session) -> dict[str, Any]:
    """ablation_view's parts (AblationsTab.parts) by what they are drawn from, for a slider move to leave those
    whose key did not change as they are on the page."""
    return _ablation_parts(session, _ablation_run(session))


def ablation_view(session: Session) -> AblationView:
    """The model's detections (where boxes are drawn) beside the RoI heads' answer for the chosen ablation."""
    trace, replay, options = session.trace, session.replay, ablation_options(session)
    drawn = list(options.boxes)
    run = _ablation_run(session)
    parts = _ablation_parts(session, run)
    memo = session.view_memo
    model_image = memo.get_or_build(("abl-model", parts["model_image"]), lambda: detections_image(
        trace, replay.detections, drawn, options.pending))
    kind = options.kind
    label = t(f"abl.kind.{kind}")
    if run is None:
        return AblationView(kind, "", model_image, trace.image, label, t("abl.no_boxes"))
    detections_key, ablation_label = parts["result"][1]
    return AblationView(kind, boxes_text(drawn), model_image,
                        memo.get_or_build(("abl-result", detections_key),
                                          lambda: detections_image(trace, run.detections)),
                        ablation_label, parts["comparison"])
