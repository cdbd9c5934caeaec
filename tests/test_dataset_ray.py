"""The Ray engine writes the same records as the in-process engine, byte for byte (a local Ray cluster, 2 CPUs)."""

from __future__ import annotations

import os
import time

import pytest

from inspectors import capture_dataset

pytestmark = [pytest.mark.slow, pytest.mark.dataset, pytest.mark.ray]

if os.environ.get("CI"):
    import ray  # a CI without Ray is a broken install (requirements-dev.txt includes requirements-ray.txt)
else:
    ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    print(f"ray.init: {time.perf_counter() - started:.1f} s")
    yield
    ray.shutdown()


def test_ray_capture_equals_the_in_process_capture(local_ray, demo_model, demo_scenes, demo_capture, tmp_path):
    images, annotations = demo_scenes
    files = sorted(images.glob("*.png"))[:4]  # the first four scenes of the in-process capture
    started = time.perf_counter()
    dataset = capture_dataset(demo_model, files, annotations, tmp_path / "ray", engine="ray", threads=1,
                              progress=False)
    print(f"ray capture of 4 images: {time.perf_counter() - started:.1f} s")
    assert dataset.manifest["capture"]["runs"][-1]["engine"] == "ray"
    for entry in dataset.images:
        ours = (tmp_path / "ray" / "records" / entry["record"]).read_bytes()
        reference = (demo_capture.path / "records" / entry["record"]).read_bytes()
        assert ours == reference, entry["name"]  # every stored array, bit for bit (and the same file bytes)
    assert dataset.evaluate().ap >= 0
