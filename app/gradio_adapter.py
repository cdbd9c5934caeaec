"""The one place where the app reaches into Gradio's internals (pinned to the version in GRADIO_VERSION; the test
tests/test_gradio_adapter.py fails when Gradio changes under it).

* `lenient_image`: an image input whose uploads reach the handler even when Gradio cannot open them.
* `checked_by_handler`: skip a component's own value checks where the handler validates with the engine's rules.
* `quiet_progress`: no loading-status traffic for listeners that need no spinner.
* `cheap_skips`: an output left unchanged (`gr.skip()`) costs nothing on the server.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Mapping, Sequence

import gradio as gr
from gradio.blocks import Block, convert_component_dict_to_list

# The Gradio version these patches were written against and tested with.
GRADIO_VERSION = "6.31.0"


def lenient_image(image: gr.Image, not_an_image: Callable[[], str]) -> gr.Image:
    """gr.Image (type "filepath") whose uploads reach the event handler even when Gradio cannot open them: the
    handler asks the engine why (too large, truncated, not an image …) and says so in the page's language, instead
    of PIL's message with a temp path. `not_an_image()`: the message when there is no file at all.

    Wraps the instance's preprocess: subclassing a Gradio component would make Gradio write a .pyi stub next to
    the subclass's file at import time.
    """
    preprocess = image.preprocess

    def lenient_preprocess(payload: Any) -> Any:
        try:
            return preprocess(payload)
        except gr.Error:
            raise
        except Exception:
            path = getattr(payload, "path", None)
            if path:
                return str(path)   # the handler's check_image_file explains what is wrong with it
            raise gr.Error(not_an_image(), print_exception=False) from None

    image.preprocess = lenient_preprocess  # type: ignore[method-assign]
    return image


def checked_by_handler(component: Any) -> Any:
    """Skip Gradio's own value checks (a slider's bounds, a dropdown's choices) for a component whose event handler
    validates with the engine's rules: one readable message that names the setting, in the page's language, and no
    traceback in the log. (Gradio's checks raise inside its queue, which logs a traceback and, for a non-number,
    fails with a TypeError.)"""
    component.preprocess = lambda payload: payload  # type: ignore[method-assign]
    return component


def quiet_progress(demo: gr.Blocks, spinners: Mapping[str, Sequence[Any]] | None = None) -> int:
    """Every listener that named no progress target gets an empty one (`show_progress_on=[]`); a listener whose
    function is named in `spinners` (a long run: a capture, a model load) shows its progress on the few
    components given there instead of on all its outputs. Returns how many listeners were quietened.

    Why: Gradio 6's frontend re-sends a loading status to every component an event lists as a progress target
    (by default all its outputs), three to four times per event; with ~300 components that costs more than the
    replay itself. The bundle's `progress_targets` is `show_progress_on || outputs`, so an empty list (truthy in
    JS) means no status traffic. Listeners that want a spinner pass a small explicit `show_progress_on`.
    """
    spinners = spinners or {}
    count = 0
    for block_fn in demo.fns.values():
        if block_fn.show_progress_on is not None or block_fn.fn is None:
            continue
        outputs = {id(component) for component in block_fn.outputs}
        targets = [component for component in spinners.get(block_fn.name or "", ()) if id(component) in outputs]
        block_fn.show_progress_on = targets
        count += not targets
    return count


def progress_targets(demo: gr.Blocks) -> dict[str, list[int] | None]:
    """Function name -> the ids of its progress targets as the page receives them (None: all its outputs)."""
    return {f"{block_fn.name}#{block_fn._id}": block_fn.get_config()["show_progress_on"]
            for block_fn in demo.fns.values()}


SKIPPED = {"__type__": "update"}   # what Gradio sends the page for gr.skip()


def cheap_skips(demo: gr.Blocks) -> Callable[..., Any]:
    """Outputs a function leaves unchanged (`gr.skip()` in the dict it returns) bypass Gradio's postprocessing, which
    sends the page the same `{"__type__": "update"}` for them anyway.

    Why: Gradio 6's `Blocks.postprocess_data` builds a new instance of the component (its whole constructor) for
    every prop update, a skip included, to keep a per-session copy of it: ~2 ms per skipped output, and an RPN
    slider's event lists ~70 outputs of which a handful change (the open tab's). The copy it would keep equals
    the component it copies (a skip changes no prop), so leaving it out changes nothing the page or a later event
    sees. The other outputs go through Gradio's own postprocessing unchanged. Returns the original method.
    """
    original = demo.postprocess_data

    async def postprocess_data(block_fn: Any, predictions: Any, state: Any) -> list[Any]:
        outputs = list(block_fn.outputs)
        if not isinstance(predictions, dict) or not predictions or block_fn.batch or \
                block_fn.is_validator_function or not all(isinstance(key, Block) for key in predictions):
            return await original(block_fn, predictions, state)
        ordered = convert_component_dict_to_list(outputs, predictions)
        ordered = list(ordered) if len(outputs) > 1 else [ordered]
        kept = [i for i, value in enumerate(ordered) if not _is_skip(value)]
        if len(kept) == len(outputs):
            return await original(block_fn, predictions, state)
        result: list[Any] = [dict(SKIPPED) for _ in outputs]
        if kept:
            changed = copy.copy(block_fn)
            changed.outputs = [outputs[i] for i in kept]
            processed = await original(changed, {outputs[i]: ordered[i] for i in kept}, state)
            for i, value in zip(kept, processed):
                result[i] = value
        return result

    demo.postprocess_data = postprocess_data  # type: ignore[method-assign]
    return original


def _is_skip(value: Any) -> bool:
    return isinstance(value, dict) and value == SKIPPED
