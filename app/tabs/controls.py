"""The left panel: image input, examples, model choice, custom checkpoint, the seven threshold sliders."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import gradio as gr

from app.config import CUSTOM_ARCHITECTURES
from app.gradio_adapter import checked_by_handler, lenient_image
from app.handlers import INTEGER_KEYS, THRESHOLD_KEYS
from app.strings import t
from app.texts import bind, markdown, register
from inspectors.core.models import TRAINED_FROM
from inspectors.core.thresholds import HEAD_KEYS, RPN_KEYS, THRESHOLDS

# (minimum, maximum, step, placeholder value) per slider, from the engine's threshold table; counts get a larger
# maximum when a model's default is above it.
SLIDER_RANGES: dict[str, tuple[float, float, float, float]] = {
    spec.key: (spec.slider_low, spec.slider_high, spec.step, spec.torchvision_default) for spec in THRESHOLDS
}


def image_input(texts: dict[str, Any], **kwargs: Any) -> gr.Image:
    """gr.Image (type "filepath") whose uploads reach the event handler even when Gradio cannot open them (see
    app.gradio_adapter.lenient_image): the handler says what is wrong, in the page's language."""
    return lenient_image(bind(gr.Image, texts=texts, **kwargs), lambda: t("error.not_an_image"))


@dataclass
class Controls:
    image: gr.Image
    annotations: gr.File
    model: gr.Dropdown
    inspect: gr.Button
    custom_arch: gr.Dropdown
    custom_checkpoint: gr.File
    custom_labels: gr.File
    custom_trained_from: gr.Radio
    custom_load: gr.Button
    custom_status: gr.Markdown
    sliders: dict[str, gr.Slider]
    reset: gr.Button

    @property
    def slider_list(self) -> list[gr.Slider]:
        return [self.sliders[key] for key in THRESHOLD_KEYS]

    def slider_values(self, thresholds: Mapping[str, float]) -> dict[Any, Any]:
        updates = {}
        for key in THRESHOLD_KEYS:
            value = thresholds[key]
            maximum = SLIDER_RANGES[key][1]
            if key in INTEGER_KEYS and value > maximum:
                updates[self.sliders[key]] = gr.update(value=value, maximum=int(value) * 2)
            else:
                updates[self.sliders[key]] = value
        return updates


def model_choices(names: list[str]) -> list[tuple[str, str]]:
    return [(t("model.demo") if name == "demo" else name, name) for name in names]


def build(model_names: list[str], default_model: str, examples: list[str]) -> Controls:
    image = image_input(texts={"label": "input.image"}, type="filepath", image_mode=None,
                        sources=["upload", "clipboard"], height=240, elem_id="lens-image")
    annotations = bind(gr.File, texts={"label": "input.annotations"}, value=None, file_types=[".json", ".xml"],
                       type="filepath", height=140, elem_id="lens-annotations")
    if examples:
        gallery = gr.Examples(examples=[[path] for path in examples], inputs=[image], label=t("input.examples"),
                              examples_per_page=8, elem_id="lens-examples")
        register(gallery.dataset, {"label": "input.examples"})
    model = checked_by_handler(bind(gr.Dropdown, texts={"label": "input.model", "info": "input.model.info"},
                                    choices=model_choices(model_names), value=default_model, elem_id="lens-model"))
    inspect = bind(gr.Button, texts={"value": "input.inspect"}, variant="primary", elem_id="lens-inspect")
    # The thresholds and the custom-checkpoint form: in the projector layout each tab shows its own sliders instead.
    with gr.Column(elem_classes=["lens-desktop-only"]):
        bind(gr.Markdown, texts={"value": lambda: f"### {t('thresholds.title')}\n{t('thresholds.explain')}"},
             elem_classes=["lens-explain"])
        sliders: dict[str, gr.Slider] = {}
        for group, keys in (("thresholds.rpn", RPN_KEYS), ("thresholds.roi", HEAD_KEYS)):
            with bind(gr.Accordion, texts={"label": group}, open=True):
                for key in keys:
                    low, high, step, value = SLIDER_RANGES[key]
                    sliders[key] = checked_by_handler(bind(
                        gr.Slider, low, high, texts={"label": f"th.{key}", "info": f"th.{key}.info"}, value=value,
                        step=step, elem_id=f"lens-{key.replace('_', '-')}"))
        reset = bind(gr.Button, texts={"value": "thresholds.reset"}, elem_id="lens-reset")
        # Below the sliders: rarely used, and the sliders should be on the first screen of a projector.
        with bind(gr.Accordion, texts={"label": "input.custom"}, open=False):
            markdown("input.custom.explain")
            custom_arch = bind(gr.Dropdown, texts={"label": "input.custom.arch"}, choices=list(CUSTOM_ARCHITECTURES),
                               value=CUSTOM_ARCHITECTURES[0])
            custom_checkpoint = bind(gr.File, texts={"label": "input.custom.checkpoint"}, file_types=[".pth", ".pt"],
                                     type="filepath")
            custom_labels = bind(gr.File, texts={"label": "input.custom.labels"}, file_types=[".txt"], type="filepath")
            custom_trained_from = bind(
                gr.Radio, texts={"choices": [(f"input.custom.trained_from.{key}", key) for key in TRAINED_FROM],
                                 "label": "input.custom.trained_from", "info": "input.custom.trained_from.info"},
                value="auto", elem_id="lens-custom-trained-from")
            custom_load = bind(gr.Button, texts={"value": "input.custom.load"})
            custom_status = gr.Markdown()
    return Controls(image, annotations, model, inspect, custom_arch, custom_checkpoint, custom_labels,
                    custom_trained_from, custom_load, custom_status, sliders, reset)


def threshold_strip(keys: tuple[str, ...]) -> dict[str, gr.Slider]:
    """A row of this tab's threshold sliders, shown only in the projector layout (CSS class lens-strip)."""
    sliders: dict[str, gr.Slider] = {}
    with gr.Row(elem_classes=["lens-strip"]):
        for key in keys:
            low, high, step, value = SLIDER_RANGES[key]
            sliders[key] = checked_by_handler(bind(gr.Slider, low, high, texts={"label": f"th.{key}"}, value=value,
                                                   step=step, min_width=160))
    return sliders


def strip_values(strip: dict[str, gr.Slider], thresholds: Mapping[str, float]) -> dict[Any, Any]:
    """The strip's sliders at the session's thresholds (the maximum grows when a model's default is above it)."""
    updates = {}
    for key, slider in strip.items():
        value, maximum = thresholds[key], SLIDER_RANGES[key][1]
        updates[slider] = gr.update(value=value, maximum=int(value) * 2) if key in INTEGER_KEYS and value > maximum \
            else value
    return updates
