"""A classroom at once: concurrent sessions get exactly what each would get alone; memory and the queue stay bounded.

(bench/bench_load.py runs the full 16-session load and measures memory over 100 uploads; this is its quick check.)
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file

from app.testing import make_lens, serve, shapes_image

pytestmark = [pytest.mark.slow, pytest.mark.load]

MOVES = [{"box_score_thresh": 0.4}, {"rpn_nms_thresh": 0.5}, {"rpn_post_nms_top_n": 60, "box_nms_thresh": 0.3}]
SESSIONS = 6


def run_session(url: str, image: str) -> list[dict[str, Any]]:
    """One person: inspect an image, then move sliders; returns every JSON summary."""
    client = Client(url, verbose=False)
    summary = client.predict(handle_file(image), "demo", api_name="/inspect")[0]
    answers = [summary]
    settings = dict(summary["settings"])
    for move in MOVES:
        settings.update(move)
        answers.append(client.predict(*settings.values(), api_name="/rethreshold")[0])
    return answers


def _strip_timings(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in a.items() if k != "timings_ms"} for a in answers]


def test_concurrent_sessions_get_what_each_gets_alone(app_url: str, tmp_path: Path) -> None:
    images = [shapes_image(tmp_path / f"scene{i}.png", seed=100 + i) for i in range(SESSIONS)]
    alone = [_strip_timings(run_session(app_url, image)) for image in images]
    together: dict[int, Any] = {}
    errors: list[BaseException] = []

    def person(i: int) -> None:
        try:
            together[i] = _strip_timings(run_session(app_url, images[i]))
        except BaseException as error:  # surfaced below, with the thread's own message
            errors.append(error)

    threads = [threading.Thread(target=person, args=(i,)) for i in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors
    for i in range(SESSIONS):
        assert together[i] == alone[i], f"session {i} differs when run together"


def test_many_new_sessions_keep_memory_bounded(tmp_path: Path) -> None:
    lens = make_lens(max_sessions=4)
    demo, url = serve(lens, gradio_sessions=6)
    try:
        image = shapes_image(tmp_path / "scene.png", seed=7)
        for _ in range(8):   # eight people, one upload each: more than both bounds
            Client(url, verbose=False).predict(handle_file(image), "demo", api_name="/inspect")
        assert len(lens.cache) == 4
        assert lens.cache.total_bytes() <= lens.cache.max_bytes
        # Gradio's own state per session (a copy of the page's config each) is bounded as well.
        assert len(demo.state_holder.session_data) <= 6
    finally:
        demo.close()


def test_a_burst_beyond_the_queue_is_told_to_try_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from app import handlers
    from app.config import AppConfig
    from app.testing import free_port
    from app.ui import build_app, launch

    original = handlers.inspect_image

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.8)
        return original(*args, **kwargs)

    monkeypatch.setattr(handlers, "inspect_image", slow)
    config = AppConfig(port=free_port(), max_queue=2)
    demo = build_app(config, make_lens())
    launch(demo, config, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{config.port}/"
    image = shapes_image(tmp_path / "scene.png", seed=8)
    outcomes: list[str] = []

    def person() -> None:
        try:
            Client(url, verbose=False).predict(handle_file(image), "demo", api_name="/inspect")
            outcomes.append("ok")
        except Exception as error:
            outcomes.append(str(error))

    try:
        threads = [threading.Thread(target=person) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        busy = [o for o in outcomes if o != "ok"]
        assert busy and all("try again" in o for o in busy), outcomes
        assert "ok" in outcomes
        monkeypatch.setattr(handlers, "inspect_image", original)
        summary = Client(url, verbose=False).predict(handle_file(image), "demo", api_name="/inspect")[0]
        assert summary["counts"]["detections"] >= 0   # still answering
    finally:
        demo.close()
