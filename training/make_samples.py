"""Write RCNN Lens' sample images: synthetic demo scenes (+ COCO ground truth) and free-licence photographs.

    python -m training.make_samples --out sample_images

* ``shapes_XX.png``: ``make_scene(SAMPLE_SEED, i, "sample", 384, n_min=5, n_max=9)`` for the indices in
  ``SAMPLE_INDICES`` (the training renderer; the "sample" style key means training never draws them) and
  ``shapes_ood_XX.png``: ``make_scene(SAMPLE_SEED, i, "ood", 384, ...)`` (skimage.draw renderer on photo /
  texture backgrounds, never seen in training). Ground truth for all of them: ``shapes_annotations.json``
  (COCO; bbox = [x, y, w, h], category ids 1 circle, 2 rectangle, 3 triangle; polygons in "segmentation").
* Photographs copied byte-for-byte from scikit-image's bundled data (licences in sample_images/README.md).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil

from inspectors.dataset.scenes import coco_dict, make_scene

SAMPLE_SEED = 2026
SAMPLE_INDICES = [2, 4, 12, 14, 31, 32]  # chosen by --select-weights with the committed demo weights
SAMPLE_OOD_INDICES = [7, 18]
PHOTOS = {  # file in skimage/data -> file in sample_images
    "astronaut.png": "astronaut.png",
    "chelsea.png": "chelsea.png",
    "coffee.png": "coffee.png",
    "rocket.jpg": "rocket.jpg",
}


def sample_scenes(indices=None, ood_indices=None):
    indices = SAMPLE_INDICES if indices is None else indices
    ood_indices = SAMPLE_OOD_INDICES if ood_indices is None else ood_indices
    out = []
    for i in indices:
        out.append((f"shapes_{i:02d}.png", make_scene(SAMPLE_SEED, i, "sample", 384, n_min=5, n_max=9)))
    for i in ood_indices:
        out.append((f"shapes_ood_{i:02d}.png", make_scene(SAMPLE_SEED, i, "ood", 384, n_min=4, n_max=8)))
    return out


def select_indices(weights: str, num: int, num_ood: int, max_tries: int = 60):

    from inspectors.core.demo_model import load_demo_model
    from training.evaluate_demo import match_at, predict

    model = load_demo_model(weights)
    chosen = {"sample": [], "ood": []}
    rejected = {"sample": [], "ood": []}
    for style, want in (("sample", num), ("ood", num_ood)):
        for i in range(max_tries):
            if len(chosen[style]) >= want:
                break
            sc = sample_scenes([i], []) if style == "sample" else sample_scenes([], [i])
            scene = sc[0][1]
            out = predict(model, scene.image)
            found, fp, _ = match_at(scene.boxes, scene.labels, out["boxes"], out["labels"], out["scores"])
            ok = found == len(scene.objects) and fp <= 1
            (chosen if ok else rejected)[style].append(i)
    return chosen["sample"], chosen["ood"], rejected


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="sample_images")
    ap.add_argument("--indices", default=None, help="comma-separated scene indices (default SAMPLE_INDICES)")
    ap.add_argument("--ood-indices", default=None)
    ap.add_argument("--select-weights", default=None,
                    help="instead of fixed indices: walk the sample streams from index 0 and keep the first "
                         "--num / --num-ood scenes on which these weights find every object (IoU>=0.5, right "
                         "class, score>=0.5) with at most one false positive (demo scenes show a working model; "
                         "failure rates are in the metrics JSON)")
    ap.add_argument("--num", type=int, default=6)
    ap.add_argument("--num-ood", type=int, default=2)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    idx = [int(v) for v in a.indices.split(",")] if a.indices else None
    oidx = [int(v) for v in a.ood_indices.split(",")] if a.ood_indices else None
    rejected = None
    if a.select_weights:
        idx, oidx, rejected = select_indices(a.select_weights, a.num, a.num_ood)
        print(f"selected {idx} / ood {oidx}; rejected {rejected}")
    scenes = sample_scenes(idx, oidx)
    for name, sc in scenes:
        sc.image.save(os.path.join(a.out, name), optimize=True)
    gt = coco_dict([s for _, s in scenes], [n for n, _ in scenes])
    gt["info"] = {"description": "RCNN Lens sample scenes", "generator": "training/make_samples.py",
                  "seed": SAMPLE_SEED, "indices": [n for n, _ in scenes]}
    if a.select_weights:
        gt["info"]["selection"] = {
            "rule": "first scenes of the sample / ood streams on which the demo model finds every object "
                    "(IoU>=0.5, right class, score>=0.5) with at most one false positive",
            "weights": os.path.basename(a.select_weights), "rejected_indices": rejected}
    with open(os.path.join(a.out, "shapes_annotations.json"), "w") as f:
        json.dump(gt, f, indent=1)
    import skimage

    src = os.path.join(os.path.dirname(skimage.__file__), "data")
    for s, d in PHOTOS.items():
        shutil.copyfile(os.path.join(src, s), os.path.join(a.out, d))
    print(f"wrote {len(scenes)} scenes + {len(PHOTOS)} photos to {a.out}")


if __name__ == "__main__":
    main()
