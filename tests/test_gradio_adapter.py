"""app/gradio_adapter.py reaches into Gradio's internals; these tests pin what it relies on to the Gradio version it
was written for, so that an upgrade fails here first instead of silently on the page."""
from __future__ import annotations

import gradio as gr
import pytest

from app.gradio_adapter import GRADIO_VERSION, checked_by_handler, lenient_image, progress_targets, quiet_progress


def test_gradio_is_the_version_the_adapter_was_written_for() -> None:
    assert gr.__version__ == GRADIO_VERSION, (
        f"Gradio {gr.__version__}: re-check app/gradio_adapter.py against it, then update GRADIO_VERSION")


def test_quiet_progress_gives_listeners_an_empty_progress_target_and_keeps_spinners() -> None:
    with gr.Blocks() as demo:
        slider, text, status = gr.Slider(), gr.Textbox(), gr.Markdown()

        def on_move(value: float) -> str:
            return str(value)

        def on_run(value: float) -> tuple[str, str]:
            return str(value), "done"

        slider.release(on_move, [slider], [text])
        button = gr.Button()
        button.click(on_run, [slider], [text, status])
        button.click(None, None, None, js="() => []")   # JS only: nothing to quieten
    assert progress_targets(demo) == {f"{fn.name}#{fn._id}": None for fn in demo.fns.values()}
    assert quiet_progress(demo, {"on_run": [status]}) == 1
    targets = {fn.name: fn.get_config()["show_progress_on"] for fn in demo.fns.values()}
    # What the page receives: [] (truthy in the frontend's `show_progress_on || outputs`) means no loading status.
    assert targets["on_move"] == [] and targets["on_run"] == [status._id]
    assert targets[None] is None


def test_checked_by_handler_passes_values_through_unchecked() -> None:
    slider = checked_by_handler(gr.Slider(0, 1))
    assert slider.preprocess(7) == 7   # out of range: the handler says so, in the page's language


def test_lenient_image_hands_an_unreadable_upload_to_the_handler(tmp_path) -> None:
    from gradio.data_classes import FileData

    broken = tmp_path / "not_an_image.png"
    broken.write_bytes(b"this is not a PNG")
    with pytest.raises(OSError):   # Gradio's own preprocess: PIL's UnidentifiedImageError, with a temp path
        gr.Image(type="filepath").preprocess(FileData(path=str(broken)))
    image = lenient_image(gr.Image(type="filepath"), lambda: "no image")
    assert image.preprocess(FileData(path=str(broken))) == str(broken)
    with pytest.raises(gr.Error, match="no image"):
        image.preprocess(FileData(path=""))


def test_cheap_skips_send_what_gradio_sends_without_copying_the_skipped_components() -> None:
    """A skipped output bypasses Gradio's postprocessing (which builds a copy of the component per skip, the
    reason for the patch: pinned here) and the page receives the same data for every output."""
    import asyncio
    import copy
    from typing import Any

    from gradio.state_holder import SessionState

    from app.gradio_adapter import cheap_skips

    with gr.Blocks() as demo:
        text, slider, note, choice = gr.Textbox(), gr.Slider(0, 10), gr.Markdown(), gr.Dropdown(choices=["x", "y"])
        only = gr.Number()
        button = gr.Button()
        button.click(lambda: None, None, [text, slider, note, choice], api_name="many")
        button.click(lambda: None, None, [only], api_name="one")
    many, one = (next(fn for fn in demo.fns.values() if fn.api_name == name) for name in ("many", "one"))
    cases = [
        (many, {text: "hi", slider: gr.skip(), note: gr.skip(), choice: gr.update(choices=["z"], value="z")}),
        (many, {slider: 3.0}),                        # the components not returned are skipped
        (many, {text: gr.skip(), slider: gr.skip(), note: gr.skip(), choice: gr.skip()}),
        (many, {text: "a", slider: 1.0, note: "b", choice: "x"}),   # nothing skipped: Gradio's own path
        (one, {only: gr.skip()}),
        (one, {only: 4}),
        (many, ["a", gr.skip(), "c", "x"]),           # a list: Gradio's own path
    ]
    def fresh(predictions: Any) -> Any:   # Gradio pops keys from the update dicts it processes
        if isinstance(predictions, dict):
            return {component: copy.deepcopy(value) for component, value in predictions.items()}
        return copy.deepcopy(predictions)

    for block_fn, predictions in cases:
        theirs_state, ours_state = SessionState(demo), SessionState(demo)
        theirs = asyncio.run(demo.postprocess_data(block_fn, fresh(predictions), theirs_state))
        if isinstance(predictions, dict) and gr.skip() in list(predictions.values()):
            skipped = [c for c, v in predictions.items() if v == gr.skip()]
            # Gradio builds a copy of each skipped component for the session
            assert all(theirs_state.blocks_config.blocks[c._id] is not c for c in skipped)
        original = cheap_skips(demo)
        try:
            ours = asyncio.run(demo.postprocess_data(block_fn, fresh(predictions), ours_state))
        finally:
            demo.postprocess_data = original
        assert ours == theirs, predictions
        if isinstance(predictions, dict):
            skipped = [c for c, v in predictions.items() if v == gr.skip()]
            assert all(ours_state.blocks_config.blocks[c._id] is c for c in skipped)
