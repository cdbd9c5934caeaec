"""Event handlers as plain functions: state in, state out, readable errors. No gradio here, so they are unit-tested
without a browser; app/ui.py turns `UserError` into gr.Error and the views into component updates."""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

import inspectors
import inspectors.core.images
from app.config import CUSTOM_ARCHITECTURES, DEFAULT_MODEL, THRESHOLD_KEYS, sample_ground_truth
from app.dataset_store import DatasetStore, demo_key, demo_source, folder_source
from app.jobs import Job, JobCancelled, JobRefused
from app.model_store import ModelStore
from app.session_cache import Session, SessionCache, ViewOptions
from app.strings import engine_error_text, t
from inspectors.core.errors import InputError
from inspectors.core.lru import BoundedCache
from inspectors.core.thresholds import RPN_KEYS, THRESHOLDS, check_thresholds

log = logging.getLogger("rcnn_lens")

INTEGER_KEYS = frozenset(spec.key for spec in THRESHOLDS if spec.integer)
ProgressFn = Callable[[float, str], None]


class UserError(Exception):
    """A problem the person can fix; its message is shown as is."""


@dataclass
class Lens:
    """App-wide state shared by every event: loaded models, the per-session traces, each session's page settings."""
    store: ModelStore
    cache: SessionCache
    prefs: "SessionPrefs" = field(default_factory=lambda: SessionPrefs())
    datasets: DatasetStore = field(default_factory=DatasetStore)


class SessionPrefs:
    """Per-session page settings (language, layout) that outlive a trace; bounded, least recently used first."""

    def __init__(self, max_sessions: int = 4096) -> None:
        self.max_sessions = max_sessions
        self._entries: BoundedCache[str, dict[str, str]] = BoundedCache(max_sessions)

    def get(self, session_id: str, key: str) -> str | None:
        entry = self._entries.peek(session_id)
        return None if entry is None else entry.get(key)

    def set(self, session_id: str, key: str, value: str) -> None:
        with self._entries.lock:
            self._entries.get_or_build(session_id, dict)[key] = value


def _no_progress(fraction: float, message: str) -> None:
    pass


def normalize_thresholds(values: Mapping[str, Any]) -> dict[str, float | int]:
    """The seven settings checked by the engine's rules (type, finite, range); numeric strings from an HTTP client
    are read as numbers. Nothing is clamped: a value out of range is a UserError that names the allowed range."""
    missing = [key for key in THRESHOLD_KEYS if values.get(key) is None]
    if missing:
        raise UserError(t("error.missing_thresholds", names=", ".join(t(f"th.{key}") for key in missing)))
    numbers: dict[str, Any] = {}
    for key in THRESHOLD_KEYS:
        value = values[key]
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                pass  # the engine names it as "not a number"
        numbers[key] = value
    try:
        return check_thresholds(numbers)
    except InputError as error:
        raise UserError(engine_error_text(error)) from None


def check_image_file(path: str | Path | None) -> str:
    """The path if it holds an image that can be inspected; a UserError that says why not (before the model runs)."""
    if path is None or str(path) == "":
        raise UserError(t("error.no_image"))
    try:
        inspectors.core.images.check_image_file(path)
    except inspectors.InputError as error:
        if error.code == "image.not_an_image":
            raise UserError(t("error.not_an_image")) from None
        raise UserError(t("error.bad_image", reason=engine_error_text(error))) from None
    return str(path)


def file_digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def get_model(lens: Lens, model_name: str, session_id: str | None = None) -> Any:
    try:
        return lens.store.get(model_name, session_id)
    except KeyError:
        choices = ", ".join(lens.store.choices(session_id))
        raise UserError(t("error.unknown_model", name=model_name, choices=choices)) from None
    except inspectors.ModelLoadError as error:
        raise UserError(t("error.model_load", reason=engine_error_text(error))) from None


def inspect_image(lens: Lens, session_id: str, image_path: str | Path | None, model_name: str,
                  progress: ProgressFn = _no_progress, annotations: str | Path | None = None,
                  keep_gt: bool = True) -> Session:
    """Run the model once on the image (with hooks) and replay at this session's thresholds.

    The same file with the same model reuses the session's trace: the model runs once per (image, model).
    `annotations` (COCO JSON / VOC XML) gives the image's ground truth; without it a bundled sample brings its own.
    Interactive: a background capture waits between its images while this runs (app.jobs.InteractiveGate).
    """
    with lens.datasets.jobs.gate.interactive():
        return _inspect_image(lens, session_id, image_path, model_name, progress, annotations, keep_gt)


def _inspect_image(lens: Lens, session_id: str, image_path: str | Path | None, model_name: str,
                   progress: ProgressFn, annotations: str | Path | None, keep_gt: bool) -> Session:
    path = check_image_file(image_path)
    image_key = file_digest(path)
    previous = lens.cache.get(session_id)
    if previous is not None and previous.model_key == model_name and previous.image_key == image_key:
        set_ground_truth(previous, annotations, path, keep=keep_gt)
        return previous
    if not lens.store.is_loaded(model_name, session_id):
        progress(0.05, t("progress.load_model", name=model_name))
    model = get_model(lens, model_name, session_id)
    progress(0.3, t("progress.capture"))
    try:
        trace = inspectors.capture(model, path)
    except inspectors.InputError as error:
        raise UserError(t("error.bad_image", reason=engine_error_text(error))) from None
    same_model = previous is not None and previous.model_key == model_name
    # Keep the person's tuned thresholds across images of the same model; a new model starts at its defaults.
    thresholds = dict(previous.thresholds) if same_model else normalize_thresholds(trace.defaults)
    options = (replace(previous.options, roi_proposal=None, anchor_point=None, nms_group=None, nms_step=0,
                       followed_detection=None, followed_anchor=None, fate_candidate=None, followed_key=None,
                       gt_object=None, roi_box=None, tab_state=previous.options.for_new_image())
               if previous else ViewOptions(current_tab=lens.prefs.get(session_id, "tab") or "overview"))
    if not same_model:
        options = replace(options, objectness_level=0)
    progress(0.8, t("progress.draw"))
    started = time.perf_counter()
    replay = trace.replay(**thresholds)
    session = Session(model_key=model_name, trace=trace, replay=replay, thresholds=thresholds,
                      replay_seconds=time.perf_counter() - started, image_key=image_key, options=options)
    set_ground_truth(session, annotations, path)
    lens.cache.put(session_id, session)
    # The tab the page shows (a tab opened while this first capture ran was recorded in prefs): its views are the
    # ones the inspect computes.
    session.options.current_tab = lens.prefs.get(session_id, "tab") or session.options.current_tab
    return session


def set_ground_truth(session: Session, annotations: str | Path | None, image_path: str | Path,
                     keep: bool = False) -> None:
    """The session's ground truth: the file given, else the bundled one of a sample image, else (with `keep`) the
    one this image already has (e.g. from a dataset), else none. It is checked against the image now, so that a
    file made for another image is refused here, readably."""
    if annotations:
        name, source = Path(annotations).name, str(annotations)
        image_name = Path(image_path).name
    else:
        sample = sample_ground_truth().get(session.image_key)
        if sample is None:
            if not (keep and session.gt is not None and session.gt_for == session.image_key):
                session.gt, session.gt_name = None, ""
            return
        source, image_name = sample
        name = Path(source).name
    try:
        gt = inspectors.load_annotations(source, image=image_name)
        from inspectors.ground_truth.report import prepare_ground_truth

        prepare_ground_truth(session.trace, gt)
    except inspectors.InputError as error:
        raise UserError(t("error.annotations", reason=engine_error_text(error))) from None
    session.gt, session.gt_name, session.gt_for = gt, name, session.image_key
    session.gt_reports.clear()


def current_session(lens: Lens, session_id: str) -> Session:
    lens.datasets.jobs.gate.touch()   # a view or a slider of the page: a background capture lets it go first
    session = lens.cache.get(session_id)
    if session is None:
        raise UserError(t("error.no_session"))
    return session


def rethreshold(lens: Lens, session_id: str, values: Mapping[str, Any]) -> tuple[Session, bool]:
    """Replay the cached trace at new thresholds; also says whether the RPN part changed (proposal views redraw)."""
    session = current_session(lens, session_id)
    thresholds = normalize_thresholds(values)
    rpn_changed = any(thresholds[key] != session.thresholds.get(key) for key in RPN_KEYS)
    started = time.perf_counter()
    with lens.datasets.jobs.gate.interactive():   # a background capture waits between images meanwhile
        replay = session.trace.replay(**thresholds)
    session.replay_seconds = time.perf_counter() - started
    session.replay, session.thresholds = replay, thresholds
    if rpn_changed:
        session.options.roi_proposal = None   # proposal indices refer to the old proposal set
        session.options.fate_candidate = None
    session.options.followed_detection = find_followed(session)   # the same (anchor, class), if it survived
    session.options.nms_step = 0   # a new NMS to play: start again from its first decision
    lens.cache.put(session_id, session)   # replay may have grown the trace's caches: re-check the memory bound
    return session, rpn_changed


def reset_thresholds(lens: Lens, session_id: str) -> Session:
    session = current_session(lens, session_id)
    session, _ = rethreshold(lens, session_id, session.trace.defaults)
    session.options.roi_proposal = None
    return session


def set_options(lens: Lens, session_id: str, **changes: Any) -> Session:
    """Record a tab control's new value for this session."""
    session = current_session(lens, session_id)
    session.options = replace(session.options, **changes)
    return session


def set_tab_state(lens: Lens, session_id: str, tab_id: str, state_type: type, /, **changes: Any) -> Session:
    """Record new values of a tab's own options (a dataclass the tab module defines) for this session."""
    session = current_session(lens, session_id)
    state = replace(session.options.tab(tab_id, state_type), **changes)
    session.options = replace(session.options, tab_state={**session.options.tab_state, tab_id: state})
    return session


def register_custom_model(lens: Lens, session_id: str, architecture: str, checkpoint: str | None,
                          labels: str | None, trained_from: str = "auto") -> str:
    """Load a user checkpoint for this session (labels optional); returns the new model choice name. A checkpoint
    that does not load registers nothing: the session's earlier models stay as they were."""
    if not checkpoint:
        raise UserError(t("error.custom_missing"))
    if architecture not in CUSTOM_ARCHITECTURES:
        raise UserError(t("error.unknown_model", name=architecture, choices=", ".join(CUSTOM_ARCHITECTURES)))
    if trained_from not in inspectors.TRAINED_FROM:
        raise UserError(engine_error_text(inspectors.ModelLoadError(
            "model.trained_from", value=trained_from, choices=", ".join(inspectors.TRAINED_FROM))))
    try:
        return lens.store.add_custom(session_id, architecture, checkpoint, labels or None, trained_from)
    except inspectors.ModelLoadError as error:
        raise UserError(t("error.model_load", reason=engine_error_text(error))) from None
    except OSError as error:
        raise UserError(t("error.model_load", reason=f"{type(error).__name__}: {error}")) from None


def follow_detection(lens: Lens, session_id: str, index: int | None) -> Session:
    """Follow one detection across the tabs: the Anchors tab shows its anchor, the RoI tab its proposal, the NMS
    tab the decision that kept its proposal on its pyramid level."""
    session = current_session(lens, session_id)
    replay = session.replay
    if index is None or not 0 <= index < len(replay.detections):
        session.options = replace(session.options, followed_detection=None, followed_anchor=None, followed_key=None)
        return session
    provenance = replay.provenance(index)
    anchor = provenance.anchor
    x1, y1, x2, y2 = anchor.box_original
    walk = replay.nms_walkthrough("rpn", anchor.level)
    inputs = (walk.source == provenance.rpn_candidate).nonzero().flatten()
    step = int(walk.decided_at[inputs[0]]) if len(inputs) else 0
    session.options = replace(session.options, followed_detection=index, followed_anchor=anchor.index,
                              followed_key=(anchor.index, provenance.label),
                              anchor_point=((x1 + x2) / 2, (y1 + y2) / 2), roi_proposal=provenance.proposal_index,
                              nms_stage="rpn", nms_group=anchor.level, nms_step=step)
    return session


def find_followed(session: Session) -> int | None:
    """After a slider move: the detection grown from the followed one's anchor with the same class, if any."""
    key = session.options.followed_key
    if key is None:
        return None
    replay = session.replay
    anchors = replay.proposals.anchor_index[replay.detections.proposal_index]
    hits = ((anchors == key[0]) & (replay.detections.labels == key[1])).nonzero().flatten()
    return int(hits[0]) if len(hits) else None


# --- dataset mode ---------------------------------------------------------------------------------------------------

def capture_dataset(lens: Lens, session_id: str, source: str, demo_count: Any, images: str | None,
                    annotations: str | None, model_name: str, progress: ProgressFn = _no_progress) -> Any:
    """Capture (or reopen) this session's dataset with the chosen model: the demo scenes, or a server folder.

    The capture runs as a background job (app.jobs): this call starts it (or joins this session's running capture
    of the same data) and waits for it, reporting progress; the job gives the model to interactive events between
    images. One job per session, `--capture-jobs` per server; a cancelled capture keeps the images done."""
    try:
        if source == "folder":
            if not lens.datasets.allow_server_paths:
                raise UserError(t("ds.server_paths_off"))
            if not images or not annotations:
                raise UserError(t("ds.missing_paths"))
            image_folder, annotation_file, key = folder_source(images, annotations)
            count = None
        else:
            count = int(float(demo_count or 0))
            if not 1 <= count <= 2000:
                raise UserError(engine_error_text(InputError("threshold.out_of_range", name=t("ds.demo_count"),
                                                             value=demo_count, low=1, high=2000)))
            image_folder, annotation_file, key = None, None, demo_key(count)
        model = get_model(lens, model_name, session_id)
    except inspectors.InputError as error:
        raise UserError(engine_error_text(error)) from None
    except (TypeError, ValueError) as error:
        raise UserError(engine_error_text(InputError("threshold.not_a_number", name=t("ds.demo_count"),
                                                     value=demo_count))) from error

    def work(job: Job) -> Any:
        folder, annotation_path = image_folder, annotation_file
        if count is not None:   # the demo scenes are drawn in the job too (the first time, they take a while)
            folder, annotation_path, _ = demo_source(count)
        return lens.datasets.capture(session_id, model, folder, annotation_path, key,
                                     between_images=job.between_images)

    try:
        job = lens.datasets.jobs.start(session_id, f"{model_name}|{key}", work)
    except JobRefused as refused:
        raise UserError(t("ds.job_session") if refused.reason == "session" else
                        t("ds.job_server", limit=refused.limit)) from None

    def report(job: Job) -> None:
        if job.total:
            progress(job.fraction, t("ds.job_progress", done=job.done, total=job.total))
        else:
            progress(0.0, t("ds.job_prepare"))

    try:
        dataset = job.wait(report)
    except JobCancelled:
        raise UserError(t("ds.job_cancelled", done=job.done, total=job.total)) from None
    except inspectors.InputError as error:
        raise UserError(engine_error_text(error)) from None
    lens.prefs.set(session_id, "dataset_model", model_name)
    return dataset


def cancel_capture(lens: Lens, session_id: str) -> str:
    """Stop this session's capture after the image in progress; says what happens."""
    if lens.datasets.jobs.cancel(session_id) is None:
        return t("ds.cancel_none")
    return t("ds.cancelling")


def dataset_of(lens: Lens, session_id: str) -> Any:
    dataset = lens.datasets.get(session_id)
    if dataset is None:
        raise UserError(t("ds.none"))
    return dataset


def evaluate_dataset(lens: Lens, session_id: str, values: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """This session's dataset evaluated at the seven thresholds: (dataset, metrics, the thresholds used)."""
    dataset = dataset_of(lens, session_id)
    thresholds = normalize_thresholds(values)
    try:
        return dataset, dataset.evaluate(**thresholds), dataset.settings(**thresholds)
    except inspectors.InputError as error:
        raise UserError(engine_error_text(error)) from None


def open_dataset_image(lens: Lens, session_id: str, name: str, progress: ProgressFn = _no_progress) -> Session:
    """One image of this session's dataset in the single-image tabs, with its ground truth."""
    dataset = dataset_of(lens, session_id)
    model_name = lens.prefs.get(session_id, "dataset_model") or DEFAULT_MODEL
    session = inspect_image(lens, session_id, dataset.image_path(name), model_name, progress)
    session.gt, session.gt_name, session.gt_for = dataset.image_ground_truth(name), name, session.image_key
    session.gt_reports.clear()
    return session
