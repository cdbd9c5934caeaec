"""What each tab shows for a session: plain data (images, figures, rows, text) built by the figure functions.

Tabs map these onto their components; tests check them without a browser.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import inspectors
from app.figures import anchors as anchor_figs
from app.figures import dataset as dataset_figs
from app.figures import detections as detection_figs
from app.figures import features as feature_figs
from app.figures import ground_truth as gt_figs
from app.figures import nms as nms_figs
from app.figures import objectness as objectness_figs
from app.figures import overview as overview_figs
from app.figures import projection as projection_figs
from app.figures import proposals as proposal_figs
from app.figures import roi as roi_figs
from app.figures import story as story_figs
from app.figures.common import empty_figure, markdown_table, to_numpy
from app.session_cache import Session
from app.strings import current_language, t
from inspectors.core.lru import BoundedCache


@dataclass
class StatusView:
    markdown: str
    detections_count: str


@dataclass
class OverviewView:
    pipeline_html: str
    frames_html: str


@dataclass
class FeaturesView:
    heatmaps: go.Figure
    overlays: list[tuple[np.ndarray, str]]
    shapes: str
    note: str
    max_channel: int            # the widest level's last channel: the channel slider's maximum


@dataclass
class AnchorsView:
    image: np.ndarray
    point_text: str
    hits: str
    model_table: str
    paper_table: str
    border_text: str


@dataclass
class ObjectnessView:
    level_choices: list[tuple[str, int]]
    level: int
    all_levels: go.Figure
    per_shape: go.Figure
    overlay: np.ndarray
    overlay_label: str
    summary: str


@dataclass
class ProposalsView:
    pre_nms_image: np.ndarray
    pre_nms_label: str
    post_nms_label: str
    steps: str
    legend_html: str
    fate: str
    viewer: str = ""   # the box viewer's value (app/viewer.py): the post-NMS proposals, top-N applied in the browser
    draw_post_nms: Callable[[], np.ndarray] = field(default=lambda: np.zeros((1, 1, 3), np.uint8), repr=False)

    @cached_property
    def post_nms_image(self) -> np.ndarray:
        """The post-NMS proposals drawn as a picture (what /inspect and /rethreshold return to scripts), on first
        use: the page draws them with the box viewer."""
        return self.draw_post_nms()


@dataclass
class RoiView:
    choices: list[tuple[str, int]]
    chosen: int | None
    image: np.ndarray
    assignment: str
    feature_figure: go.Figure
    outputs_figure: go.Figure
    max_channel: int
    projection: str
    projection_figure: go.Figure
    article: str
    article_figure: go.Figure


@dataclass
class StoryView:
    choices: list[tuple[str, int]]
    chosen: int | None
    image: np.ndarray | None
    story: str
    suppressed: str
    breadcrumb: str


@dataclass
class GroundTruthView:
    source: str
    warnings: str
    summary: str
    funnel: str                          # the funnel as an HTML table (coloured cells)
    object_choices: list[tuple[str, int]]
    object_chosen: int | None
    object_viewer: str                   # the object's picture on the box viewer (static: the server's boxes)
    object_text: str
    tide: str
    recall: str                          # the recall curves as inline SVG (the page's chart)
    level_choices: list[tuple[str, int]]
    level: int | None
    anchor_image: np.ndarray | None
    anchor_text: str
    losses: str
    draw_recall: Callable[[], go.Figure] = field(default=lambda: empty_figure(""), repr=False)
    draw_funnel: Callable[[], Any] = field(default=lambda: pd.DataFrame(), repr=False)
    draw_object: Callable[[], np.ndarray | None] = field(default=lambda: None, repr=False)

    @cached_property
    def object_image(self) -> np.ndarray | None:
        """The object's picture drawn as an image, on first use (what /inspect and /rethreshold return to scripts)."""
        return self.draw_object()

    @cached_property
    def funnel_frame(self) -> Any:
        """The funnel as a pandas Styler (coloured cells), on first use (what the named API returns to scripts)."""
        return self.draw_funnel()

    @cached_property
    def recall_figure(self) -> go.Figure:
        """The same curves as a plotly figure, on first use (what /inspect and /rethreshold return to scripts)."""
        return self.draw_recall()


@dataclass
class DatasetView:
    summary: dict[str, Any]
    status: str
    metrics: str
    per_class: go.Figure
    pr: go.Figure
    proposals: go.Figure
    tide: str
    worst: list[tuple[np.ndarray, str]]
    worst_names: list[str]


@dataclass
class NmsView:
    stage: str
    group_choices: list[tuple[str, int]]
    group: int | None
    step: int
    steps: int                  # decisions in this NMS (the step slider's range)
    image: np.ndarray | None
    frame: str
    queue: str
    summary: str


@dataclass
class DetectionsView:
    image_label: str
    rows: list[list[Any]]
    counts_html: str
    steps: str
    viewer: str = ""   # the box viewer's value (app/viewer.py): the final stage, applied in the browser
    draw: Callable[[], np.ndarray] = field(default=lambda: np.zeros((1, 1, 3), np.uint8), repr=False)
    summarize: Callable[[], dict[str, Any]] = field(default=dict, repr=False)

    @cached_property
    def image(self) -> np.ndarray:
        """The detections drawn as a picture (what /inspect and /rethreshold return to scripts), on first use: the
        page draws them with the box viewer."""
        return self.draw()

    @cached_property
    def summary(self) -> dict[str, Any]:
        """The JSON summary (the ground-truth report's figures included), on first use: the page shows it only
        while its panel is open, and the ground-truth report costs more than the rest of an RPN move."""
        return self.summarize()


def normalization_text(normalization: Any) -> str:
    """Which normalisation a checkpoint's backbone was loaded with, and why (empty for built-in models)."""
    if normalization is None:
        return ""
    return t("model.normalization", layer=normalization.layer, eps=normalization.eps,
             how=t(f"model.normalization.{normalization.decided_by}",
                   trained_from=t(f"input.custom.trained_from.{normalization.trained_from}")))


def status_view(session: Session) -> StatusView:
    trace, replay = session.trace, session.replay
    height, width = trace.original_size
    count = len(replay.detections)
    markdown = t("status.ready", model=trace.model_name, width=width, height=height, detections=count,
                 proposals=len(replay.proposals), total_ms=sum(trace.timings.values()) * 1000)
    return StatusView(markdown, t("status.detections", count=count))


def overview_view(session: Session) -> OverviewView:
    return OverviewView(overview_figs.pipeline_html(session.trace, session.replay, session.replay_seconds),
                        overview_figs.frames_html(session.trace))


def features_view(session: Session) -> FeaturesView:
    o, trace = session.options, session.trace
    return FeaturesView(
        heatmaps=feature_figs.pyramid_heatmaps(trace, o.features_family, o.features_mode, o.features_channel),
        overlays=feature_figs.pyramid_overlays(trace, o.features_family, o.features_mode, o.features_channel),
        shapes=markdown_table(feature_figs.shapes_headers(), feature_figs.shapes_table(trace, o.features_family)),
        note=feature_figs.channel_note(trace, o.features_family, o.features_mode, o.features_channel),
        max_channel=max(int(f.shape[0]) for f in feature_figs.feature_set(trace, o.features_family).values()) - 1,
    )


def anchors_view(session: Session) -> AnchorsView:
    trace = session.trace
    x, y = session.options.anchor_point or anchor_figs.default_point(trace)
    hits = trace.anchors_at(x, y)
    model_summary = trace.anchor_summary(config="model")
    return AnchorsView(
        image=anchor_figs.hits_image(trace, hits, x, y, gt_boxes(session), session.options.followed_anchor),
        point_text=t("anchors.point", x=x, y=y),
        hits=markdown_table(anchor_figs.hits_headers(), anchor_figs.hits_rows(trace, hits)),
        model_table=markdown_table(anchor_figs.summary_headers(), anchor_figs.summary_rows(model_summary)),
        paper_table=markdown_table(anchor_figs.summary_headers(),
                                   anchor_figs.summary_rows(trace.anchor_summary(config="paper"))),
        border_text=anchor_figs.border_note(model_summary),
    )


def objectness_view(session: Session) -> ObjectnessView:
    trace = session.trace
    level = min(max(0, session.options.objectness_level), len(trace.levels) - 1)
    name = trace.levels[level].name
    return ObjectnessView(
        level_choices=[(info.name, i) for i, info in enumerate(trace.levels)],
        level=level,
        all_levels=objectness_figs.all_levels_figure(trace),
        per_shape=objectness_figs.per_shape_figure(trace, level),
        overlay=objectness_figs.overlay(trace, level),
        overlay_label=t("objectness.overlay", level=name),
        summary=markdown_table(objectness_figs.level_summary_headers(), objectness_figs.level_summary_rows(trace)),
    )


def proposals_view(session: Session) -> ProposalsView:
    trace, replay, top_n = session.trace, session.replay, session.options.proposals_top_n
    pre, post = replay.pre_nms, replay.proposals
    marks = _fate_marks(session)
    return ProposalsView(
        pre_nms_image=session.view_memo.get_or_build(
            ("proposals-pre-nms", _pre_nms_key(session, marks)),
            lambda: proposal_figs.proposals_image(trace, pre, top_n, marks, gt_boxes(session))),
        pre_nms_label=t("proposals.pre_nms", shown=min(top_n, len(pre)), total=len(pre)),
        post_nms_label=t("proposals.post_nms", shown=min(top_n, len(post)), total=len(post)),
        viewer=proposal_figs.proposals_viewer(trace, replay, top_n, gt_boxes(session), _followed_proposal(session),
                                              page=session),
        draw_post_nms=lambda: proposal_figs.proposals_image(trace, post, top_n, [_followed_proposal(session)],
                                                            gt_boxes(session)),
        steps=markdown_table(proposal_figs.steps_headers(), proposal_figs.steps_rows(replay.rpn_steps)),
        legend_html=proposal_figs.level_legend_html(trace),
        fate=fate_text(session),
    )


def _pre_nms_key(session: Session, marks: list[int]) -> tuple[Any, ...]:
    """What the pre-NMS picture is drawn from: the boxes that entered NMS (the per-level top-n and the score
    threshold; not the NMS IoU nor the post-NMS top-n), the top-N shown, the marked boxes, the objects."""
    settings = session.replay.settings
    return (int(settings["rpn_pre_nms_top_n"]), float(settings["rpn_score_thresh"]),
            int(session.options.proposals_top_n), tuple(marks), id(session.gt), current_language())


def proposals_keys(session: Session) -> dict[str, Any]:
    """proposals_view's parts by what they are drawn from: an RPN NMS or post-NMS top-n move leaves the pre-NMS
    picture and the level legend as they are on the page."""
    return {"legend": (current_language(),), "pre_nms": _pre_nms_key(session, _fate_marks(session))}


def _fate_marks(session: Session) -> list[int]:
    """The clicked pre-NMS box and, when NMS removed it, the box that did (indices into replay.pre_nms)."""
    candidate = session.options.fate_candidate
    if candidate is None:
        return []
    position = {int(c): k for k, c in enumerate(session.replay.rpn_candidates.pre_nms.tolist())}
    marks = [position.get(candidate)]
    suppressor = session.replay.rpn_fate(candidate).suppressed_by
    if suppressor is not None:
        marks.append(position.get(suppressor.suppressor))
    return [m for m in marks if m is not None]


def _followed_proposal(session: Session) -> int | None:
    index = session.options.followed_detection
    if index is None or not 0 <= index < len(session.replay.detections):
        return None
    return int(session.replay.detections.proposal_index[index])


# The article's worked example (the same box for every image) in each language: its table and figure.
_ARTICLE: BoundedCache[str, tuple[str, go.Figure]] = BoundedCache(8)


def _article_example(language: str) -> tuple[str, go.Figure]:
    """The article's example as a table and a figure, built once per language (figures are never mutated)."""
    def build() -> tuple[str, go.Figure]:
        article = inspectors.roi_projection(projection_figs.ARTICLE_BOX, 1.0 / projection_figs.ARTICLE_STRIDE)
        return (projection_figs.article_markdown(article),
                projection_figs.projection_figure(article, t("proj.article_title")))
    return _ARTICLE.get_or_build(language, build)


@dataclass
class _RoiPlan:
    """What the RoI tab shows, decided cheaply (no drawing): the proposal list, the chosen one and its box."""
    candidates: list[int]
    chosen: int | None
    choices: list[tuple[str, int]]
    typed: tuple[float, float, float, float] | None
    box: tuple[float, float, float, float] | None   # the box pooled: the typed one, else the chosen proposal's
    max_channel: int


def _roi_plan(session: Session) -> _RoiPlan:
    trace, proposals = session.trace, session.replay.proposals
    max_channel = min(int(f.shape[0]) for f in trace.fpn_features.values()) - 1
    candidates = roi_figs.choice_indices(proposals)
    chosen = session.options.roi_proposal
    if chosen is None or not 0 <= chosen < len(proposals):
        chosen = candidates[0] if candidates else None
    if chosen is not None and chosen not in candidates:
        candidates = candidates + [chosen]
    typed = session.options.roi_box
    box = typed if typed is not None else (None if chosen is None else
                                            tuple(float(v) for v in proposals.boxes[chosen].tolist()))
    return _RoiPlan(candidates, chosen, roi_figs.proposal_choices(trace, proposals, also=chosen), typed,
                    box, max_channel)  # type: ignore[arg-type]


def _roi_keys(session: Session, plan: _RoiPlan) -> dict[str, Any]:
    """The RoI tab's parts (RoiTab.parts) by what they are drawn from: equal keys, equal pictures and tables."""
    proposals = session.replay.proposals
    index = plan.candidates
    drawn = (to_numpy(proposals.boxes)[index].tobytes(), to_numpy(proposals.levels)[index].tobytes(),
             plan.candidates.index(plan.chosen) if plan.chosen in plan.candidates else None) if index else None
    language = current_language()
    pooled = None if plan.box is None else (plan.box, int(session.options.roi_channel), language)
    return {"choices": (tuple(plan.choices), None if plan.typed is not None else plan.chosen),
            "image": drawn,
            "figures": pooled,
            "assignment": (pooled, plan.typed is None, plan.chosen,
                           None if plan.chosen is None else int(proposals.levels[plan.chosen])),
            "article": (language, plan.max_channel)}


def roi_keys(session: Session) -> dict[str, Any]:
    """roi_view's parts by what they are drawn from (cheap: nothing is drawn), for a slider move to leave the parts
    whose key did not change as they are on the page."""
    return _roi_keys(session, _roi_plan(session))


def _roi_pooled(session: Session, box: tuple[float, float, float, float], channel: int) -> tuple[Any, ...]:
    """One box's pooling view, its two figures, its projection walk (table and figure): built once per (box,
    channel, language) and session (an RPN move that keeps the chosen proposal's box rebuilds none of them)."""
    trace = session.trace

    def build() -> tuple[Any, ...]:
        view = trace.roi_pooling(box)
        walk = trace.roi_projection_walk(box)
        return (view, roi_figs.feature_figure(trace, view, channel), roi_figs.outputs_figure(view, channel),
                projection_figs.walk_markdown(walk, trace.scale),
                projection_figs.projection_figure(walk.projection, t("proj.figure")))
    return session.view_memo.get_or_build(("roi", box, channel, current_language()), build)


def roi_view(session: Session) -> RoiView:
    trace, proposals = session.trace, session.replay.proposals
    plan = _roi_plan(session)
    chosen, typed = plan.chosen, plan.typed
    image = session.view_memo.get_or_build(
        ("roi-image", _roi_keys(session, plan)["image"]),
        lambda: roi_figs.proposals_image(trace, proposals, chosen, plan.candidates))
    article_md, article_figure = _article_example(current_language())
    if plan.box is None:
        empty = empty_figure(t("roi.none"))
        return RoiView(plan.choices, None, image, t("roi.none"), empty, empty, plan.max_channel, "", empty,
                       article_md, article_figure)
    view, feature, outputs, walk_md, projection = _roi_pooled(session, plan.box, int(session.options.roi_channel))
    assignment = (roi_figs.assignment_markdown(trace, view, proposals, chosen) if typed is None
                  else roi_figs.level_rule(view))
    return RoiView(plan.choices, chosen if typed is None else None, image, assignment, feature, outputs,
                   plan.max_channel, walk_md, projection, article_md, article_figure)


def gt_report(session: Session) -> Any:
    """The ground-truth report at the session's thresholds (None without ground truth); the last one is kept."""
    if session.gt is None:
        return None
    key = (tuple(sorted(session.thresholds.items())), session.options.gt_iou)
    if key not in session.gt_reports:
        session.gt_reports.clear()
        session.gt_reports[key] = session.trace.ground_truth(session.gt, iou_threshold=session.options.gt_iou,
                                                             **session.thresholds)
    return session.gt_reports[key]


def gt_boxes(session: Session) -> np.ndarray | None:
    """The objects to find (original pixels), for the dashed overlays; None without ground truth."""
    return None if session.gt is None else np.asarray(session.gt.boxes, dtype=np.float32).reshape(-1, 4)


def detections_view(session: Session) -> DetectionsView:
    """The Detections tab at the session's thresholds. The picture for scripts and the JSON summary are built on
    first use (both read the ground-truth report)."""
    trace, replay = session.trace, session.replay

    def draw() -> np.ndarray:
        report = gt_report(session)
        status, kinds = (gt_figs.detection_statuses(report, len(replay.detections)) if report is not None
                         else (None, None))
        return detection_figs.detections_image(trace, replay.detections, gt_boxes(session), status, kinds,
                                               followed_detection(session))

    def summarize() -> dict[str, Any]:
        summary = detection_figs.summary(trace, replay, mask_threshold=session.options.mask_threshold)
        report = gt_report(session)
        if report is not None:
            summary["ground_truth"] = report.to_dict()
        return summary

    return DetectionsView(
        draw=draw, summarize=summarize,
        image_label=t("detections.image_label", count=len(replay.detections),
                      score=replay.settings["box_score_thresh"], nms=replay.settings["box_nms_thresh"]),
        rows=detection_figs.table_rows(replay.detections),
        counts_html=detection_figs.class_counts_html(trace, replay.detections),
        steps=markdown_table(proposal_figs.steps_headers(), proposal_figs.steps_rows(replay.box_steps)),
        viewer=detection_figs.detections_viewer(trace, replay, session.gt, followed_detection(session), session),
    )


def nms_view(session: Session) -> NmsView:
    """The NMS player at the session's stage, group and decision (clamped to what exists at these thresholds)."""
    replay, options = session.replay, session.options
    groups = replay.nms_groups(options.nms_stage)
    choices = nms_figs.group_choices(groups)
    if not groups:
        return NmsView(options.nms_stage, [], None, 0, 1, session.trace.image, t("nms.no_groups"), "", "")
    known = [g.group for g in groups]
    group = options.nms_group if options.nms_group in known else max(groups, key=lambda g: g.count).group
    walk = replay.nms_walkthrough(options.nms_stage, group)
    step = min(max(0, options.nms_step), len(walk) - 1)
    frame = walk.frame(step)
    return NmsView(options.nms_stage, choices, group, step, len(walk), nms_figs.frame_image(session.trace, walk, frame),
                   nms_figs.frame_markdown(walk, frame), nms_figs.queue_markdown(walk, frame),
                   nms_figs.summary_markdown(walk))


def followed_detection(session: Session) -> int | None:
    """The detection someone chose to follow, if it still exists at these thresholds."""
    chosen = session.options.followed_detection
    return chosen if chosen is not None and 0 <= chosen < len(session.replay.detections) else None


def story_view(session: Session) -> StoryView:
    """The followed detection: its story in numbers and what it suppressed (nothing until one is chosen)."""
    replay = session.replay
    chosen = followed_detection(session)
    choices = story_figs.detection_choices(replay.detections)
    if not choices:
        return StoryView([], None, None, t("story.none"), "", "")
    if chosen is None:
        lost = session.options.followed_key is not None
        return StoryView(choices, None, None, t("story.lost" if lost else "story.pick"), "", "")
    provenance = replay.provenance(chosen)
    return StoryView(choices, chosen, story_figs.story_image(session.trace, provenance.story),
                     story_figs.story_markdown(provenance.story), story_figs.suppressed_markdown(provenance), "")


def breadcrumb_html(session: Session) -> str:
    """The followed detection's lineage, shown above every tab (cheap: no NMS lineage needed)."""
    chosen = followed_detection(session)
    if chosen is None:
        return story_figs.lost_html() if session.options.followed_key is not None else ""
    replay, trace = session.replay, session.trace
    proposal = int(replay.detections.proposal_index[chosen])
    anchor = int(replay.proposals.anchor_index[proposal])
    level, y, x, shape = trace.decode_anchor(anchor)
    size, ratio = trace.levels[level].shape_of(shape)
    return story_figs.breadcrumb_html(
        level=trace.levels[level].name, y=y, x=x, size=size, ratio=ratio,
        objectness=float(replay.proposals.scores[proposal]), proposal=proposal,
        name=replay.detections.names[chosen], score=float(replay.detections.scores[chosen]), detection=chosen)


def fate_text(session: Session) -> str:
    candidate = session.options.fate_candidate
    if candidate is None:
        return t("fate.title")
    replay = session.replay
    fate = replay.rpn_fate(candidate)
    level = session.trace.levels[int(replay.rpn_candidates.candidate_levels[candidate])].name
    return story_figs.fate_markdown(fate, candidate, level)


def _gt_chosen(session: Session, report: Any) -> int | None:
    """The object the Ground-truth tab shows: the one picked, else the first lost one, else the first."""
    chosen = session.options.gt_object
    if report.funnel and (chosen is None or not 0 <= chosen < len(report.funnel)):
        lost = [r.index for r in report.funnel if r.lost_at is not None]
        chosen = lost[0] if lost else 0
    return chosen


def _array_key(values: Any) -> tuple[str, tuple[int, ...], bytes]:
    array = np.asarray(values)
    return str(array.dtype), array.shape, array.tobytes()


def _recall_key(report: Any, language: str) -> tuple[Any, ...]:
    """Everything gt_figs.recall_figure reads (the curves' exact values), and the language."""
    curve, vs = report.recall_vs_iou, report.recall_vs_proposals
    sizes = tuple((size, int(count), _array_key(curve.by_size[size]) if count else None)
                  for size, count in sorted(curve.objects_by_size.items()))
    return (language, int(curve.proposals), _array_key(curve.iou_thresholds), _array_key(curve.recall), sizes,
            tuple(vs.counts), _array_key(vs.recall_at(0.5)), _array_key(vs.recall_at(0.7)))


def _ground_truth_parts(session: Session, report: Any) -> dict[str, Any]:
    """The Ground-truth tab's threshold-dependent parts (GroundTruthTab.parts) by what they are drawn from: the
    texts themselves, the funnel's cells, the object's boxes and text, the recall curves' values."""
    language = current_language()
    warnings = "\n".join(f"- {gt_figs.warning_text(w)}" for w in report.warnings)
    if warnings:
        warnings = f"**{t('gt.warnings')}**\n\n{warnings}"
    chosen = _gt_chosen(session, report)
    stages = tuple(getattr(report, "stages", ()))
    funnel = tuple((r.index, r.name, tuple(round(float(r.best_iou[s]), 2) for s in stages), r.lost_at)
                   for r in report.funnel)
    drawn = None
    if chosen is not None:
        record = report.funnel[chosen]
        drawn = (gt_figs.object_markdown(report, chosen), tuple(record.box), record.detection_score,
                 tuple((stage, None if best is None or best.box is None else (tuple(best.box), best.iou))
                       for stage, best in ((s, record.best.get(s)) for s in gt_figs.DRAWN_STAGES)), language)
    return {"warnings": warnings, "summary": gt_figs.summary_markdown(report),
            "funnel": (language, report.iou_threshold, stages, funnel),
            "object": (tuple(gt_figs.object_choices(report)), chosen), "object_view": drawn,
            "tide": gt_figs.tide_markdown(report), "recall": _recall_key(report, language),
            "losses": gt_figs.losses_markdown(report)}


def ground_truth_keys(session: Session) -> dict[str, Any]:
    """ground_truth_view's parts by what they are drawn from ({} without ground truth; the report is the one the
    page shows, kept by gt_report)."""
    report = gt_report(session)
    return {} if report is None else _ground_truth_parts(session, report)


def ground_truth_view(session: Session) -> GroundTruthView:
    """The Ground truth tab: the funnel, one object's story, TP/FP/FN and TIDE, recall, anchor labels, losses."""
    report = gt_report(session)
    levels = [(info.name, i) for i, info in enumerate(session.trace.levels)]
    if report is None:
        headers = gt_figs.funnel_headers()
        return GroundTruthView(t("gt.none"), "", "", "", [], None, "", "", "", "", levels, None, None, "", "",
                               draw_recall=lambda: empty_figure(t("gt.none")),
                               draw_funnel=lambda: pd.DataFrame(columns=headers))
    gt = report.gt
    source = t("gt.source", name=session.gt_name, count=len(gt.names), ignored=len(gt.ignore_names))
    parts = _ground_truth_parts(session, report)
    chosen = parts["object"][1]
    level = session.options.anchor_label_level
    if level is None or not 0 <= level < len(levels):
        positives = [c.positive for c in report.anchor_analysis.per_level]
        level = int(np.argmax(positives)) if positives else 0
    memo, trace = session.view_memo, session.trace
    # (a few boxes as JSON, built each time: it registers the capture's image for the viewer to fetch)
    object_viewer = "" if chosen is None else gt_figs.object_viewer(trace, report, chosen)

    def draw_object() -> np.ndarray | None:
        return None if chosen is None else memo.get_or_build(
            ("gt-object", parts["object_view"]), lambda: gt_figs.object_image(trace, report, chosen))
    return GroundTruthView(
        source=source, warnings=parts["warnings"], summary=parts["summary"],
        funnel=gt_figs.funnel_html(report), draw_funnel=lambda: gt_figs.funnel_frame(report),
        object_choices=list(parts["object"][0]), object_chosen=chosen,
        object_viewer=object_viewer, draw_object=draw_object,
        object_text=parts["object_view"][0] if chosen is not None else "",
        tide=parts["tide"], recall=memo.get_or_build(("gt-recall", parts["recall"]),
                                                     lambda: gt_figs.recall_svg(report)),
        draw_recall=lambda: gt_figs.recall_figure(report),
        level_choices=levels, level=level,
        anchor_image=memo.get_or_build(("gt-anchors", report.gt.key, report.seed, level),
                                       lambda: gt_figs.anchor_labels_image(trace, report, level)),
        anchor_text=gt_figs.anchor_labels_markdown(report), losses=parts["losses"])


def dataset_view(dataset: Any, metrics: Any, thresholds: dict[str, Any], status: str) -> DatasetView:
    """The Dataset tab at one setting of the seven thresholds."""
    gallery, names = dataset_figs.worst_gallery(dataset, metrics, thresholds)
    summary = {"images": len(dataset), "model": dataset.model_name, "settings": dict(thresholds),
               "metrics": metrics.to_dict()}
    return DatasetView(summary, status, dataset_figs.metrics_markdown(metrics, len(dataset)),
                       dataset_figs.per_class_figure(metrics), dataset_figs.pr_figure(metrics),
                       dataset_figs.proposal_figure(metrics), dataset_figs.tide_markdown(metrics), gallery, names)
