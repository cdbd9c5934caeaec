"""The dataset sliders' fast paths against the plain computations they replace, on random cases built to hit the
edge cases: tied scores and tied IoUs, duplicates of one object, crowd regions, images with more than 1000 boxes
(batched_nms's per-class path), images with too many overlapping pairs (left to the kernel), NMS thresholds on the
slider's steps and off them.

- box NMS of every image from the score threshold's overlapping pairs (roi.nms_pairs) = torchvision's batched_nms
  image by image;
- the bit-parallel grid of NMS thresholds = one greedy pass per threshold = a plain greedy loop;
- COCO matching in rounds over sparse pairs (greedy_match_sparse) = the rank-by-rank walk (greedy_match);
- accumulate (class by class, true positives only) = pycocotools' COCOeval.accumulate, bit for bit.
"""

from __future__ import annotations

import contextlib
import copy
import io

import numpy as np
import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from torchvision.ops import boxes as box_ops

from inspectors.evaluation import coco_matching
from inspectors.evaluation.coco_accumulate import accumulate, summarize
from inspectors.evaluation.coco_matching import DetectionSet, GroundTruthArrays, match
from inspectors.roi import batched_postprocess as bp
from inspectors.roi import nms_pairs
from inspectors.roi.batched_postprocess import CandidateBatch
from inspectors.rpn.nms_grid import slider_grid

pytestmark = [pytest.mark.slow, pytest.mark.dataset]
NMS_VALUES = (0.0, 0.05, 0.3, 0.5, 0.65, 0.6500000000000001, 0.7, 0.95, 1.0, 0.33, 0.512, 0.4999)


def random_batch(seed: int, images: int = 12, classes: int = 3, big: int = 1) -> CandidateBatch:
    """Candidates of several images: clusters of near-duplicate boxes (IoU around every threshold), exact duplicate
    boxes, tied scores; the first `big` images with more than 1000 boxes."""
    rng = np.random.default_rng(seed)
    boxes, scores, labels, image = [], [], [], []
    sizes = []
    for i in range(images):
        h, w = (int(v) for v in (rng.integers(900, 1000, 2) if i < big else rng.integers(120, 400, 2)))
        sizes.append((h, w))
        n = 1100 if i < big else int(rng.integers(0, 120))
        centre = rng.uniform(0, 1, (max(n // 6, 1), 2)) * [w, h]
        pick = rng.integers(0, len(centre), n)
        wh = rng.uniform(3, 12, (n, 2)) if i < big else rng.uniform(8, 80, (n, 2))
        xy = centre[pick] + rng.normal(0, 6, (n, 2))
        b = np.concatenate([xy, xy + wh], 1)
        b[rng.random(n) < 0.1] = b[0] if n else b[:0]  # exact duplicates
        b = np.clip(b, 0, [w, h, w, h]).astype(np.float32)
        s = rng.choice([0.9, 0.5, 0.25], n) if rng.random() < 0.5 else rng.random(n)  # many ties, or none
        boxes.append(b)
        scores.append(s.astype(np.float32))
        labels.append(rng.integers(1, classes + 1, n))
        image.append(np.full(n, i))
    sizes_t = torch.tensor(sizes, dtype=torch.float32)
    cat = np.concatenate
    return CandidateBatch(boxes=torch.from_numpy(cat(boxes)), scores=torch.from_numpy(cat(scores)),
                          labels=torch.from_numpy(cat(labels).astype(np.int64)),
                          source=torch.zeros(sum(len(s) for s in scores), dtype=torch.int64),
                          image=torch.from_numpy(cat(image).astype(np.int64)), resized=sizes_t, original=sizes_t)


def torchvision_nms(f, nms_thresh: float) -> np.ndarray:
    """batched_nms image by image (what RoIHeads.postprocess_detections calls), rows image after image."""
    out, start = [], 0
    for n in f.counts:
        if n:
            out.append(box_ops.batched_nms(f.boxes[start:start + n], f.scores[start:start + n],
                                           f.labels[start:start + n], nms_thresh).numpy() + start)
        start += n
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


@pytest.mark.parametrize("seed", range(4))
def test_nms_from_pairs_equals_batched_nms_image_by_image(seed):
    batch = random_batch(seed)
    for score in (0.0, 0.3):
        f = bp._filtered(batch, score)
        for nms in NMS_VALUES:
            keep, rank = bp._nms_all_images(f, nms)
            assert np.array_equal(keep.numpy(), torchvision_nms(f, nms)), (seed, score, nms)
            image = f.image.numpy()[keep.numpy()]
            for i in np.unique(image):
                assert np.array_equal(rank.numpy()[image == i], np.arange((image == i).sum()))
        assert f.pairs is not None and f.pairs.grid_bits is not None  # the moves after the first used the pairs
        assert set(slider_grid("box_nms_thresh")) <= set(f.pairs.grid)
        if score == 0.0:  # batched_nms's per-class path (more than 1000 boxes) answered by the pairs
            assert (f.pairs.vanilla & ~np.isin(np.arange(len(f.counts)), f.pairs.dense)).any()


def test_images_with_too_many_pairs_are_left_to_the_kernel():
    batch = random_batch(5, images=6, big=0)
    f = bp._filtered(batch, 0.0)
    f.pairs = nms_pairs.nms_pairs(f.boxes, f.shifted, f.scores, f.labels, f.image, f.counts, max_pairs_per_box=1)
    nms_pairs.decide_grid(f.pairs, [0.5])
    f.asked.append(0.5)
    assert len(f.pairs.dense) > 0
    for nms in (0.5, 0.3):
        assert np.array_equal(bp._nms_all_images(f, nms)[0].numpy(), torchvision_nms(f, nms))


def plain_greedy(n: int, sup: np.ndarray, vic: np.ndarray, ovr: np.ndarray, t: float) -> np.ndarray:
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        if keep[i]:
            keep[vic[(sup == i) & (ovr > t)]] = False
    return keep


@pytest.mark.parametrize("seed", range(30))
def test_grid_of_thresholds_equals_one_greedy_pass_per_threshold(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    a, b = rng.integers(0, n, (2, int(rng.integers(0, 120))))
    sup, vic = np.minimum(a, b)[a != b], np.maximum(a, b)[a != b]
    ovr = rng.choice([0.1, 0.3, 0.5, 0.7, 0.9, 1.0], len(sup)) + rng.choice([0, 0, 1e-9, -1e-9], len(sup))
    pairs = nms_pairs.NmsPairs(n, np.arange(n), np.zeros(n, np.int64), sup, vic, ovr, np.zeros(0, np.int64),
                               np.zeros(1, bool), np.zeros(1, bool))
    grid = [round(0.05 * k, 10) for k in range(1, 21)] + [0.0]
    nms_pairs.decide_grid(pairs, grid)
    for k, t in enumerate(grid):
        want = plain_greedy(n, sup, vic, ovr, t)
        assert np.array_equal(nms_pairs.greedy_keep(n, sup[ovr > t], vic[ovr > t]), want)
        assert np.array_equal(((pairs.grid_bits >> k) & 1).astype(bool), want), (seed, t)


def random_coco(seed: int, images: int = 30, classes: int = 3):
    """GT with crowd regions and all three area ranges; detections duplicating objects (so that several compete for
    one object), with the wrong class, far from everything; tied scores."""
    rng = np.random.default_rng(seed)
    gt = {"images": [], "annotations": [], "categories": [{"id": k, "name": f"c{k}"} for k in range(1, classes + 2)]}
    results = []
    for i in range(1, images + 1):
        gt["images"].append({"id": i, "file_name": f"{i}.png", "width": 400, "height": 400})
        objects = []
        for _ in range(int(rng.integers(0, 9))):
            x, y = rng.uniform(0, 300, 2)
            w, h = rng.choice([rng.uniform(4, 30, 2), rng.uniform(30, 90, 2), rng.uniform(90, 200, 2)])
            c = int(rng.integers(1, classes + 1))
            gt["annotations"].append({"id": len(gt["annotations"]) + 1, "image_id": i, "category_id": c,
                                      "bbox": [x, y, w, h], "area": float(w * h),
                                      "iscrowd": int(rng.random() < 0.1)})
            objects.append((x, y, w, h, c))
        for _ in range(int(rng.integers(0, 40))):
            if objects and rng.random() < 0.8:
                x, y, w, h, c = objects[int(rng.integers(len(objects)))]
                dx, dy, dw, dh = rng.choice([0.0, 1.0, 3.0, 8.0]) * rng.normal(0, 1, 4)
                box = [x + dx, y + dy, max(1.0, w + dw), max(1.0, h + dh)]
                if rng.random() < 0.15:
                    c = int(rng.integers(1, classes + 2))
            else:
                box = [*rng.uniform(0, 300, 2), *rng.uniform(4, 160, 2)]
                c = int(rng.integers(1, classes + 2))
            score = float(np.float32(rng.choice([0.5, 0.75, rng.random()])))
            results.append({"image_id": i, "category_id": c, "bbox": [float(v) for v in box], "score": score})
    return gt, results


def as_arrays(gt: dict, results: list):
    cls = {c["id"]: k for k, c in enumerate(gt["categories"])}
    anns = gt["annotations"]
    dets = DetectionSet(image=np.array([d["image_id"] - 1 for d in results], dtype=np.int64),
                        category=np.array([cls[d["category_id"]] for d in results], dtype=np.int64),
                        bbox=np.array([d["bbox"] for d in results], dtype=np.float64).reshape(-1, 4),
                        score=np.array([d["score"] for d in results], dtype=np.float64))
    gts = GroundTruthArrays(image=np.array([a["image_id"] - 1 for a in anns], dtype=np.int64),
                            category=np.array([cls[a["category_id"]] for a in anns], dtype=np.int64),
                            bbox=np.array([a["bbox"] for a in anns], dtype=np.float64).reshape(-1, 4),
                            area=np.array([a["area"] for a in anns], dtype=np.float64),
                            iscrowd=np.array([bool(a["iscrowd"]) for a in anns]))
    return dets, gts, len(cls)


@pytest.mark.parametrize("seed", range(12))
def test_sparse_matching_equals_the_rank_by_rank_walk(seed, monkeypatch):
    dets, gts, _ = as_arrays(*random_coco(seed))
    for pooled, max_det in ((False, 100), (False, 3), (True, 100)):
        fast = match(dets, gts, max_det=max_det, pooled=pooled)
        with monkeypatch.context() as m:
            m.setattr(coco_matching, "greedy_match_sparse", coco_matching.greedy_match)
            walked = match(dets, gts, max_det=max_det, pooled=pooled)
        assert len(fast.candidate) > 0
        assert np.array_equal(fast.candidate_gt, walked.candidate_gt), (seed, pooled, max_det)
        assert np.array_equal(fast.candidate_ignored, walked.candidate_ignored)


@pytest.mark.parametrize("seed", range(8))
def test_matching_and_accumulate_equal_pycocotools_bit_for_bit(seed):
    gt, results = random_coco(seed)
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        ev = COCOeval(coco_gt, coco_gt.loadRes(copy.deepcopy(results)), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    dets, gts, num_classes = as_arrays(gt, results)
    acc = accumulate(match(dets, gts, max_det=100), dets, gts.category, num_classes)
    assert np.array_equal(acc.precision, ev.eval["precision"])
    assert np.array_equal(acc.recall, ev.eval["recall"])
    assert np.array_equal(acc.scores, ev.eval["scores"])
    assert list(summarize(acc).values()) == list(ev.stats)


@pytest.mark.parametrize("seed", range(3))
def test_a_higher_score_threshold_is_cut_from_a_lower_ones_candidates_and_nms(seed):
    """A score move after another: the candidates and each image's NMS come from the lower threshold's (the images
    whose coordinate-trick offsets changed run the kernel), equal to computing them from scratch."""
    batch = random_batch(seed, big=1)
    for low, high in ((0.0, 0.3), (0.3, 0.5), (0.5, 0.9)):
        for nms in (0.5, 0.3):
            settings = bp.BoxSettings(score_thresh=low, nms_thresh=nms, detections_per_img=100)
            bp.batch_select_detections(batch, settings)
        cut = bp._filtered_at(batch, high)
        assert cut.parent is not None
        plain = bp._filtered(batch, high)
        for name in ("inds", "boxes", "scores", "labels", "image", "shifted", "image_max"):
            assert torch.equal(getattr(cut, name), getattr(plain, name)), name
        for nms in (0.5, 0.3):
            fresh = bp._filtered_at(batch, high)
            keep, rank = bp._nms_at(batch, fresh, nms)
            assert np.array_equal(keep.numpy(), torchvision_nms(plain, nms)), (seed, low, high, nms)
            want = bp._nms_per_image(plain, nms)
            assert torch.equal(rank, want[1])
        dets = bp.batch_select_detections(batch, bp.BoxSettings(score_thresh=high, nms_thresh=0.5,
                                                                detections_per_img=7))
        assert dets.image.shape[0] > 0
