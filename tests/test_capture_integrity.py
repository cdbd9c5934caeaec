"""Nothing lost, nothing half-written: a dataset capture's manifest keeps each record's size and sha256, opening the
capture checks them and names a missing, truncated or altered record (image and file) in a LensError, running the
same capture again re-captures just those images, and a capture killed (SIGKILL) at any moment, a record's write
included, resumes to the very records of an uninterrupted capture."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.strings import engine_error_text, use_language
from inspectors import DatasetCapture, InputError, capture_dataset
from inspectors.core.errors import LensError

pytestmark = [pytest.mark.slow, pytest.mark.dataset]

ROOT = Path(__file__).resolve().parents[1]


def record_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "records").iterdir())}


def test_the_manifest_keeps_each_records_size_and_sha256(demo_capture):
    for entry in demo_capture.manifest["images"]:
        data = (demo_capture.path / "records" / entry["record"]).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _delete(path: Path) -> None:
    path.unlink()


def _flip_a_bit(path: Path) -> None:
    """One bit in the middle of the arrays, same size, the file's times put back (nothing but the bytes tells)."""
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.mark.parametrize("damage, code", [(_truncate, "dataset.record_truncated"), (_delete, "dataset.record_absent"),
                                          (_flip_a_bit, "dataset.record_changed")])
def test_a_damaged_record_is_named_and_a_second_capture_repairs_just_it(demo_capture, demo_model, demo_scenes,
                                                                        tmp_path, damage, code):
    images, annotations = demo_scenes
    out = tmp_path / "copy"
    shutil.copytree(demo_capture.path, out)
    entry = demo_capture.manifest["images"][5]
    record = out / "records" / entry["record"]
    damage(record)

    with pytest.raises(LensError) as error:
        DatasetCapture.open(out)
    assert isinstance(error.value, InputError) and error.value.code == code
    message = str(error.value)
    assert entry["name"] in message and str(record) in message and "1 damaged record(s) in all" in message
    assert "Run the same capture again" in message
    with use_language("ko"):
        korean = engine_error_text(error.value)
    assert entry["name"] in korean and str(record) in korean and "다시" in korean

    repaired = capture_dataset(demo_model, images, annotations, out, progress=False, threads=1)
    assert repaired.manifest["capture"]["runs"][-1]["images"] == 1  # just the damaged image
    assert record_files(out) == record_files(demo_capture.path)
    assert repaired.manifest["images"] == demo_capture.manifest["images"]
    assert DatasetCapture.open(out).evaluate().ap == demo_capture.evaluate().ap


def test_every_damaged_record_is_counted_and_repaired(demo_capture, demo_model, demo_scenes, tmp_path):
    images, annotations = demo_scenes
    out = tmp_path / "copy"
    shutil.copytree(demo_capture.path, out)
    _truncate(out / "records" / "000001.npz")
    _flip_a_bit(out / "records" / "000006.npz")
    (out / "records" / "000003.npz").unlink()
    with pytest.raises(InputError) as error:
        DatasetCapture.open(out)
    assert error.value.code == "dataset.record_truncated" and error.value.params["count"] == 3
    assert error.value.params["index"] == 1 and error.value.params["expected"] > error.value.params["size"]
    repaired = capture_dataset(demo_model, images, annotations, out, progress=False, threads=1)
    assert repaired.manifest["capture"]["runs"][-1]["images"] == 3
    assert record_files(out) == record_files(demo_capture.path)


def test_a_record_damaged_after_opening_is_named_when_read(demo_capture, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(demo_capture.path, out)
    dataset = DatasetCapture.open(out)
    _truncate(out / "records" / "000002.npz")
    with pytest.raises(InputError) as error:
        dataset.evaluate()
    assert error.value.code == "dataset.record_missing"
    assert dataset.names[2] in str(error.value) and "000002.npz" in str(error.value)


# ---- SIGKILL at several random points --------------------------------------------------------------------------
_WORKER = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from inspectors import capture_dataset, load_model
    import inspectors.dataset.record as record

    images, annotations, out, mode, k, fraction = sys.argv[1:7]
    k, fraction = int(k), float(fraction)
    model = load_model("demo", device="cpu")
    writes = []

    def die():
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    class Torn:
        '''A record's temporary file that the process dies in the middle of writing.'''
        def __init__(self, path):
            self.handle = open(path, "wb")
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.handle.close()
        def write(self, data):
            self.handle.write(data[: int(len(data) * fraction)])
            self.handle.flush()
            die()

    real_fsync = os.fsync

    def opener(path, mode_="r", *args, **kwargs):
        if str(path).endswith(".tmp") and "records" in str(path):
            writes.append(path)
            if mode == "torn" and len(writes) == k:
                return Torn(path)
        return open(path, mode_, *args, **kwargs)

    def fsync(fd):
        real_fsync(fd)
        if mode == "unrenamed" and len(writes) == k:  # written and flushed, not yet renamed
            die()

    record.open = opener
    record.os.fsync = fsync
    print("ready", flush=True)
    capture_dataset(model, images, annotations, out, progress=False, threads=1)
    print("finished", flush=True)
""")


def _run_until_killed(args: list[str], kill_after: float | None) -> str:
    """Run the worker; with `kill_after`, SIGKILL it that many seconds after its model is loaded."""
    worker = subprocess.Popen([sys.executable, "-c", _WORKER.format(root=str(ROOT)), *args],
                              stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"
    if kill_after is not None:
        time.sleep(kill_after)
        worker.send_signal(signal.SIGKILL)
    worker.wait(300)
    return worker.stdout.read()


def test_a_capture_killed_at_random_points_resumes_to_the_uninterrupted_records(demo_capture, demo_model,
                                                                               demo_scenes, tmp_path):
    images, annotations = (str(p) for p in demo_scenes)
    out = tmp_path / "killed"
    seed = int(time.time())
    rng = random.Random(seed)
    points = [("torn", rng.randint(1, 3), rng.uniform(0.05, 0.95), None),   # in the middle of a record's bytes
              ("random", 0, 0.0, rng.uniform(0.0, 1.5)),                     # wherever the clock falls
              ("unrenamed", rng.randint(1, 3), 0.0, None),                  # whole temporary file, not renamed
              ("random", 0, 0.0, rng.uniform(0.0, 1.5))]
    done = []
    for mode, k, fraction, kill_after in points:
        output = _run_until_killed([images, annotations, str(out), mode, str(k), str(fraction)], kill_after)
        assert "finished" not in output or mode == "random", (seed, mode)
        records = out / "records"
        done.append(len(list(records.glob("*.npz"))))
        if mode in ("torn", "unrenamed"):  # it died inside write_atomically: the temporary file is left, unrenamed
            left = list(records.glob(".*.npz.*.tmp"))
            assert len(left) == 1, (seed, mode, left)
            whole = len((demo_capture.path / "records" / left[0].name.split(".")[1]).with_suffix(".npz")
                        .read_bytes())
            assert (left[0].stat().st_size < whole) == (mode == "torn"), (seed, mode)
        if "finished" in output:
            break
    assert done[0] < 8, (seed, done)

    resumed = capture_dataset(demo_model, images, annotations, out, progress=False, threads=1)
    assert not list((out / "records").glob(".*.tmp"))
    assert record_files(out) == record_files(demo_capture.path), seed
    assert [(e["bytes"], e["sha256"]) for e in resumed.manifest["images"]] == \
        [(e["bytes"], e["sha256"]) for e in demo_capture.manifest["images"]]
    assert resumed.evaluate().ap == demo_capture.evaluate().ap
