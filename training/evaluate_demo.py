"""Evaluate the RCNN Lens demo detector with pycocotools on held-out synthetic sets.

Two sets, both rendered from seeds that training never uses (training draws ``style="train"``; the
scene RNG is keyed by ``(seed, style, index)``):

* ``in_distribution``: ``make_scene(seed, i, "val", 384)`` -- the training renderer and background families;
* ``out_of_distribution``: ``make_scene(seed + 1, i, "ood", 384)`` -- shapes rasterised with
  ``skimage.draw`` (hard edges, parametric ellipses, ``draw.line`` outlines), photo / texture backgrounds
  from scikit-image's bundled images, speckle and salt-and-pepper fields, Bezier distractors, gamma, box blur,
  strong JPEG (quality 15-60) -- none of which the training stream contains.

Reported: COCO mAP@[.5:.95], mAP@0.5, mAP@0.75, small/medium/large AP, AR@100, per-class AP, and an
"acceptance" summary at score >= 0.5 (recall at IoU >= 0.5 with the right class, false positives per image).

CLI (evaluates the committed weights and writes the results into the metrics JSON)::

    python -m training.evaluate_demo --num 200 --update-metrics inspectors/weights/demo_shapes_metrics.json

``--mask`` evaluates ``demo_mask`` instead: pycocotools ``segm`` (the model's masks > 0.5, RLE) and ``bbox`` on the
same sets, and checks that its boxes equal the demo's::

    python -m training.evaluate_demo --mask --num 200 \
        --update-metrics inspectors/weights/demo_shapes_mask_metrics.json
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time

import numpy as np
import torch

from inspectors.dataset.scenes import CLASSES, coco_dict, make_scene

SETS = {"in_distribution": ("val", 0), "out_of_distribution": ("ood", 1)}


def box_iou_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    bb = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (aa[:, None] + bb[None, :] - inter + 1e-9)


def match_at(gt_boxes, gt_labels, boxes, labels, scores, score_thresh=0.5, iou_thresh=0.5):
    """Greedy one-to-one matching (by score) of detections >= score_thresh to same-class GT.

    Returns (number of GT found, number of false positives, list of missed GT indices)."""
    keep = scores >= score_thresh
    boxes, labels, scores = boxes[keep], labels[keep], scores[keep]
    order = np.argsort(-scores)
    iou = box_iou_np(boxes, gt_boxes)
    taken = np.zeros(len(gt_boxes), bool)
    fp = 0
    for d in order:
        cand = [(iou[d, g], g) for g in range(len(gt_boxes))
                if not taken[g] and gt_labels[g] == labels[d] and iou[d, g] >= iou_thresh]
        if cand:
            taken[max(cand)[1]] = True
        else:
            fp += 1
    return int(taken.sum()), fp, [int(g) for g in np.nonzero(~taken)[0]]


@torch.inference_mode()
def predict(model, image) -> dict:
    x = torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.uint8).copy()).permute(2, 0, 1).float() / 255
    out = model([x])[0]
    return {k: v.numpy() for k, v in out.items()}


def coco_eval(gt: dict, dets: list, iou_type: str = "bbox") -> dict:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        cg = COCO()
        cg.dataset = gt
        cg.createIndex()
        if not dets:
            return {"mAP@[.5:.95]": 0.0, "mAP@0.5": 0.0}
        cd = cg.loadRes(dets)
        ev = COCOeval(cg, cd, iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    s = ev.stats
    res = {"mAP@[.5:.95]": s[0], "mAP@0.5": s[1], "mAP@0.75": s[2], "AP_small": s[3], "AP_medium": s[4],
           "AP_large": s[5], "AR@1": s[6], "AR@10": s[7], "AR@100": s[8]}
    # per-class AP from the precision array [T, R, K, A, M] (area=all, maxDets=100)
    prec = ev.eval["precision"]
    per50, per = {}, {}
    for k, name in enumerate(CLASSES):
        p = prec[:, :, k, 0, -1]
        per[name] = float(np.mean(p[p > -1])) if (p > -1).any() else float("nan")
        p50 = prec[0, :, k, 0, -1]
        per50[name] = float(np.mean(p50[p50 > -1])) if (p50 > -1).any() else float("nan")
    res = {k: round(float(v), 4) for k, v in res.items()}
    res["per_class_AP@0.5"] = {k: round(v, 4) for k, v in per50.items()}
    res["per_class_AP@[.5:.95]"] = {k: round(v, 4) for k, v in per.items()}
    return res


def mask_dets(image_id: int, out: dict, mask_thresh: float = 0.5) -> list:
    """pycocotools ``segm`` results of one image: each detection's pasted mask (``out["masks"]`` (N,1,H,W)
    probabilities) thresholded at ``mask_thresh``, as compressed RLE. No ``bbox`` key: ``COCO.loadRes`` would
    otherwise take the results for boxes and replace the segmentation by the box."""
    from pycocotools import mask as mask_utils

    masks = out["masks"]
    if len(masks) == 0:
        return []
    binary = np.asfortranarray((masks[:, 0] > mask_thresh).transpose(1, 2, 0).astype(np.uint8))
    rles = mask_utils.encode(binary)
    return [{"image_id": image_id, "category_id": int(label), "segmentation": {"size": r["size"],
             "counts": r["counts"].decode("ascii")}, "score": float(s)}
            for r, label, s in zip(rles, out["labels"], out["scores"])]


def evaluate_set(model, style: str, num: int, seed: int, size: int = 384, save_dir: str | None = None,
                 masks: bool = False, mask_thresh: float = 0.5) -> dict:
    """pycocotools bbox metrics of ``model`` on ``num`` scenes; ``masks=True`` adds ``segm`` metrics (the
    model's ``masks`` output thresholded at ``mask_thresh``) under the ``"segm"`` key."""
    scenes, names, dets, sdets = [], [], [], []
    found = total = fps = perfect = 0
    t_inf = 0.0
    for i in range(num):
        sc = make_scene(seed, i, style, size)
        name = f"{style}_{i:05d}.png"
        scenes.append(sc)
        names.append(name)
        if save_dir:
            os.makedirs(os.path.join(save_dir, "images"), exist_ok=True)
            sc.image.save(os.path.join(save_dir, "images", name))
        t = time.perf_counter()
        out = predict(model, sc.image)
        t_inf += time.perf_counter() - t
        for b, label, s in zip(out["boxes"], out["labels"], out["scores"]):
            dets.append({"image_id": i + 1, "category_id": int(label),
                         "bbox": [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])],
                         "score": float(s)})
        if masks:
            sdets.extend(mask_dets(i + 1, out, mask_thresh))
        f, fp, _ = match_at(sc.boxes, sc.labels, out["boxes"], out["labels"], out["scores"])
        found += f
        total += len(sc.objects)
        fps += fp
        perfect += int(f == len(sc.objects) and fp <= 1)
    gt = coco_dict(scenes, names)
    if save_dir:
        with open(os.path.join(save_dir, "annotations.json"), "w") as fh:
            json.dump(gt, fh)
    res = {"style": style, "seed": seed, "image_size": size, "num_images": num, "num_objects": total}
    res.update(coco_eval(gt, dets))
    res["at_score_0.5"] = {
        "recall@IoU0.5": round(found / max(1, total), 4),
        "false_positives_per_image": round(fps / max(1, num), 4),
        "images_all_found_and_at_most_1_fp": round(perfect / max(1, num), 4),
    }
    if masks:
        res["segm"] = coco_eval(gt, sdets, "segm")
        res["segm"]["mask_thresh"] = mask_thresh
    res["inference_s_per_image"] = round(t_inf / max(1, num), 4)
    return res


def evaluate_all(model, num: int = 200, seed: int = 1000, size: int = 384, save_dir: str | None = None,
                 verbose: bool = True) -> dict:
    model.eval()
    out = {"protocol": "pycocotools COCOeval (bbox), maxDets=100, model defaults "
                       "(box_score_thresh 0.05, NMS 0.5); OOD = different renderer (skimage.draw), backgrounds "
                       "(scikit-image photos/textures, speckle, salt-and-pepper), distractors and degradations"}
    for key, (style, off) in SETS.items():
        r = evaluate_set(model, style, num, seed + off, size,
                         os.path.join(save_dir, key) if save_dir else None)
        out[key] = r
        if verbose:
            print(f"{key}: mAP@0.5={r['mAP@0.5']:.4f} mAP@[.5:.95]={r['mAP@[.5:.95]']:.4f} "
                  f"recall@0.5(score>=.5)={r['at_score_0.5']['recall@IoU0.5']:.4f} "
                  f"fp/img={r['at_score_0.5']['false_positives_per_image']:.3f}", flush=True)
    return out


def same_boxes_as_demo(model, num: int = 5, seed: int = 1000, size: int = 384) -> dict:
    """Run ``model`` and the committed box-only demo on the first ``num`` scenes of each held-out set and compare
    boxes, labels and scores exactly (demo_mask's box path is the demo's, same weights, same computation)."""
    from inspectors.core.demo_model import load_demo_model

    demo = load_demo_model()
    checked = equal = 0
    for style, off in SETS.values():
        for i in range(num):
            img = make_scene(seed + off, i, style, size).image
            a, b = predict(model, img), predict(demo, img)
            checked += 1
            equal += int(all(np.array_equal(a[k], b[k]) for k in ("boxes", "labels", "scores")))
    return {"scenes_checked": checked, "scenes_with_identical_boxes_labels_scores": equal}


def evaluate_all_mask(model, num: int = 200, seed: int = 1000, size: int = 384, mask_thresh: float = 0.5,
                      save_dir: str | None = None, verbose: bool = True) -> dict:
    """demo_mask: bbox and segm metrics on the same held-out sets as :func:`evaluate_all`, plus the check that its
    boxes are the demo's."""
    model.eval()
    out: dict = {"protocol": "pycocotools COCOeval, iouType 'segm' and 'bbox', maxDets=100, model defaults "
                             f"(box_score_thresh 0.05, NMS 0.5); detection masks = model(images)[0]['masks'] > "
                             f"{mask_thresh}, compressed RLE; GT masks = each object's visible pixels "
                             "(Scene.masks); S/M/L ranges use the GT 'area' field, which coco_dict sets to the "
                             "amodal box area; sets as for the demo's box metrics (OOD = different renderer, "
                             "backgrounds, distractors, degradations)"}
    for key, (style, off) in SETS.items():
        r = evaluate_set(model, style, num, seed + off, size, os.path.join(save_dir, key) if save_dir else None,
                         masks=True, mask_thresh=mask_thresh)
        out[key] = r
        if verbose:
            sg = r["segm"]
            print(f"{key}: segm AP={sg['mAP@[.5:.95]']:.4f} AP50={sg['mAP@0.5']:.4f} AP75={sg['mAP@0.75']:.4f} | "
                  f"bbox AP50={r['mAP@0.5']:.4f} AP={r['mAP@[.5:.95]']:.4f}", flush=True)
    out["same_boxes_as_demo"] = same_boxes_as_demo(model, 5, seed, size)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="pycocotools evaluation of the RCNN Lens demo detector")
    ap.add_argument("--weights", default=None, help="fp16/fp32 state dict (default: inspectors/weights/...)")
    ap.add_argument("--mask", action="store_true",
                    help="evaluate demo_mask (box weights + the mask branch in --mask-weights): segm + bbox")
    ap.add_argument("--mask-weights", default=None, help="mask-branch file (default: inspectors/weights/...)")
    ap.add_argument("--mask-thresh", type=float, default=0.5)
    ap.add_argument("--num", type=int, default=200, help="images per set")
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--size", type=int, default=384)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save-sets", default=None, help="also write the eval images + COCO JSON here")
    ap.add_argument("--update-metrics", default=None, help="metrics JSON whose 'evaluation' key is replaced")
    ap.add_argument("--out-json", default=None, help="write the evaluation dict here")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    from inspectors.core.demo_model import load_demo_mask_model, load_demo_model

    if a.mask:
        model = load_demo_mask_model(a.mask_weights)
        res = evaluate_all_mask(model, a.num, a.seed, a.size, a.mask_thresh, a.save_sets)
    else:
        model = load_demo_model(a.weights)
        res = evaluate_all(model, a.num, a.seed, a.size, a.save_sets)
    res["command"] = "python -m training.evaluate_demo " + " ".join(argv if argv is not None else sys.argv[1:])
    if a.out_json:
        with open(a.out_json, "w") as f:
            json.dump(res, f, indent=2)
    if a.update_metrics:
        with open(a.update_metrics) as f:
            m = json.load(f)
        m["evaluation"] = res
        with open(a.update_metrics, "w") as f:
            json.dump(m, f, indent=2)
    print(json.dumps({k: {kk: vv for kk, vv in v.items() if not isinstance(vv, dict)} if isinstance(v, dict) else v
                      for k, v in res.items()}, indent=1))
    return res


if __name__ == "__main__":
    main()
