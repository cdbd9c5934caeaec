"""Capture a dataset on Ray: Ray Data `map_batches` over the images with a pool of model-holding actors.

Each actor unpickles the model once (shipped through the object store), fixes its intra-op threads to the
capture's number, and turns images into record bytes with the very function the in-process engine uses
(`inspectors.dataset.tasks.capture_record`); the driver writes each record atomically as it streams in, so the files are
the same bytes as an in-process capture's, memory stays bounded, and an interrupted run resumes the same way.

`ray.init()` starts a local cluster unless Ray is already initialised or `address` names a running one (then the
images must be readable at the same paths on every node). With CUDA models each actor takes one GPU.
Ray is optional: it is imported here only (pip install -r requirements-ray.txt).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from inspectors.core.errors import InputError, LensError
from inspectors.core.models import InspectedModel
from inspectors.dataset.record import write_atomically
from inspectors.dataset.tasks import capture_record

if TYPE_CHECKING:
    from inspectors.dataset.tasks import ImageTask

_REPO_ROOT = str(Path(__file__).resolve().parents[2])


class RecordMaker:
    """The Ray Data actor: holds one copy of the model; one call = a batch of image indices → record bytes."""

    def __init__(self, model_ref: Any, tasks_ref: Any, top_n: int, threads: int, device: str) -> None:
        import ray
        import torch

        torch.set_num_threads(threads)
        model: InspectedModel = ray.get(model_ref)
        model.model.to(device)
        model.device = torch.device(device)
        self.model = model
        self.tasks = {task.index: task for task in ray.get(tasks_ref)}
        self.top_n = top_n

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        records = [capture_record(self.model, self.tasks[int(i)], self.top_n) for i in batch["index"]]
        return {"index": np.asarray(batch["index"]), "record": np.array(records, dtype=object)}


def capture_with_ray(model: InspectedModel, tasks: list["ImageTask"], records: Path, *, top_n: int, threads: int,
                     progress: bool, address: Optional[str] = None, num_workers: Optional[int] = None) -> None:
    try:
        import ray
        import ray.data
    except ImportError as e:
        raise InputError("dataset.ray_missing", reason=str(e)) from None
    from tqdm.auto import tqdm

    started = not ray.is_initialized()
    if started:
        path = os.pathsep.join(p for p in (_REPO_ROOT, os.environ.get("PYTHONPATH", "")) if p)
        ray.init(address=address, runtime_env={"env_vars": {"PYTHONPATH": path}}, include_dashboard=False,
                 log_to_driver=False)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False  # ours counts written records
        use_gpu = model.device.type == "cuda"
        shipped = copy.copy(model)
        shipped.model = copy.deepcopy(model.model).cpu() if use_gpu else model.model
        resources = ray.cluster_resources()
        if num_workers is None:
            available = resources.get("GPU", 0) if use_gpu else resources.get("CPU", 1) // threads
            num_workers = max(1, min(int(available), len(tasks)))
        by_index = {task.index: task for task in tasks}
        dataset = ray.data.from_items([{"index": task.index} for task in tasks]).map_batches(
            RecordMaker,
            fn_constructor_kwargs={"model_ref": ray.put(shipped), "tasks_ref": ray.put(tasks), "top_n": top_n,
                                   "threads": threads, "device": "cuda" if use_gpu else "cpu"},
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=num_workers),
            num_cpus=threads,
            num_gpus=1 if use_gpu else 0,
        )
        with tqdm(total=len(tasks), desc=f"capture (ray, {num_workers} workers)", unit="image",
                  disable=not progress) as bar:
            try:
                for batch in dataset.iter_batches(batch_size=1, batch_format="numpy"):
                    for index, data in zip(batch["index"], batch["record"]):
                        write_atomically(records / by_index[int(index)].record, bytes(data))
                        bar.update(1)
            except Exception as e:  # a worker's own error (e.g. an image that disagrees with its annotation)
                cause = _lens_cause(e)
                if cause is not None:
                    raise cause from None
                raise
    finally:
        if started:
            ray.shutdown()


def _lens_cause(error: BaseException) -> Optional[LensError]:
    """The engine's coded error inside Ray's wrappers, if that is what failed."""
    seen = set()
    current: Optional[BaseException] = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, LensError):
            return current
        current = getattr(current, "cause", None) or current.__cause__ or current.__context__
    return None
