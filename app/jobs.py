"""Long work in the background, fairly: a dataset capture runs as a job of its own, beside the interactive events.

Design (one shared model, no replica): the job runs the capture in a thread of its own, one image at a time, and
between two images it gives the model back:
- the engine holds the model's lock only for an image's forward pass (inspectors.pipeline.capture), so an /inspect
  never waits for more than the image in progress;
- before each image the job waits while interactive work is running or has just run (`InteractiveGate`): /inspect,
  the sliders and every view of the page mark themselves there, so they go first and the capture takes the CPU
  only when the class is not clicking (`max_wait` bounds the wait, so a busy class slows a capture, never stops it);
- it reports its progress (images done of all) to whoever waits on it, and stops between two images when cancelled
  (the records written so far stay: capturing again resumes).
A job costs no memory beyond one image's trace at a time: no model replica (a replica would add its weights, 9.3 MB
for the demo model, 167 MB for fasterrcnn_resnet50_fpn, and a second set of activations, and two forward passes
would share the same CPU cores anyway).

Limits: one job per session (a second start of the same capture joins the running one; another is refused) and at
most `limit` jobs on the server (app.py --capture-jobs), each refusal a readable message.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

DEFAULT_LIMIT = 2
GRACE_SECONDS = 0.5    # after interactive work ends, the capture waits this long (a person's next click)
MAX_WAIT_SECONDS = 5.0  # a capture waits at most this long for interactive work before it takes one image


class InteractiveGate:
    """Where interactive events say that they run, and a background job waits for its turn."""

    def __init__(self, grace: float = GRACE_SECONDS, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.grace = grace
        self.max_wait = max_wait
        self._active = 0
        self._last = -float("inf")
        self._changed = threading.Condition()

    @contextmanager
    def interactive(self) -> Iterator[None]:
        """Around interactive work: background jobs wait until it (and a short grace after it) is over."""
        with self._changed:
            self._active += 1
        try:
            yield
        finally:
            with self._changed:
                self._active -= 1
                self._last = time.monotonic()
                self._changed.notify_all()

    def touch(self) -> None:
        """A short interactive event (a view, a click) just ran."""
        with self._changed:
            self._last = time.monotonic()

    @property
    def busy(self) -> bool:
        with self._changed:
            return self._active > 0 or time.monotonic() - self._last < self.grace

    def wait_turn(self, cancelled: threading.Event | None = None) -> float:
        """Block while interactive work runs (at most max_wait seconds); returns how long it waited."""
        started = time.monotonic()
        with self._changed:
            while True:
                now = time.monotonic()
                quiet_for = now - self._last
                if (self._active == 0 and quiet_for >= self.grace) or now - started >= self.max_wait:
                    return now - started
                if cancelled is not None and cancelled.is_set():
                    return now - started
                timeout = self.grace - quiet_for if self._active == 0 else 0.05
                self._changed.wait(min(max(timeout, 0.01), self.max_wait - (now - started)))


class JobCancelled(Exception):
    """Raised inside a job's work when it was cancelled (between two images)."""


class JobRefused(Exception):
    """A job that may not start now: `reason` is "session" (this session runs one) or "server" (the limit)."""

    def __init__(self, reason: str, limit: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit = limit


@dataclass
class Job:
    session_id: str
    key: str
    gate: InteractiveGate
    done: int = 0
    total: int = 0
    stage: str = "prepare"   # prepare → capture → open → finished
    result: Any = None
    error: BaseException | None = None
    waited: float = 0.0      # seconds spent giving way to interactive work
    started: float = field(default_factory=time.monotonic)
    cancelled: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)

    def between_images(self, done: int, total: int) -> None:
        """Called by the capture before each image: progress, cancel, and interactive work first."""
        self.done, self.total, self.stage = done, total, "capture"
        if self.cancelled.is_set():
            raise JobCancelled()
        if done < total:
            self.waited += self.gate.wait_turn(self.cancelled)
            if self.cancelled.is_set():
                raise JobCancelled()

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def wait(self, on_progress: Callable[["Job"], None] | None = None, poll: float = 0.25) -> Any:
        """Wait for the job to end (reporting progress); its result, or its error raised here."""
        while not self.finished.wait(poll):
            if on_progress is not None:
                on_progress(self)
        if self.error is not None:
            raise self.error
        return self.result


class CaptureJobs:
    """The background jobs of a server: one per session at most, `limit` in all."""

    def __init__(self, limit: int = DEFAULT_LIMIT, gate: InteractiveGate | None = None) -> None:
        if limit < 1:
            raise ValueError("the capture jobs limit must be at least 1")
        self.limit = limit
        self.gate = gate or InteractiveGate()
        self._running: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, session_id: str, key: str, work: Callable[[Job], Any]) -> Job:
        """Run `work(job)` in a thread of its own. The same (session, key) while it runs joins the running job."""
        with self._lock:
            running = self._running.get(session_id)
            if running is not None:
                if running.key == key and not running.cancelled.is_set():
                    return running
                raise JobRefused("session", self.limit)
            if len(self._running) >= self.limit:
                raise JobRefused("server", self.limit)
            job = Job(session_id, key, self.gate)
            self._running[session_id] = job
        thread = threading.Thread(target=self._run, args=(job, work), name=f"capture-{key[:24]}", daemon=True)
        thread.start()
        return job

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        try:
            job.result = work(job)
            job.stage = "finished"
        except BaseException as error:  # handed to whoever waits on the job
            job.error = error
        finally:
            with self._lock:
                if self._running.get(job.session_id) is job:
                    del self._running[job.session_id]
            job.finished.set()

    def job(self, session_id: str) -> Job | None:
        with self._lock:
            return self._running.get(session_id)

    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def cancel(self, session_id: str) -> Job | None:
        """Ask this session's job to stop between two images; returns it (None when none runs)."""
        job = self.job(session_id)
        if job is not None:
            job.cancelled.set()
        return job
