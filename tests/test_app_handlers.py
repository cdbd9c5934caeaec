"""Unit tests for the UI layer without a browser: strings, cache, handlers, views and figure payload sizes."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import gradio as gr
import numpy as np
import pytest

import inspectors
from app import handlers, views
from app.drawing import draw_boxes
from app.figures.common import markdown_table
from app.handlers import THRESHOLD_KEYS, Lens, UserError
from app.model_store import ModelStore
from app.session_cache import Session, SessionCache
from app.strings import EN, t
from app.testing import example_image, make_lens

APP_DIR = Path(__file__).resolve().parent.parent / "app"
MAX_FIGURE_BYTES = 500_000


@pytest.fixture(scope="module")
def lens() -> Lens:
    return make_lens()


@pytest.fixture(scope="module")
def image_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return example_image(tmp_path_factory.mktemp("images"))


@pytest.fixture(scope="module")
def session(lens: Lens, image_path: str) -> Session:
    return handlers.inspect_image(lens, "unit", image_path, "demo")


# --- strings ----------------------------------------------------------------------------------------------------

def _keys_used_in_app() -> set[str]:
    keys = set()
    for path in APP_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                keys.add(node.args[0].value)
    return keys


def test_every_literal_string_key_exists_in_english() -> None:
    missing = sorted(_keys_used_in_app() - set(EN))
    assert not missing, f"t() keys missing from strings.EN: {missing}"


def test_threshold_labels_and_explanations_exist() -> None:
    for key in THRESHOLD_KEYS:
        assert t(f"th.{key}") and t(f"th.{key}.info")


# --- session cache ------------------------------------------------------------------------------------------------

class _FakeTrace:
    def __init__(self, nbytes: int) -> None:
        self._nbytes = nbytes

    def nbytes(self) -> int:
        return self._nbytes


def _session(nbytes: int = 10) -> Session:
    return Session(model_key="m", trace=_FakeTrace(nbytes), replay=None, thresholds={})


def test_session_cache_is_lru_bounded_by_count() -> None:
    cache = SessionCache(max_sessions=2)
    cache.put("a", _session())
    cache.put("b", _session())
    assert cache.get("a") is not None      # a becomes most recent
    cache.put("c", _session())
    assert "b" not in cache and "a" in cache and "c" in cache


def test_session_cache_is_bounded_by_bytes_but_keeps_the_newest() -> None:
    cache = SessionCache(max_sessions=10, max_bytes=100)
    cache.put("a", _session(60))
    cache.put("b", _session(60))
    assert "a" not in cache and "b" in cache
    cache.put("huge", _session(1000))
    assert list(cache._entries) == ["huge"]


# --- thresholds and inputs -----------------------------------------------------------------------------------------

def test_normalize_thresholds_reads_numbers_and_keeps_them() -> None:
    values = dict(zip(THRESHOLD_KEYS, ("1000.0", 0.7, 13.0, 0, 1, 0.0, 1)))
    result = handlers.normalize_thresholds(values)
    assert result["rpn_pre_nms_top_n"] == 1000 and isinstance(result["rpn_pre_nms_top_n"], int)
    assert result["rpn_post_nms_top_n"] == 13 and isinstance(result["rpn_post_nms_top_n"], int)
    assert result["rpn_score_thresh"] == 0.0 and result["box_score_thresh"] == 1.0


@pytest.mark.parametrize("key, bad, expected", [
    ("rpn_post_nms_top_n", -3, r"Post-NMS top-n = -3 is outside the allowed range 1"),
    ("rpn_pre_nms_top_n", 12.6, r"Pre-NMS top-n.*whole number"),
    ("box_score_thresh", 2, r"Detection score = 2 is outside the allowed range 0.0 … 1.0"),
])
def test_normalize_thresholds_refuses_values_out_of_range_naming_the_range(key: str, bad: object,
                                                                          expected: str) -> None:
    values = {**dict(zip(THRESHOLD_KEYS, (1000, 0.7, 1000, 0.0, 0.05, 0.5, 100))), key: bad}
    with pytest.raises(UserError, match=expected):
        handlers.normalize_thresholds(values)


@pytest.mark.parametrize("bad", [None, "abc", float("nan")])
def test_normalize_thresholds_rejects_non_numbers_readably(bad: object) -> None:
    values = dict(zip(THRESHOLD_KEYS, (1000, 0.7, 1000, 0.0, bad, 0.5, 100)))
    with pytest.raises(UserError, match="Detection score|Missing"):
        handlers.normalize_thresholds(values)


def test_a_file_that_is_not_an_image_is_a_readable_error(tmp_path: Path, lens: Lens) -> None:
    text_file = tmp_path / "notes.png"
    text_file.write_text("not an image")
    with pytest.raises(UserError, match="not an image"):
        handlers.inspect_image(lens, "bad", str(text_file), "demo")
    with pytest.raises(UserError, match="upload an image"):
        handlers.inspect_image(lens, "bad", None, "demo")


def test_model_load_errors_keep_the_engine_message(image_path: str) -> None:
    def refuse(name: str, **kwargs: object) -> None:
        raise inspectors.ModelLoadError("place the file in /somewhere/checkpoints")

    lens = Lens(ModelStore(loader=refuse), SessionCache())
    with pytest.raises(UserError, match="could not be loaded.*place the file in /somewhere/checkpoints"):
        handlers.inspect_image(lens, "s", image_path, "fasterrcnn_resnet50_fpn")
    with pytest.raises(UserError, match="Unknown model"):
        handlers.inspect_image(lens, "s", image_path, "no-such-model")


def test_coco_models_fail_readably_offline(lens: Lens, image_path: str) -> None:
    with pytest.raises(UserError, match="could not be loaded"):
        handlers.inspect_image(lens, "coco", image_path, "fasterrcnn_resnet50_fpn")


def test_rethreshold_needs_a_session_first(lens: Lens) -> None:
    with pytest.raises(UserError, match="Inspect an image first"):
        handlers.rethreshold(lens, "never-inspected", {k: 1 for k in THRESHOLD_KEYS})


def test_custom_checkpoint_errors_are_readable_and_register_nothing(tmp_path: Path, lens: Lens) -> None:
    with pytest.raises(UserError, match="Choose a checkpoint file"):
        handlers.register_custom_model(lens, "s", "fasterrcnn_resnet50_fpn", None, None)
    labels = tmp_path / "labels.txt"
    labels.write_text("cat\ndog\n")
    checkpoint = tmp_path / "broken.pth"
    checkpoint.write_bytes(b"not a torch file")
    before = lens.store.choices("s")
    with pytest.raises(UserError, match="could not be loaded"):
        handlers.register_custom_model(lens, "s", "fasterrcnn_mobilenet_v3_large_320_fpn", str(checkpoint),
                                       str(labels))
    assert lens.store.choices("s") == before


# --- inspect, rethreshold and views -------------------------------------------------------------------------------

def test_inspect_starts_at_the_model_defaults(session: Session) -> None:
    assert session.thresholds == handlers.normalize_thresholds(session.trace.defaults)
    assert session.replay.counts["detections"] == len(session.replay.detections)


def test_summary_has_counts_and_detections_in_original_pixels(session: Session) -> None:
    summary = views.detections_view(session).summary
    json.dumps(summary)   # plain JSON
    assert set(summary["counts"]) >= {"anchors", "pre_nms", "proposals", "detections"}
    assert summary["counts"]["detections"] == len(summary["detections"])
    height, width = session.trace.original_size
    for detection in summary["detections"]:
        x1, y1, x2, y2 = detection["box"]
        assert 0 <= x1 <= x2 <= width and 0 <= y1 <= y2 <= height
        assert detection["label"] in session.trace.categories and 0 <= detection["score"] <= 1


def test_every_view_builds_and_figures_stay_small(session: Session) -> None:
    """Each figure is small, and all of them together (what /inspect sends) stay within ~500 KB."""
    built = [views.status_view(session), views.overview_view(session), views.features_view(session),
             views.anchors_view(session), views.objectness_view(session), views.proposals_view(session),
             views.roi_view(session), views.detections_view(session)]
    total = 0
    for view in built:
        for name, value in vars(view).items():
            if hasattr(value, "to_json"):
                size = len(value.to_json())
                total += size
                assert size <= MAX_FIGURE_BYTES / 2, f"{type(view).__name__}.{name} too large: {size}"
            if isinstance(value, np.ndarray):
                assert value.ndim == 3 and value.shape[2] == 3 and value.dtype == np.uint8
    assert total <= MAX_FIGURE_BYTES


def test_feature_views_cover_every_mode(lens: Lens, session: Session) -> None:
    for family in ("body", "fpn"):
        for mode in ("mean", "max", "channel"):
            handlers.set_options(lens, "unit", features_family=family, features_mode=mode, features_channel=10_000)
            view = views.features_view(lens.cache.get("unit"))
            assert len(view.overlays) == len(session.trace.body_features if family == "body"
                                             else session.trace.fpn_features)
            assert (mode == "channel") == bool(view.note)


def test_score_slider_replays_without_touching_proposals(lens: Lens, session: Session) -> None:
    base = dict(session.thresholds)
    strict, rpn_changed = handlers.rethreshold(lens, "unit", {**base, "box_score_thresh": 1.0})
    assert not rpn_changed and len(strict.replay.detections) == 0
    loose, _ = handlers.rethreshold(lens, "unit", {**base, "box_score_thresh": 0.0})
    assert len(loose.replay.detections) >= len(session.trace.detections)
    fewer, rpn_changed = handlers.rethreshold(lens, "unit", {**base, "rpn_post_nms_top_n": 10})
    assert rpn_changed and len(fewer.replay.proposals) <= 10
    reset = handlers.reset_thresholds(lens, "unit")
    assert reset.thresholds == handlers.normalize_thresholds(session.trace.defaults)


def test_sessions_are_kept_apart(lens: Lens, session: Session, image_path: str) -> None:
    other = handlers.inspect_image(lens, "other", image_path, "demo")
    handlers.rethreshold(lens, "other", {**other.thresholds, "box_score_thresh": 1.0})
    assert lens.cache.get("unit").thresholds["box_score_thresh"] != 1.0


def test_thresholds_survive_a_new_image_of_the_same_model(lens: Lens, image_path: str, tmp_path: Path) -> None:
    from app.testing import shapes_image

    first = handlers.inspect_image(lens, "keep", image_path, "demo")
    handlers.rethreshold(lens, "keep", {**first.thresholds, "box_score_thresh": 0.42})
    again = handlers.inspect_image(lens, "keep", shapes_image(tmp_path / "other.png", seed=3), "demo")
    assert again.trace is not first.trace and again.thresholds["box_score_thresh"] == 0.42


def test_clicks_map_display_pixels_back_to_original(session: Session) -> None:
    """A click lands on the drawn (display-scaled) picture; the handlers get original-image pixels back."""
    from app.events import original_point

    height, width = session.trace.original_size
    drawn = draw_boxes(session.trace.image, np.zeros((0, 4)), (255, 0, 0))
    sy, sx = drawn.shape[0] / height, drawn.shape[1] / width
    for x, y in ((0.0, 0.0), (width * 0.37, height * 0.81), (width - 1.0, height - 1.0)):
        click = (round(x * sx), round(y * sy))  # the display pixel a person clicks to point at (x, y)
        ox, oy = original_point(session, click)
        assert abs(ox - x) <= 1 / sx and abs(oy - y) <= 1 / sy
        assert 0 <= ox <= width and 0 <= oy <= height


def test_markdown_table_formats_numbers() -> None:
    table = markdown_table(["a", "b"], [["P2", 12345], ["P3", 0.5]])
    assert "| P2 | 12,345 |" in table and "| P3 | 0.5 |" in table


def test_a_startup_checkpoint_is_a_model_choice_for_everyone(tmp_path: Path, image_path: str) -> None:
    import torch

    model = inspectors.load_model("fasterrcnn_mobilenet_v3_large_320_fpn", weights=None,
                                  categories=["__background__", "cat", "dog"], device="cpu")
    checkpoint = tmp_path / "pets.pth"
    torch.save(model.model.state_dict(), checkpoint)
    labels = tmp_path / "pets.txt"
    labels.write_text("cat\ndog\n")
    from app.config import AppConfig
    from app.ui import create_lens, startup_model_name

    config = AppConfig(model="fasterrcnn_mobilenet_v3_large_320_fpn", checkpoint=str(checkpoint),
                       labels=str(labels), device="cpu")
    startup = create_lens(config)
    name = startup_model_name(config)
    assert name in startup.store.choices() and name in startup.store.choices("any session")
    assert handlers.inspect_image(startup, "s", image_path, name).trace.categories[1:] == ["cat", "dog"]


# --- start-up flags and safe defaults ----------------------------------------------------------------------------

def test_flags_and_safe_launch_defaults() -> None:
    from app.cli import parse_args
    from app.ui import launch_options

    config = parse_args([])
    options = launch_options(config)
    assert options["server_name"] == "127.0.0.1" and options["server_port"] == 7860
    assert options["share"] is False and options["enable_monitoring"] is False
    # Gradio's one upload cap is the checkpoint cap (1 GB); images are held to --max-file-size by /inspect.
    assert options["max_file_size"] == 1024**3 and config.max_file_size == "20mb" and config.model == "demo"
    custom = parse_args(["--host", "0.0.0.0", "--port", "9000", "--model", "fasterrcnn_resnet50_fpn", "--checkpoint",
                         "m.pth", "--labels", "l.txt", "--device", "cpu", "--share"])
    assert (custom.host, custom.port, custom.checkpoint, custom.labels, custom.device, custom.share) == (
        "0.0.0.0", 9000, "m.pth", "l.txt", "cpu", True)
    with pytest.raises(SystemExit):
        parse_args(["--labels", "l.txt"])   # labels name a checkpoint's classes
    assert parse_args(["--model", "fasterrcnn_resnet50_fpn", "--checkpoint", "m.pth"]).labels is None
    assert parse_args(["--model", "fasterrcnn_resnet50_fpn", "--checkpoint", "m.pth", "--trained-from",
                       "imagenet"]).trained_from == "imagenet"
    with pytest.raises(SystemExit):
        parse_args(["--auth", "nopassword"])
    with pytest.raises(SystemExit):
        parse_args(["--model", "yolo"])
    with pytest.raises(SystemExit):
        parse_args(["--checkpoint", "m.pth", "--labels", "l.txt"])   # the demo is not a checkpoint architecture


# --- event wiring: every event returns only components it declared as outputs ------------------------------------

def test_every_event_returns_only_its_declared_outputs(image_path: str) -> None:
    from types import SimpleNamespace

    from app.config import AppConfig
    from app.tabs.registry import STRIP_KEYS
    from app.ui import build_app
    from inspectors.core.thresholds import SPECS

    demo = build_app(AppConfig(), make_lens())
    functions = demo.event_functions
    declared: dict[object, set[int]] = {}
    for block_fn in demo.fns.values():
        declared.setdefault(block_fn.fn, set()).update(id(block) for block in block_fn.outputs)
    request = SimpleNamespace(session_hash="wiring")
    click = SimpleNamespace(index=[10, 20])
    calls = {
        "inspect": lambda f: f(image_path, "demo", None, request, progress=lambda *a, **k: None),
        "rethreshold": lambda f: f(1000, 0.7, 1000, 0.0, 0.5, 0.5, 100, request),
        "reset_thresholds": lambda f: f(request),
        "features": lambda f: f("body", "channel", 3, request),
        "anchor_click": lambda f: f(click, request),
        "objectness_level": lambda f: f(1, request),
        "top_n": lambda f: f(20, request),
        "roi_choice": lambda f: f(0, 5, request),
        "roi_click": lambda f: f(click, request),
        "language": lambda f: f("ko", request),
        "open": lambda f: f("", "demo", SimpleNamespace(session_hash="wiring-open", headers={"accept-language": "ko"})),
        "cancel_capture": lambda f: f(request),
        "nms_choose": lambda f: f("box", None, request),
        "nms_step_to": lambda f: f(3, request),
        "nms_back": lambda f: f(request),
        "nms_forward": lambda f: f(request),
        "nms_tick": lambda f: f(request),
        "follow": lambda f: f(0, request),
        "detection_click": lambda f: f(click, request),
        "pre_nms_click": lambda f: f(click, request),
        "roi_box": lambda f: f("52, 106, 117, 206", request),
        "ablation_kind": lambda f: f("no_cls", 1, request),
        "ablation_boxes": lambda f: f("10, 10, 100, 100", request),
        "ablation_click": lambda f: f(click, request),
        "ablation_add_proposals": lambda f: f(request),
        "ablation_clear": lambda f: f(request),
        "mask_threshold": lambda f: f(0.3, request),
        "mask_detection": lambda f: f(0, request),
        "mask_click": lambda f: f(click, request),
        "capture_dataset": lambda f: f("demo", 3, "", "", "demo", request, progress=lambda *a, **k: None),
        "evaluate_dataset": lambda f: f(1000, 0.7, 1000, 0.0, 0.3, 0.5, 100, request),
        "dataset_move": lambda f: f(1000, 0.7, 1000, 0.0, 0.4, 0.5, 100, request),
        "dataset_move_below": lambda f: f(0.5, 1000, 0.7, 1000, 0.0, 0.4, 0.5, 100, request),
        "dataset_summary_open": lambda f: f(1000, 0.7, 1000, 0.0, 0.4, 0.5, 100, request),
        "dataset_summary_close": lambda f: f(request),
        "sweep": lambda f: f("ap50", 1000, 0.7, 1000, 0.0, 0.05, 0.5, 100, request),
        "apply_sweep": lambda f: f(request),
        "open_worst": lambda f: f(SimpleNamespace(index=0), request, progress=lambda *a, **k: None),
        "gt_object": lambda f: f(0, request),
        "gt_row": lambda f: f(SimpleNamespace(index=[1, 2]), request),
        "gt_iou": lambda f: f(0.7, request),
        "gt_level": lambda f: f(1, request),
        "recount": lambda f: f(request),
        "summary_open": lambda f: f(request),
        "summary_close": lambda f: f(request),
        **{name: (lambda f: f(request)) for name in functions if name.startswith("select_")},
        **{name: (lambda f, name=name: f(*[SPECS[k].torchvision_default for k in STRIP_KEYS[name[6:]]], request))
           for name in functions if name.startswith("strip_")},
    }
    assert set(calls) == set(functions)
    for name, call in calls.items():
        returned = call(functions[name])
        if returned is None and (name.startswith("select_") or name in ("summary_close", "dataset_summary_close")):
            continue   # a tab without threshold-dependent views only records itself as the current tab
        assert returned, name
        undeclared = [block for block in returned if id(block) not in declared[functions[name]]]
        assert not undeclared, f"{name} returns undeclared outputs {undeclared}"


def test_the_page_is_built_from_the_tab_registry() -> None:
    """Tabs in page order, their labels and their projector strips come from app/tabs/registry.py."""
    from app.config import AppConfig
    from app.locales.en import EN
    from app.tabs.registry import TABS
    from app.ui import build_app

    demo = build_app(AppConfig(), make_lens())
    tab_ids = [block.id for block in demo.blocks.values() if isinstance(block, gr.Tab)]
    assert tab_ids == [spec.id for spec in TABS]
    assert all(spec.label_key in EN for spec in TABS)
    strips = {tab_id: sorted(strip) for tab_id, strip in demo.layout.strips.items()}
    assert strips == {spec.id: sorted(spec.reads) for spec in TABS if spec.reads}


@pytest.mark.parametrize("mode", ["L", "RGBA", "P"])
def test_grayscale_alpha_and_palette_images_work(mode: str, lens: Lens, image_path: str, tmp_path: Path) -> None:
    from PIL import Image

    converted = tmp_path / f"image_{mode}.png"
    Image.open(image_path).convert(mode).save(converted)
    session = handlers.inspect_image(lens, f"mode-{mode}", str(converted), "demo")
    assert views.detections_view(session).image.shape[2] == 3


def test_the_model_runs_once_per_image_and_model(lens: Lens, image_path: str, tmp_path: Path) -> None:
    import shutil

    first = handlers.inspect_image(lens, "once", image_path, "demo")
    copy = tmp_path / "same_pixels.png"          # a new upload of the same file: same content, new path
    shutil.copy(image_path, copy)
    again = handlers.inspect_image(lens, "once", str(copy), "demo")
    assert again.trace is first.trace


def test_uploads_have_their_own_caps_and_a_refusal_names_the_flag(tmp_path: Path) -> None:
    """Checkpoints get --max-checkpoint-size (1 GB by default), images --max-file-size; Gradio's one limit is the
    larger, and the handler refuses a file above its own cap naming the flag that raises it."""
    from app.cli import parse_args
    from app.config import byte_size, upload_cap
    from app.ui import check_upload_size

    config = parse_args([])
    assert byte_size(config.max_checkpoint_size) >= 158 * 1024**2   # the resnet50 checkpoint fits
    assert upload_cap(config) == byte_size(config.max_checkpoint_size) > byte_size(config.max_file_size)
    big = tmp_path / "model.pth"
    big.write_bytes(b"\0" * 3 * 1024**2)
    check_upload_size(str(big), "4mb", "--max-checkpoint-size", "upload.checkpoint")   # under the cap: accepted
    with pytest.raises(UserError, match="--max-checkpoint-size"):
        check_upload_size(str(big), "2mb", "--max-checkpoint-size", "upload.checkpoint")
    with pytest.raises(SystemExit):
        parse_args(["--max-checkpoint-size", "lots"])
