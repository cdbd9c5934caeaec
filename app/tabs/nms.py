"""NMS tab: a player over a real NMS of this image (RPN per level, or RoI head per class), one decision per step."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr

from app import handlers, views
from app.events import readable_errors, session_id
from app.handlers import Lens
from app.session_cache import Session
from app.tabs.common import explanation, image_view, look_for
from app.tabs.controls import checked_by_handler
from app.texts import bind
from app.views import NmsView

PLAY_SPEEDS = (0.5, 8.0)   # decisions per second


@dataclass
class NmsTab:
    stage: gr.Dropdown
    group: gr.Dropdown
    step: gr.Slider
    back: gr.Button
    forward: gr.Button
    play: gr.Button
    pause: gr.Button
    speed: gr.Slider
    timer: gr.Timer
    image: gr.Image
    frame: gr.Markdown
    queue: gr.Markdown
    summary: gr.Markdown

    @property
    def outputs(self) -> list[Any]:
        return [self.stage, self.group, self.step, self.image, self.frame, self.queue, self.summary]

    def values(self, view: NmsView) -> dict[Any, Any]:
        return {self.stage: view.stage,
                self.group: gr.update(choices=view.group_choices, value=view.group),
                self.step: gr.update(value=view.step + 1, maximum=max(2, view.steps)),
                self.image: view.image, self.frame: view.frame, self.queue: view.queue, self.summary: view.summary}


def build() -> NmsTab:
    look_for("look.nms")
    timer = gr.Timer(0.5, active=False)
    # Which NMS above its picture; the player's buttons and sliders right below it, the decision's numbers after.
    with gr.Row(equal_height=True, elem_classes=["lens-controls"]):
        stage = bind(gr.Dropdown, texts={"label": "nms.stage",
                                         "choices": [("nms.stage.rpn", "rpn"), ("nms.stage.box", "box")]},
                     value="rpn", elem_id="lens-nms-stage", scale=1, min_width=220)
        group = bind(gr.Dropdown, texts={"label": "nms.group"}, choices=[], interactive=True,
                     elem_id="lens-nms-group", scale=1, min_width=220)
    image = image_view("tab.nms", elem_id="lens-nms-image", main=True)
    with gr.Row(equal_height=True):
        back = bind(gr.Button, texts={"value": "nms.back"}, size="sm", min_width=70, elem_id="lens-nms-back")
        forward = bind(gr.Button, texts={"value": "nms.forward"}, variant="primary", size="sm", min_width=70,
                       elem_id="lens-nms-forward")
        play = bind(gr.Button, texts={"value": "nms.play"}, size="sm", min_width=70, elem_id="lens-nms-play")
        pause = bind(gr.Button, texts={"value": "nms.pause"}, size="sm", min_width=70, elem_id="lens-nms-pause")
    with gr.Row():
        step = checked_by_handler(bind(gr.Slider, 1, 2, texts={"label": "nms.step_slider"}, value=1, step=1,
                                       elem_id="lens-nms-step", scale=3, min_width=300))
        speed = bind(gr.Slider, PLAY_SPEEDS[0], PLAY_SPEEDS[1], texts={"label": "nms.speed"}, value=2.0,
                     step=0.5, elem_id="lens-nms-speed", scale=1, min_width=200)
    summary = gr.Markdown(elem_classes=["lens-note"])
    with gr.Row(equal_height=False):
        frame = gr.Markdown(elem_classes=["lens-table"], elem_id="lens-nms-frame")
        queue = gr.Markdown(elem_classes=["lens-callout"])
    explanation("nms.explain")
    return NmsTab(stage, group, step, back, forward, play, pause, speed, timer, image, frame, queue, summary)


def wire(lens: Lens, n: NmsTab) -> dict[str, Callable[..., Any]]:
    """Choose an NMS (stage, group), step through its decisions by hand or play them on a timer."""
    def show(request: gr.Request, **changes: Any) -> tuple[Session, dict[Any, Any]]:
        session = handlers.set_options(lens, session_id(request), **changes)
        view = views.nms_view(session)
        session.options.nms_step = view.step   # clamped to what exists
        return session, n.values(view)

    @readable_errors("action.view", lens)
    def on_choose(stage: str, group: int | None, request: gr.Request) -> dict[Any, Any]:
        session = handlers.current_session(lens, session_id(request))
        same_stage = stage == session.options.nms_stage
        return show(request, nms_stage=stage, nms_group=group if same_stage else None, nms_step=0)[1]

    @readable_errors("action.view", lens)
    def on_step_to(step: float, request: gr.Request) -> dict[Any, Any]:
        return show(request, nms_step=int(step) - 1)[1]

    def stepper(delta: int) -> Callable[..., dict[Any, Any]]:
        @readable_errors("action.view", lens)
        def on_step(request: gr.Request) -> dict[Any, Any]:
            session = handlers.current_session(lens, session_id(request))
            return show(request, nms_step=session.options.nms_step + delta)[1]
        return on_step

    @readable_errors("action.view", lens)
    def on_tick(request: gr.Request) -> dict[Any, Any]:
        session = handlers.current_session(lens, session_id(request))
        before = session.options.nms_step
        session, values = show(request, nms_step=before + 1)
        if session.options.nms_step == before:   # the last decision: stop playing
            values[n.timer] = gr.Timer(active=False)
        return values

    gr.on([n.stage.input, n.group.input], on_choose, [n.stage, n.group], n.outputs, api_visibility="private",
          trigger_mode="always_last")
    n.step.release(on_step_to, [n.step], n.outputs, api_visibility="private", trigger_mode="always_last")
    on_back, on_forward = stepper(-1), stepper(+1)
    n.back.click(on_back, None, n.outputs, api_visibility="private")
    n.forward.click(on_forward, None, n.outputs, api_visibility="private")
    n.play.click(lambda speed: gr.Timer(1.0 / max(float(speed), 0.1), active=True), [n.speed], [n.timer],
                 api_visibility="private", queue=False)
    n.pause.click(lambda: gr.Timer(active=False), None, [n.timer], api_visibility="private", queue=False)
    n.speed.release(lambda speed: gr.Timer(1.0 / max(float(speed), 0.1)), [n.speed], [n.timer],
                    api_visibility="private", queue=False)
    n.timer.tick(on_tick, None, [*n.outputs, n.timer], api_visibility="private", trigger_mode="always_last")
    return {"nms_choose": on_choose, "nms_step_to": on_step_to, "nms_back": on_back, "nms_forward": on_forward,
            "nms_tick": on_tick}
