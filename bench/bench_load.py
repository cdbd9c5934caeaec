"""A classroom at once: 16 gradio_client sessions inspect different images and move sliders concurrently.

Starts `python app.py` (demo model) as a separate process and measures, from outside:
- correctness under load: every concurrent answer equals the same session run alone;
- latency of /inspect and /rethreshold under load (median, p90, max);
- the server's resident memory over 100 uploads from new sessions (it must stay flat: the session cache is bounded);
- a burst far beyond --max-queue: how many are told "Queue is full! Please try again", and that the server answers.

    python bench/bench_load.py [--sessions 16] [--uploads 100] [--max-queue 64] [--burst 200]
"""
from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gradio_client import Client, handle_file  # noqa: E402

from app.testing import shapes_image  # noqa: E402

MOVES = [{"box_score_thresh": 0.4}, {"rpn_nms_thresh": 0.5}, {"rpn_post_nms_top_n": 60, "box_nms_thresh": 0.3},
         {"box_detections_per_img": 5}, {"rpn_pre_nms_top_n": 300}]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(port: int, max_queue: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--max-queue", str(max_queue)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            Client(f"http://127.0.0.1:{port}/", verbose=False)
            return process
        except Exception:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the app did not start")


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
    return [{k: v for k, v in a.items() if k != "timings_ms"} for a in answers]


def spread(values: list[float]) -> str:
    if not values:
        return "–"
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"{statistics.median(ordered) * 1000:.0f} / {p90 * 1000:.0f} / {ordered[-1] * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--uploads", type=int, default=100)
    parser.add_argument("--max-queue", type=int, default=64)
    parser.add_argument("--burst", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rcnn-lens-load-"))
    images = [shapes_image(folder / f"scene{i}.png", seed=500 + i) for i in range(args.sessions)]
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = start_server(port, args.max_queue)
    try:
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
              f"server pid {server.pid}, demo model")
        lone_timings: dict[str, list[float]] = {"inspect": [], "rethreshold": []}
        alone = [session(url, image, lone_timings) for image in images]

        timings: dict[str, list[float]] = {"inspect": [], "rethreshold": []}
        together: dict[int, Any] = {}
        started = time.perf_counter()
        threads = [threading.Thread(target=lambda i=i: together.__setitem__(i, session(url, images[i], timings)))
                   for i in range(args.sessions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        equal = sum(together.get(i) == alone[i] for i in range(args.sessions))
        print(f"\n{args.sessions} concurrent sessions × (1 inspect + {len(MOVES)} slider moves): {wall:.1f} s wall; "
              f"answers equal to the lone run: {equal}/{args.sessions}")
        print("| request | alone: median / p90 / max ms | under load: median / p90 / max ms |")
        print("|---|---:|---:|")
        for key in ("inspect", "rethreshold"):
            print(f"| /{key} | {spread(lone_timings[key])} | {spread(timings[key])} |")

        print(f"\nmemory over {args.uploads} uploads from new sessions (server RSS, MiB):")
        marks = []
        for n in range(args.uploads + 1):
            if n % max(1, args.uploads // 5) == 0:
                marks.append((n, rss_mib(server.pid)))
            if n < args.uploads:
                Client(url, verbose=False).predict(handle_file(images[n % len(images)]), "demo",
                                                   api_name="/inspect")
        print(" | ".join(f"{n}: {mib:.0f}" for n, mib in marks))

        outcomes: list[str] = []
        # The people are connected first (a Client fetches the page's config), then all press Inspect at once.
        with ThreadPoolExecutor(4) as pool:
            clients = list(pool.map(lambda _: Client(url, verbose=False), range(args.burst)))

        def burst(client: Client) -> None:
            try:
                client.predict(handle_file(images[0]), "demo", api_name="/inspect")
                outcomes.append("ok")
            except Exception as error:
                outcomes.append("busy" if "try again" in str(error) else f"error: {error}")

        threads = [threading.Thread(target=burst, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        kinds = ["ok" if o == "ok" else "busy" if o == "busy" else "error (" + o.split(":", 1)[1].strip()[:40] + ")"
                 for o in outcomes]
        counts = {k: kinds.count(k) for k in sorted(set(kinds))}
        print(f"\nburst of {args.burst} simultaneous /inspect with --max-queue {args.max_queue}: {counts}")
        # How long until a newcomer (a new connection) is answered after the burst?
        started, alive = time.perf_counter(), None
        while alive is None and time.perf_counter() - started < 600:
            try:
                alive = Client(url, verbose=False).predict(handle_file(images[1]), "demo", api_name="/inspect")[0]
            except Exception:
                time.sleep(1)
        print(f"a new session's /inspect answered {time.perf_counter() - started:.0f} s after the burst ended: "
              f"{bool(alive and alive['counts'])}; RSS {rss_mib(server.pid):.0f} MiB")
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
