"""A classroom at once: many gradio_client sessions against one server (demo model), measured from outside.

Starts `python app.py` (demo model, its own empty cache folder) as a separate process and measures:
- inspect16: 16 clients (connected first) press Inspect at once, each on its own scene: latency (median / p90 /
  max) and whether every answer equals the same request run alone;
- capture: one client captures a fresh 300-scene demo dataset (the scenes drawn too) through /capture_dataset while
  another inspects one demo scene (a new session each time, so the model runs) and moves a slider, over and over:
  the interactive latency beside the capture, and the capture's throughput with that traffic beside it (and alone,
  for comparison, unless --no-capture-alone);
- sessions: 16 concurrent sessions × (1 inspect + 5 slider moves), answers equal to the lone run;
- memory: the server's resident memory over 100 uploads from new sessions (flat: the session cache is bounded);
- burst: far beyond --max-queue, how many are told "Queue is full! Please try again", and that the server answers.

    python -m bench.bench_load [--parts inspect16,capture,sessions,memory,burst] [--capture-scenes 300]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from gradio_client import Client, handle_file

from app.testing import shapes_image

ROOT = Path(__file__).resolve().parents[1]

MOVES = [{"box_score_thresh": 0.4}, {"rpn_nms_thresh": 0.5}, {"rpn_post_nms_top_n": 60, "box_nms_thresh": 0.3},
         {"box_detections_per_img": 5}, {"rpn_pre_nms_top_n": 300}]
PARTS = ("inspect16", "capture", "sessions", "memory", "burst")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(port: int, max_queue: int, cache: Path, extra: list[str]) -> subprocess.Popen:
    env = {**os.environ, "RCNN_LENS_CACHE": str(cache)}
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--max-queue", str(max_queue),
                                *extra], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            Client(f"http://127.0.0.1:{port}/", verbose=False)
            return process
        except Exception:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the app did not start")


def strip(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "timings_ms"}


def session(url: str, image: str, timings: dict[str, list[float]]) -> list[dict[str, Any]]:
    client = Client(url, verbose=False)
    started = time.perf_counter()
    summary = client.predict(handle_file(image), "demo", api_name="/inspect")[0]
    timings["inspect"].append(time.perf_counter() - started)
    answers = [summary]
    settings = dict(summary["settings"])
    for move in MOVES:
        settings.update(move)
        started = time.perf_counter()
        answers.append(client.predict(*settings.values(), api_name="/rethreshold")[0])
        timings["rethreshold"].append(time.perf_counter() - started)
    return [strip(a) for a in answers]


def spread(values: list[float]) -> str:
    if not values:
        return "–"
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"{statistics.median(ordered):.2f} / {p90:.2f} / {ordered[-1]:.2f}"


def inspect16(url: str, images: list[str]) -> None:
    """Every client connected first, then all press Inspect at the same moment."""
    lone, alone = [], []
    for image in images:
        client = Client(url, verbose=False)
        started = time.perf_counter()
        alone.append(strip(client.predict(handle_file(image), "demo", api_name="/inspect")[0]))
        lone.append(time.perf_counter() - started)
    with ThreadPoolExecutor(4) as pool:
        clients = list(pool.map(lambda _: Client(url, verbose=False), images))
    start = threading.Barrier(len(images))
    latency: dict[int, float] = {}
    answers: dict[int, Any] = {}

    def person(i: int) -> None:
        start.wait()
        started = time.perf_counter()
        answers[i] = strip(clients[i].predict(handle_file(images[i]), "demo", api_name="/inspect")[0])
        latency[i] = time.perf_counter() - started

    threads = [threading.Thread(target=person, args=(i,)) for i in range(len(images))]
    wall = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - wall
    equal = sum(answers.get(i) == alone[i] for i in range(len(images)))
    print(f"\n## {len(images)} clients press Inspect at once (each its own scene)\n")
    print("| /inspect | median / p90 / max s |")
    print("|---|---:|")
    print(f"| one client alone | {spread(lone)} |")
    print(f"| {len(images)} at once | {spread(list(latency.values()))} |")
    print(f"\nall {len(images)} answered in {wall:.1f} s; answers equal to the lone run: {equal}/{len(images)}")


def capture_beside_traffic(url: str, scenes: int, alone_url: str | None) -> None:
    """A fresh demo-dataset capture in one session; /inspect of one demo scene (+ a slider) in others meanwhile."""
    from inspectors.dataset.scenes import make_scene

    folder = Path(tempfile.mkdtemp(prefix="rcnn-lens-bench-scene-"))
    scene = folder / "demo_scene.png"
    make_scene(7, 1, "val", 384).image.save(scene)   # a demo-style scene (not one of the dataset's)
    baseline = []
    for _ in range(3):
        started = time.perf_counter()
        Client(url, verbose=False).predict(handle_file(str(scene)), "demo", api_name="/inspect")
        baseline.append(time.perf_counter() - started)

    capturer = Client(url, verbose=False)
    started = time.perf_counter()
    job = capturer.submit("demo", scenes, "", "", "demo", api_name="/capture_dataset")
    inspects, sliders = [], []
    while not job.done():
        client = Client(url, verbose=False)   # a new session: the model runs for it
        begun = time.perf_counter()
        summary = client.predict(handle_file(str(scene)), "demo", api_name="/inspect")[0]
        inspects.append(time.perf_counter() - begun)
        settings = {**summary["settings"], "rpn_nms_thresh": 0.5}
        begun = time.perf_counter()
        client.predict(*settings.values(), api_name="/rethreshold")
        sliders.append(time.perf_counter() - begun)
        time.sleep(1.0)   # a person looks at the result before the next click
    summary = job.result()[0]
    seconds = time.perf_counter() - started
    print(f"\n## /inspect of one demo scene while another client captures a fresh {scenes}-scene demo dataset\n")
    print("| request | median / p90 / max s | n |")
    print("|---|---:|---:|")
    print(f"| /inspect, nothing else running | {spread(baseline)} | {len(baseline)} |")
    print(f"| /inspect during the capture | {spread(inspects)} | {len(inspects)} |")
    print(f"| /rethreshold (RPN NMS) during the capture | {spread(sliders)} | {len(sliders)} |")
    print(f"\ncapture with that traffic beside it: {summary['images']} scenes (drawn and captured) in {seconds:.1f} s "
          f"= {summary['images'] / seconds:.2f} images/s")
    if alone_url is not None:
        started = time.perf_counter()
        alone = Client(alone_url, verbose=False).predict("demo", scenes, "", "", "demo",
                                                         api_name="/capture_dataset")[0]
        seconds = time.perf_counter() - started
        print(f"the same capture with nothing beside it (fresh server and cache): {seconds:.1f} s = "
              f"{alone['images'] / seconds:.2f} images/s")


def sessions(url: str, images: list[str]) -> None:
    lone_timings: dict[str, list[float]] = {"inspect": [], "rethreshold": []}
    alone = [session(url, image, lone_timings) for image in images]
    timings: dict[str, list[float]] = {"inspect": [], "rethreshold": []}
    together: dict[int, Any] = {}
    started = time.perf_counter()
    threads = [threading.Thread(target=lambda i=i: together.__setitem__(i, session(url, images[i], timings)))
               for i in range(len(images))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    equal = sum(together.get(i) == alone[i] for i in range(len(images)))
    print(f"\n## {len(images)} concurrent sessions × (1 inspect + {len(MOVES)} slider moves): {wall:.1f} s wall; "
          f"answers equal to the lone run: {equal}/{len(images)}\n")
    print("| request | alone: median / p90 / max s | under load: median / p90 / max s |")
    print("|---|---:|---:|")
    for key in ("inspect", "rethreshold"):
        print(f"| /{key} | {spread(lone_timings[key])} | {spread(timings[key])} |")


def memory(url: str, pid: int, images: list[str], uploads: int) -> None:
    print(f"\n## memory over {uploads} uploads from new sessions (server RSS, MiB)\n")
    marks = []
    for n in range(uploads + 1):
        if n % max(1, uploads // 5) == 0:
            marks.append((n, rss_mib(pid)))
        if n < uploads:
            Client(url, verbose=False).predict(handle_file(images[n % len(images)]), "demo", api_name="/inspect")
    print(" | ".join(f"{n}: {mib:.0f}" for n, mib in marks))


def burst(url: str, pid: int, images: list[str], size: int, max_queue: int) -> None:
    outcomes: list[str] = []
    # The people are connected first (a Client fetches the page's config), then all press Inspect at once.
    with ThreadPoolExecutor(4) as pool:
        clients = list(pool.map(lambda _: Client(url, verbose=False), range(size)))

    def press(client: Client) -> None:
        try:
            client.predict(handle_file(images[0]), "demo", api_name="/inspect")
            outcomes.append("ok")
        except Exception as error:
            outcomes.append("busy" if "try again" in str(error) else f"error: {error}")

    threads = [threading.Thread(target=press, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kinds = ["ok" if o == "ok" else "busy" if o == "busy" else "error (" + o.split(":", 1)[1].strip()[:40] + ")"
             for o in outcomes]
    counts = {k: kinds.count(k) for k in sorted(set(kinds))}
    print(f"\n## burst of {size} simultaneous /inspect with --max-queue {max_queue}: {counts}")
    started, alive = time.perf_counter(), None
    while alive is None and time.perf_counter() - started < 600:
        try:
            alive = Client(url, verbose=False).predict(handle_file(images[1]), "demo", api_name="/inspect")[0]
        except Exception:
            time.sleep(1)
    print(f"a new session's /inspect answered {time.perf_counter() - started:.0f} s after the burst ended: "
          f"{bool(alive and alive['counts'])}; RSS {rss_mib(pid):.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of: {', '.join(PARTS)}")
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--capture-scenes", type=int, default=300)
    parser.add_argument("--no-capture-alone", action="store_true", help="skip the capture with nothing beside it")
    parser.add_argument("--uploads", type=int, default=100)
    parser.add_argument("--max-queue", type=int, default=64)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--server-args", default="", help="more app.py flags, e.g. '--capture-jobs 1'")
    args = parser.parse_args()
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; known: {', '.join(PARTS)}")
    folder = Path(tempfile.mkdtemp(prefix="rcnn-lens-load-"))
    images = [shapes_image(folder / f"scene{i}.png", seed=500 + i) for i in range(args.sessions)]
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = start_server(port, args.max_queue, folder / "cache", args.server_args.split())
    try:
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
              f"server pid {server.pid}, demo model; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        if "inspect16" in parts:
            inspect16(url, images)
        if "capture" in parts:
            alone_server = None
            try:
                alone_url = None
                if not args.no_capture_alone:
                    alone_port = free_port()
                    alone_server = start_server(alone_port, args.max_queue, folder / "cache-alone",
                                                args.server_args.split())
                    alone_url = f"http://127.0.0.1:{alone_port}/"
                capture_beside_traffic(url, args.capture_scenes, alone_url)
            finally:
                if alone_server is not None:
                    alone_server.terminate()
                    alone_server.wait(30)
        if "sessions" in parts:
            sessions(url, images)
        if "memory" in parts:
            memory(url, server.pid, images, args.uploads)
        if "burst" in parts:
            burst(url, server.pid, images, args.burst, args.max_queue)
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
