"""UI latency benchmark: release of the detection-score slider -> updated view, measured in a real browser.

    python -m bench.bench_ui [--moves 9] [--image sample_images/shapes_00.png]
    python -m bench.bench_ui --drag      # input event while dragging a final-stage slider -> boxes redrawn
    python -m bench.bench_ui --release   # release latency per tab and slider, beside the page handler's own time
    python -m bench.bench_ui --release --tabs overview,nms,roi,gt   # the tabs to measure (default: three)
    python -m bench.bench_ui --dataset [--dataset-sizes 50,500]       # the Dataset tab's score slider

--dataset: before anything is timed, the first N demo scenes are captured for each N with the app's own handler
(app.handlers.capture_dataset, the folder the page's Capture button uses) into the app's capture cache
($RCNN_LENS_CACHE/captures, default ~/.cache/rcnn-lens/captures; --capture-root to change it). A capture made
before (by the app, lens_dataset.py through the app's store, or an earlier run) is reopened in seconds; the first
time, 500 scenes take ~5 min on a quiet 2-core machine (~12 min with other work on it). The page then opens the
Dataset tab, clicks Capture (reopened), and releases the tab's detection-score slider at --moves positions (the
first one warms up): release -> the metrics table updated (the first step of the move), and release -> the page
settled (the second step in: PR curves, TIDE, worst images, diagnosis; nothing changed for 600 ms after), with
each step's server handler for the same moves.

Launches the app in-process on a free port with the demo model (a random-init stand-in of the same architecture
if its weights are missing; the table says which), opens it in headless Chromium (Debian's package) through
Playwright, and reports
  * browser: pointer release on the slider -> the Detections tab updated (its label states the new threshold)
             and its image decoded (median over moves),
  * server:  the /rethreshold handler itself (replay + drawing the views), called in-process,
  * client:  /rethreshold through gradio_client (adds Gradio's postprocessing, HTTP and image downloads),
  * server:  the one model run behind /inspect, for scale.
"""
from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

from app.handlers import THRESHOLD_KEYS
from app.testing import demo_weights_available, example_image, serve

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
SLIDER = "#lens-box-score-thresh input[type=range]"
# Track positions (fractions) the slider is clicked at; consecutive positions differ so every move replays.
POSITIONS = (0.3, 0.7, 0.2, 0.9, 0.4, 0.8, 0.1, 0.6, 0.5, 0.95, 0.25)


def browser_release_to_view(url: str, image: str, moves: int, chromium: str) -> list[float]:
    from playwright.sync_api import sync_playwright

    timings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(120_000)
        page.goto(url)
        page.locator("#lens-image input[type=file]").set_input_files(image)
        page.get_by_role("tab", name="Detections").click()
        page.wait_for_selector(f"{VIEW} rect.lens-viewer-box", state="attached")
        # Time stamps taken in the page: pointerup on the slider, then the viewer redrawn from the server's reply
        # (its value carries the thresholds the server replayed at).
        page.evaluate(f"""() => document.querySelector('{SLIDER}').addEventListener('pointerup',
                          () => {{ window.__released = performance.now(); }}, {{capture: true}})""")
        track = page.locator(SLIDER)
        for i in range(moves + 1):   # the first move warms up caches and is not counted
            track.scroll_into_view_if_needed()
            box = track.bounding_box()
            page.mouse.click(box["x"] + box["width"] * POSITIONS[i % len(POSITIONS)], box["y"] + box["height"] / 2)
            elapsed = page.wait_for_function(
                f"""() => {{ const v = window.lensViewers && window.lensViewers.detections;
                     const sent = v && v.state.data && v.state.data.settings.box_score_thresh;
                     const now = document.querySelector('{SLIDER}').value;
                     return window.__released && Number(sent) === Number(now)
                            ? performance.now() - window.__released : null; }}""", polling="raf").json_value()
            if i:
                timings.append(float(elapsed) / 1000)
        browser.close()
    return timings


# --- drag latency: input event on a final-stage slider -> the viewer's boxes redrawn (no server) ------------------

VIEW = "[data-view=detections]"
DRAG_PROBE = """([slider, viewName]) => {
  const input = document.querySelector(slider);
  const view = document.querySelector(`[data-view=${viewName}]`);
  const probe = window.__dragProbe = {input: null, drawn: null, frame: null, boxes: 0};
  input.addEventListener('input', () => { probe.input = performance.now(); probe.drawn = probe.frame = null; },
                         {capture: true});
  new MutationObserver(() => {
    if (probe.input === null || probe.drawn !== null) return;
    probe.drawn = performance.now();
    probe.boxes = view.querySelectorAll('rect.lens-viewer-box').length;
    requestAnimationFrame(() => { probe.frame = performance.now(); });
  }).observe(view, {attributes: true, attributeFilter: ['data-drawn']});
}"""


def drag_latencies(page: object, key: str, fractions: list[float], view: str = "detections"
                   ) -> tuple[list[float], list[float], list[int]]:
    """Hold the pointer down on a slider the viewer `view` applies (a final-stage slider; the Proposals tab's
    top-N: key "proposals_top_n") and move it through `fractions` of the track. For each move that changes the
    value: input event -> boxes redrawn in the DOM, and -> the next animation frame (the one that paints them), in
    seconds; and the number of boxes drawn."""
    slider = f"#lens-{key.replace('_', '-')} input[type=range]"
    page.evaluate(DRAG_PROBE, [slider, view])
    track = page.locator(slider)
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    y = box["y"] + box["height"] / 2
    drawn, frames, counts = [], [], []
    page.mouse.move(box["x"] + 8 + (box["width"] - 16) * fractions[0], y)
    page.mouse.down()
    for fraction in fractions[1:]:
        before = track.evaluate("e => e.value")
        page.evaluate("() => { window.__dragProbe.input = null; }")
        page.mouse.move(box["x"] + 8 + (box["width"] - 16) * fraction, y)
        if track.evaluate("e => e.value") == before:
            continue
        result = page.wait_for_function("""() => { const p = window.__dragProbe;
            return p.frame !== null ? [p.drawn - p.input, p.frame - p.input, p.boxes] : null; }""",
                                        polling=10).json_value()
        drawn.append(result[0] / 1000)
        frames.append(result[1] / 1000)
        counts.append(int(result[2]))
    page.mouse.up()
    return drawn, frames, counts


def browser_drag_table(url: str, image: str, chromium: str, moves: int) -> dict[str, tuple[list[float], ...]]:
    """Drag latency of the three final-stage sliders on the Detections tab, and of the top-N on the Proposals tab
    (1440×900)."""
    from playwright.sync_api import sync_playwright

    forward = [0.02 + 0.96 * i / moves for i in range(moves + 1)]
    results: dict[str, tuple[list[float], ...]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="en-US")
        page.set_default_timeout(120_000)
        page.goto(url)
        page.locator("#lens-image input[type=file]").set_input_files(image)
        page.get_by_role("tab", name="Detections").click()
        page.wait_for_selector(f"{VIEW} rect.lens-viewer-box", state="attached")
        # At the model's defaults first; then the score slider again after NMS and per-image were dragged to
        # their top (NMS IoU ≈ 1, ≈ 300 per image): the most boxes the viewer ever draws.
        for name, key in (("box_score_thresh", "box_score_thresh"), ("box_nms_thresh", "box_nms_thresh"),
                          ("box_detections_per_img", "box_detections_per_img"),
                          ("box_score_thresh (NMS ≈ 1, ≈ 300 per image)", "box_score_thresh")):
            results[name] = drag_latencies(page, key, forward)
            page.wait_for_timeout(1500)   # let the release's server reply land before the next slider
        # The Proposals tab's top-N (1-1000 proposals after the RPN's NMS), on the same viewer.
        page.get_by_role("tab", name="Proposals").click()
        page.wait_for_selector("[data-view=proposals] rect.lens-viewer-box", state="attached")
        page.wait_for_timeout(1500)
        results["top-N (Proposals tab)"] = drag_latencies(page, "proposals_top_n", forward, view="proposals")
        browser.close()
    return results


def print_drag_table(results: dict[str, tuple[list[float], ...]]) -> None:
    print("| drag latency (browser, 1440×900, Detections; Proposals): slider | input -> boxes in the DOM, median ms | "
          "input -> next frame, median ms | max ms (next frame) | n | boxes drawn (min–max) |")
    print("|---|---:|---:|---:|---:|---|")
    for key, (drawn, frames, counts) in results.items():
        print(f"| {key} | {statistics.median(drawn) * 1000:.1f} | {statistics.median(frames) * 1000:.1f} | "
              f"{max(frames) * 1000:.1f} | {len(frames)} | {min(counts)}–{max(counts)} |")


def measured_on_a_served_app(measure: Callable[..., Any], image: str, chromium: str, moves: int) -> Any:
    """`measure(url, image, chromium, moves)` against a freshly served app, closed afterwards."""
    demo, url = serve()
    try:
        return measure(url, image, chromium, moves)
    finally:
        demo.close()


def drag_main(image: str, chromium: str, moves: int) -> None:
    """Only the drag table (python -m bench.bench_ui --drag)."""
    print_drag_table(measured_on_a_served_app(browser_drag_table, image, chromium, moves))


# --- release latency (slider released -> the open tab's view updated), per tab and slider --------------------------

RELEASE_SLIDERS = {"detection score": ("#lens-box-score-thresh", (0.3, 0.7, 0.2, 0.9, 0.4, 0.8, 0.1, 0.6)),
                   "RPN NMS IoU": ("#lens-rpn-nms-thresh", (0.5, 0.8, 0.6, 0.9, 0.55, 0.75, 0.65, 0.85))}
RELEASE_TABS = ("overview", "proposals", "detections")
# In the page: the time of the last DOM change outside the slider (or image load) after a pointer release.
RELEASE_PROBE = """(slider) => {
  const block = document.querySelector(slider);
  const probe = window.__lensProbe = {released: null, last: 0, changes: 0};
  if (!window.__lensObserver) {
    window.__lensObserver = new MutationObserver((records) => {
      const p = window.__lensProbe;
      if (!p || p.released === null) return;
      // (Gradio's screen-reader announcements, .sr-only, are not a view update)
      const shown = (r) => { const e = r.target.nodeType === 1 ? r.target : r.target.parentElement;
                             return !p.block.contains(r.target) && !(e && e.closest('.sr-only')); };
      if (records.some(shown)) { p.last = performance.now(); p.changes++; }
    });
    window.__lensObserver.observe(document.body, {subtree: true, childList: true, attributes: true,
                                                  characterData: true});
    document.addEventListener('load', (e) => { const p = window.__lensProbe;
      if (p && p.released !== null && e.target.tagName === 'IMG') { p.last = performance.now(); p.changes++; } },
      true);
  }
  probe.block = block;
  block.addEventListener('pointerup', () => { probe.released = performance.now(); },
                         {capture: true, once: true});
}"""
QUIET_MS = 600   # no change for this long: the view has settled (not part of the measured time)


def release_latencies(page: object, slider: str, positions: tuple[float, ...]) -> list[float]:
    """Click the slider's track at each position (the first click warms up and is not counted); for each, the time
    from the pointer release to the last change of the page it caused (images decoded included), in seconds."""
    track = page.locator(f"{slider} input[type=range]")
    low, high = (float(track.get_attribute(name)) for name in ("min", "max"))
    timings = []
    for i, value in enumerate(positions):
        track.scroll_into_view_if_needed()
        box = track.bounding_box()
        fraction = (value - low) / (high - low)
        page.evaluate(RELEASE_PROBE, slider)
        page.mouse.click(box["x"] + 8 + (box["width"] - 16) * fraction, box["y"] + box["height"] / 2)
        try:
            elapsed = page.wait_for_function(
                f"""() => {{ const p = window.__lensProbe;
                     return p.released !== null && p.changes > 0 && performance.now() - p.last > {QUIET_MS}
                            ? p.last - p.released : null; }}""", polling=50, timeout=20000).json_value()
        except Exception:   # nothing on the page changed (a view this slider does not affect): not a latency
            print(f"  {slider} at {value}: no page change within 20 s", flush=True)
            continue
        if i:
            timings.append(float(elapsed) / 1000)
    return timings


def timed_listeners(demo: Any, names: tuple[str, ...]) -> list[float]:
    """Wrap the served app's listeners whose function is named in `names` so that each call's duration (the
    handler: replay and views, not Gradio's postprocessing) is appended to the returned list, in seconds."""
    durations: list[float] = []
    for block_fn in demo.fns.values():
        if block_fn.fn is None or block_fn.name not in names:
            continue

        @functools.wraps(block_fn.fn)
        def timed(*args: Any, _fn: Any = block_fn.fn, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return _fn(*args, **kwargs)
            finally:
                durations.append(time.perf_counter() - started)
        block_fn.fn = timed
    return durations


def browser_release_table(url: str, image: str, chromium: str, moves: int, handler_times: list[float] | None = None,
                          tabs: tuple[str, ...] = RELEASE_TABS) -> dict[tuple[str, str], tuple[list[float], ...]]:
    """Release latency for a final-stage and an RPN slider on each of RELEASE_TABS (1440×900, English), with the
    server handler's duration for the same moves when `handler_times` is the list timed_listeners fills."""
    from playwright.sync_api import sync_playwright

    results: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="en-US")
        page.set_default_timeout(120_000)
        page.goto(url)
        page.locator("#lens-image input[type=file]").set_input_files(image)
        page.wait_for_function("() => /\\d/.test(document.querySelector('#lens-detections-count')?.innerText || '')")
        for tab in tabs:
            page.locator(f"button[role=tab][data-tab-id={tab}]").click()
            for name, (slider, positions) in RELEASE_SLIDERS.items():
                chosen = (positions * (moves // len(positions) + 2))[:moves + 1]
                page.wait_for_timeout(300)
                if handler_times is not None:
                    handler_times.clear()
                latencies = release_latencies(page, slider, chosen)
                handlers = list(handler_times or [])[-len(latencies):]
                results[(tab, name)] = (latencies, handlers)
        browser.close()
    return results


def server_handler_times(demo: object, moves: int) -> list[float]:
    """The /rethreshold event function as Gradio calls it, in-process, for the bench's own session."""
    lens = demo.lens
    session_id = next(iter(lens.cache._entries))   # the browser's session
    session = lens.cache.get(session_id)
    request = SimpleNamespace(session_hash=session_id)
    rethreshold = demo.event_functions["rethreshold"]
    timings = []
    for i in range(moves):
        values = dict(session.thresholds, box_score_thresh=POSITIONS[i % len(POSITIONS)])
        started = time.perf_counter()
        rethreshold(*[values[key] for key in THRESHOLD_KEYS], request)
        timings.append(time.perf_counter() - started)
    return timings


def server_rpn_handler_times(demo: object, moves: int) -> list[float]:
    """The same event function for an RPN slider (NMS IoU): RPN filtering + RoI heads replayed, proposals redrawn."""
    lens = demo.lens
    session_id = next(iter(lens.cache._entries))
    session = lens.cache.get(session_id)
    request = SimpleNamespace(session_hash=session_id)
    rethreshold = demo.event_functions["rethreshold"]
    timings = []
    for i in range(moves):
        values = dict(session.thresholds, rpn_nms_thresh=0.5 + 0.05 * (i % 8))
        started = time.perf_counter()
        rethreshold(*[values[key] for key in THRESHOLD_KEYS], request)
        timings.append(time.perf_counter() - started)
    return timings


def api_round_trips(url: str, image: str, moves: int) -> list[float]:
    """/rethreshold through gradio_client: handler + Gradio's postprocessing + HTTP + downloading the images."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    settings = client.predict(handle_file(image), "demo", api_name="/inspect")[0]["settings"]
    timings = []
    for i in range(moves):
        values = dict(settings, box_score_thresh=POSITIONS[i % len(POSITIONS)])
        started = time.perf_counter()
        client.predict(*[values[key] for key in THRESHOLD_KEYS], api_name="/rethreshold")
        timings.append(time.perf_counter() - started)
    return timings


def print_release_table(results: dict[tuple[str, str], tuple[list[float], list[float]]]) -> None:
    print("| release latency (browser, 1440×900): slider on tab | median ms | min ms | max ms | n | "
          "median of the first half / second half of the moves, ms | server handler, median ms |")
    print("|---|---:|---:|---:|---:|---|---:|")
    for (tab, slider), (values, handlers) in results.items():
        if len(values) < 2:   # this slider changed nothing on this tab (e.g. the Masks tab of a box-only model)
            print(f"| {slider} on {tab} | no page change | | | {len(values)} | | |")
            continue
        half = len(values) // 2
        trend = f"{statistics.median(values[:half]) * 1000:.0f} / {statistics.median(values[half:]) * 1000:.0f}"
        server = f"{statistics.median(handlers) * 1000:.0f}" if handlers else "–"
        print(f"{row(f'{slider} on {tab}', values)} {trend} | {server} |")


def release_main(image: str, chromium: str, moves: int, tabs: tuple[str, ...] = RELEASE_TABS) -> None:
    """Only the release table (python -m bench.bench_ui --release [--tabs overview,nms])."""
    demo, url = serve()
    try:
        handler_times = timed_listeners(demo, ("on_rethreshold",))
        results = browser_release_table(url, image, chromium, moves, handler_times, tabs)
    finally:
        demo.close()
    print_release_table(results)


# --- Dataset tab: the score slider released -> the tab's metrics and plots updated, at N images ----------------------

DATASET_SLIDER = "#lens-ds-box-score-thresh"
# Track positions (the slider's values, 0–1) clicked in turn: consecutive ones differ, so every move re-evaluates.
DATASET_POSITIONS = (0.3, 0.6, 0.2, 0.8, 0.4, 0.7, 0.15, 0.5, 0.35, 0.65, 0.25, 0.55)
DATASET_SESSION = "bench-prepare"


def dataset_lens(root: str | Path | None) -> Any:
    """The app's Lens with its dataset store under `root` (default: the app's own capture cache, so a capture made
    before by the app, `prepare_captures` or an earlier bench run is reopened, not redone)."""
    from app.dataset_store import DatasetStore
    from app.handlers import Lens
    from app.model_store import ModelStore
    from app.session_cache import SessionCache
    from app.testing import offline_loader
    from inspectors.dataset.demo import default_cache_root

    store = DatasetStore(root=Path(root) if root else default_cache_root() / "captures")
    return Lens(ModelStore(device="cpu", loader=offline_loader), SessionCache(max_sessions=8), datasets=store)


def prepare_captures(lens: Any, sizes: tuple[int, ...]) -> dict[int, float]:
    """Capture the first N demo scenes for each N with the app's own handler (the same folder the page's Capture
    button uses; an existing complete capture is reopened). Returns the seconds each took."""
    from app import handlers

    took = {}
    for size in sizes:
        started = time.perf_counter()
        handlers.capture_dataset(lens, DATASET_SESSION, "demo", size, None, None, "demo")
        took[size] = time.perf_counter() - started
        print(f"  capture of {size} demo scenes ready in {took[size]:.1f} s", flush=True)
    return took


TEXT_CHANGED = """([selector, before]) => { const e = document.querySelector(selector);
  return e && e.innerText !== before && window.__lensProbe.released !== null
         ? performance.now() - window.__lensProbe.released : null; }"""


def dataset_release_latencies(page: Any, positions: tuple[float, ...]) -> tuple[list[float], list[float]]:
    """Click the Dataset tab's score slider at each position (the first click warms up and is not counted); for
    each, release -> the metrics table's text changed (the first step: metrics and per-class AP), and
    release -> the last change on the page it caused, once the second step is in (the diagnosis funnel's text,
    which names the thresholds, changed; then TIDE, the worst images decoded, the plots drawn), in seconds."""
    track = page.locator(f"{DATASET_SLIDER} input[type=range]")
    low, high = (float(track.get_attribute(name)) for name in ("min", "max"))
    metrics, settled = [], []
    for i, value in enumerate(positions):
        track.scroll_into_view_if_needed()
        box = track.bounding_box()
        before = [page.locator(selector).inner_text() for selector in ("#lens-ds-metrics", "#lens-dsd-funnel")]
        page.evaluate(RELEASE_PROBE, DATASET_SLIDER)
        page.mouse.click(box["x"] + 8 + (box["width"] - 16) * (value - low) / (high - low),
                         box["y"] + box["height"] / 2)
        shown = page.wait_for_function(TEXT_CHANGED, arg=["#lens-ds-metrics", before[0]], polling="raf",
                                       timeout=60_000).json_value()
        page.wait_for_function(TEXT_CHANGED, arg=["#lens-dsd-funnel", before[1]], polling=20, timeout=60_000)
        done = page.wait_for_function(
            f"""() => {{ const p = window.__lensProbe;
                 return performance.now() - p.last > {QUIET_MS} ? p.last - p.released : null; }}""",
            polling=50, timeout=60_000).json_value()
        if i:
            metrics.append(float(shown) / 1000)
            settled.append(max(float(done), float(shown)) / 1000)
    return metrics, settled


def browser_dataset_table(url: str, chromium: str, sizes: tuple[int, ...], moves: int,
                          handler_times: dict[str, list[float]]) -> dict[int, dict[str, list[float]]]:
    """For each N: open the Dataset tab (1440×900, English), capture N demo scenes (reopened: prepared before),
    then release the score slider `moves` times; with the server handlers' durations for the same moves."""
    from playwright.sync_api import sync_playwright

    results: dict[int, dict[str, list[float]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for size in sizes:
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="en-US")
            page.set_default_timeout(600_000)
            page.goto(url)
            page.wait_for_function("() => /\\d/.test(document.querySelector('#lens-detections-count')?.innerText"
                                   " || '')")   # the first screen's sample inspected
            page.locator("button[role=tab][data-tab-id=dataset]").click()
            page.locator("#lens-ds-count input").fill(str(size))
            page.locator("#lens-ds-capture").click()
            page.wait_for_function("(n) => (document.querySelector('#lens-ds-status')?.innerText || '')"
                                   ".includes(`${n} images captured`)", arg=size)
            page.wait_for_function("() => /AP @\\[/.test(document.querySelector('#lens-ds-metrics')?.innerText"
                                   " || '')")
            page.wait_for_timeout(2000)   # the capture's reply re-ranges the sliders and the diagnosis follows
            for times in handler_times.values():
                times.clear()
            chosen = (DATASET_POSITIONS * (moves // len(DATASET_POSITIONS) + 2))[:moves + 1]
            metrics, settled = dataset_release_latencies(page, chosen)
            results[size] = {"metrics": metrics, "settled": settled,
                             **{name: list(times)[-len(metrics):] for name, times in handler_times.items()}}
            page.close()
        browser.close()
    return results


def print_dataset_table(results: dict[int, dict[str, list[float]]]) -> None:
    print("| Dataset tab, score slider (browser, 1440×900) | median ms | min ms | max ms | n |")
    print("|---|---:|---:|---:|---:|")
    for size, measured in results.items():
        print(row(f"{size} images: release -> metrics table updated", measured["metrics"]))
        print(row(f"{size} images: release -> page settled (PR, TIDE, worst images, diagnosis)", measured["settled"]))
        for name, label in (("on_move", "server: first step (metrics, per-class AP)"),
                            ("on_move_below", "server: second step (PR curves, TIDE, worst images, diagnosis)")):
            if measured.get(name):
                print(row(f"{size} images: {label}", measured[name]))


def dataset_main(chromium: str, moves: int, sizes: tuple[int, ...], root: str | None) -> None:
    """Only the Dataset table (python -m bench.bench_ui --dataset [--dataset-sizes 50,500])."""
    lens = dataset_lens(root)
    prepare_captures(lens, sizes)
    demo, url = serve(lens)
    try:
        handler_times = {name: timed_listeners(demo, (name,)) for name in ("on_move", "on_move_below")}
        results = browser_dataset_table(url, chromium, sizes, moves, handler_times)
    finally:
        demo.close()
    model = "demo" if demo_weights_available() else "demo architecture, random init (weights missing)"
    print(f"model: {model}; load average after: {' / '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print_dataset_table(results)


def row(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return (f"| {name} | {statistics.median(ms):.0f} | {ms[0]:.0f} | {ms[-1]:.0f} | {len(ms)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=9)
    parser.add_argument("--image", default=None, help="default: the first demo sample image")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--release", action="store_true", help="only the release latencies, per tab and slider")
    parser.add_argument("--tabs", default=",".join(RELEASE_TABS),
                        help="with --release: the tabs (ids, comma-separated) whose release latency is measured")
    parser.add_argument("--drag", action="store_true", help="only the drag latencies of the final-stage sliders")
    parser.add_argument("--dataset", action="store_true",
                        help="only the Dataset tab's score slider (release -> metrics and plots updated)")
    parser.add_argument("--dataset-sizes", default="50,500", help="with --dataset: the numbers of demo scenes")
    parser.add_argument("--capture-root", default=None,
                        help="with --dataset: the captures' folder (default: the app's, $RCNN_LENS_CACHE/captures)")
    args = parser.parse_args()
    image = args.image or example_image("/tmp")
    if args.drag:
        print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
        drag_main(image, args.chromium, max(args.moves, 24))
        return
    if args.dataset:
        print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"load average before: {' / '.join(f'{v:.1f}' for v in os.getloadavg())}")
        dataset_main(args.chromium, max(args.moves, 5),
                     tuple(int(v) for v in args.dataset_sizes.split(",")), args.capture_root)
        return
    if args.release:
        print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"load average before: {' / '.join(f'{v:.1f}' for v in os.getloadavg())}")
        release_main(image, args.chromium, args.moves, tuple(args.tabs.split(",")))
        return
    demo, url = serve()
    try:
        browser = browser_release_to_view(url, image, args.moves, args.chromium)
        server = server_handler_times(demo, args.moves)
        server_rpn = server_rpn_handler_times(demo, args.moves)
        api = api_round_trips(url, image, args.moves)
        session = demo.lens.cache.get(next(iter(demo.lens.cache._entries)))
        model_run = [sum(session.trace.timings.values())]
    finally:
        demo.close()
    model = "demo" if demo_weights_available() else "demo architecture, random init (weights missing)"
    print(f"RCNN Lens UI bench — model: {model}; image: {Path(image).name}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"torch threads {__import__('torch').get_num_threads()}")
    print("| measurement | median ms | min ms | max ms | n |")
    print("|---|---:|---:|---:|---:|")
    print(row("browser: release detection-score slider -> detections viewer redrawn from the server's reply",
              browser))
    print(row("server: /rethreshold handler (replay + views)", server))
    print(row("server: /rethreshold handler for an RPN slider (NMS IoU)", server_rpn))
    print(row("gradio_client: /rethreshold round trip (handler + postprocess + HTTP)", api))
    print(row("server: one model run (capture, for scale)", model_run))


if __name__ == "__main__":
    main()
