"""Seeded synthetic "shapes" scenes for RCNN Lens' demo detector.

Two renderers / styles are provided:

* ``style="train"`` (also used for the in-distribution held-out set): PIL rendering with or without
  anti-aliasing (super-sampling), solid / gradient / textured fills, outlines, hollow shapes, procedural
  backgrounds (flat + noise, linear / radial gradients, low-frequency "clouds", stripes / checkers / grids),
  distractor lines, then noise, blur, JPEG and colour jitter.
* ``style="ood"`` (out-of-distribution eval): shapes rasterised with ``skimage.draw`` (``polygon``,
  ``ellipse``, hard aliased edges, ``draw.line`` outlines), backgrounds drawn
  from families the training set never sees (crops of photographs and textures bundled with scikit-image,
  salt-and-pepper / speckle noise fields), distractor curves (Bezier) and circles outlines, a different
  post-processing chain (strong JPEG, box blur, gamma).

Classes (COCO category ids 1..3): circle (ellipses too), rectangle (elongated/rotated too), triangle.
Every scene is a pure function of ``(seed, index, style, size)``.

CLI::

    python -m inspectors.dataset.scenes --out DIR --num 8 --seed 7 --style train --size 384

writes ``DIR/images/*.png`` and ``DIR/annotations.json`` (COCO format, bbox = [x, y, w, h]).
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from pycocotools import mask as mask_utils

CLASSES = ["circle", "rectangle", "triangle"]
CATEGORIES = ["__background__"] + CLASSES  # label id = index

MIN_SIZE = 12.0
MAX_SIZE = 250.0
MIN_VISIBLE = 0.6  # every object keeps >= 60 % of its area visible after later shapes are drawn on top

_STYLE_TAG = {"train": 0, "val": 1, "ood": 2, "sample": 3}


@dataclass
class SceneObject:
    label: int  # 1..3
    polygon: np.ndarray  # (N, 2) float xy, image pixels
    bbox: tuple[float, float, float, float]  # (x1, y1, x2, y2), clipped to the image
    area: float = 0.0  # visible pixel area


@dataclass
class Scene:
    image: Image.Image
    objects: list[SceneObject] = field(default_factory=list)
    # (H, W) int32: the index of the object that owns each pixel (the top-most one drawn there), -1 for background
    owner: Optional[np.ndarray] = None

    @property
    def masks(self) -> np.ndarray:
        """(N, H, W) bool: each object's visible pixels (what an instance-segmentation annotation marks)."""
        w, h = self.image.size
        if self.owner is None:
            return np.zeros((len(self.objects), h, w), bool)
        return self.owner[None] == np.arange(len(self.objects), dtype=np.int32)[:, None, None]

    @property
    def boxes(self) -> np.ndarray:
        return np.array([o.bbox for o in self.objects], dtype=np.float32).reshape(-1, 4)

    @property
    def labels(self) -> np.ndarray:
        return np.array([o.label for o in self.objects], dtype=np.int64)


def rng_for(seed: int, index: int, style: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), _STYLE_TAG[style], int(index)]))


# --------------------------------------------------------------------------------------------- geometry
def _rot(pts: np.ndarray, ang: float) -> np.ndarray:
    c, s = math.cos(ang), math.sin(ang)
    return pts @ np.array([[c, s], [-s, c]])


def _triangle_unit(rng: np.random.Generator) -> np.ndarray:
    kind = rng.choice(["equilateral", "isosceles", "right", "scalene"], p=[0.2, 0.3, 0.2, 0.3])
    if kind == "equilateral":
        pts = np.array([[0, 1], [-0.866, -0.5], [0.866, -0.5]])
    elif kind == "isosceles":
        pts = np.array([[0.0, 1.0], [-0.5, 0.0], [0.5, 0.0]])
    elif kind == "right":
        pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    else:
        while True:
            pts = rng.uniform(-1, 1, size=(3, 2))
            a, b, c = pts
            ang = []
            for p, q, r in ((a, b, c), (b, c, a), (c, a, b)):
                u, v = q - p, r - p
                cosv = np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-9)
                ang.append(math.degrees(math.acos(np.clip(cosv, -1, 1))))
            if min(ang) >= 22:
                break
    return np.asarray(pts, dtype=np.float64)


def _shape_polygon(rng: np.random.Generator, label: int, size: float, aspect: float) -> np.ndarray:
    """Polygon centred at 0 whose (rotated) bounding box has longest side == size."""
    rotate = rng.random() < 0.5
    if label == 1:  # circle / ellipse
        if rng.random() < 0.4:
            aspect = 1.0
        t = np.linspace(0, 2 * math.pi, 96, endpoint=False)
        pts = np.stack([np.cos(t) * aspect, np.sin(t)], 1)
    elif label == 2:  # rectangle
        if rng.random() < 0.2:
            aspect = 1.0
        pts = np.array([[-aspect, -1], [aspect, -1], [aspect, 1], [-aspect, 1]], dtype=np.float64)
    else:  # triangle
        pts = _triangle_unit(rng)
        pts = pts - pts.mean(0)
        pts[:, 0] *= aspect
        rotate = rng.random() < 0.7
    if rotate:
        pts = _rot(pts, rng.uniform(0, 2 * math.pi))
    elif label == 3 and rng.random() < 0.5:
        pts[:, 1] = -pts[:, 1]
    ext = pts.max(0) - pts.min(0)
    pts = pts * (size / max(ext.max(), 1e-6))
    return pts - (pts.max(0) + pts.min(0)) / 2


def _sample_size(rng: np.random.Generator, size_scale: float) -> float:
    # log-uniform in [12, 250] (scaled for smaller images), slightly favouring small/medium objects
    lo, hi = MIN_SIZE * size_scale, MAX_SIZE * size_scale
    lo = max(lo, 8.0)
    u = rng.random() ** 1.15
    return float(math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))))


# --------------------------------------------------------------------------------------------- colours
def _rand_color(rng: np.random.Generator) -> np.ndarray:
    mode = rng.random()
    if mode < 0.6:  # saturated HSV colour
        h, s, v = rng.random(), rng.uniform(0.35, 1.0), rng.uniform(0.35, 1.0)
        i = int(h * 6) % 6
        f = h * 6 - int(h * 6)
        p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
        rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
        return np.array(rgb) * 255
    if mode < 0.8:  # grey
        return np.full(3, rng.uniform(0, 255))
    return rng.uniform(0, 255, size=3)


def _contrasting_color(rng: np.random.Generator, under_mean: np.ndarray, min_dist: float = 70.0) -> np.ndarray:
    """The first of up to 12 random colours at least `min_dist` from `under_mean`, else the farthest (the first
    of equals)."""
    tried: list[tuple[float, np.ndarray]] = []
    for _ in range(12):
        c = _rand_color(rng)
        d = float(np.linalg.norm(c - under_mean))
        if d >= min_dist:
            return c
        tried.append((d, c))
    return max(tried, key=lambda dc: dc[0])[1]


# --------------------------------------------------------------------------------------------- backgrounds
def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    small = rng.random((cells, cells)).astype(np.float32)
    img = Image.fromarray((small * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 255.0


def _background_train(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    kind = rng.choice(["flat", "linear", "radial", "clouds", "pattern", "clouds2"],
                      p=[0.15, 0.2, 0.12, 0.23, 0.15, 0.15])
    c1, c2 = _rand_color(rng), _rand_color(rng)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t: np.ndarray  # (h, w) float32 in [0, 1]: how much of c2
    if kind == "flat":
        t = np.zeros((h, w), np.float32)
    elif kind == "linear":
        a = rng.uniform(0, 2 * math.pi)
        t = (xx * math.cos(a) + yy * math.sin(a))
        t = (t - t.min()) / (t.max() - t.min() + 1e-6)
    elif kind == "radial":
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        t = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
        t = t / (t.max() + 1e-6)
    elif kind == "clouds":
        t = _smooth_noise(rng, h, w, int(rng.integers(3, 12)))
    elif kind == "clouds2":
        t = sum((_smooth_noise(rng, h, w, c) * wgt for c, wgt in ((4, 0.5), (12, 0.3), (40, 0.2))),
                np.zeros((h, w), np.float32))
    else:
        period = rng.uniform(6, 60)
        a = rng.uniform(0, math.pi)
        sub = rng.choice(["stripes", "checker", "grid"])
        u = xx * math.cos(a) + yy * math.sin(a)
        v = -xx * math.sin(a) + yy * math.cos(a)
        if sub == "stripes":
            t = (np.sin(u / period * 2 * math.pi) > 0).astype(np.float32)
        elif sub == "checker":
            t = ((np.floor(u / period) + np.floor(v / period)) % 2).astype(np.float32)
        else:
            lw = rng.uniform(1, 3)
            t = (((u % period) < lw) | ((v % period) < lw)).astype(np.float32)
        # low-contrast patterns most of the time
        c2 = c1 + (c2 - c1) * rng.uniform(0.15, 0.6)
    img = c1[None, None, :] * (1 - t[..., None]) + c2[None, None, :] * t[..., None]
    if rng.random() < 0.6:
        img = img + rng.normal(0, rng.uniform(2, 18), size=img.shape)
    return np.clip(img, 0, 255).astype(np.float32)


def _clutter(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    kind = rng.choice(["blobs", "fractal", "scribbles"], p=[0.5, 0.25, 0.25])
    if kind == "fractal":
        t = np.zeros((h, w, 3), np.float32)
        for k, cells in enumerate((3, 6, 12, 24, 48, 96)):
            wgt = 1.0 / (k + 1) ** rng.uniform(0.5, 1.5)
            t += np.stack([_smooth_noise(rng, h, w, cells) for _ in range(3)], -1) * wgt
        t = (t - t.min()) / (t.max() - t.min() + 1e-6)
        a = rng.uniform(0.4, 1.0)
        return img * (1 - a) + a * 255 * t
    if kind == "blobs":
        for _ in range(int(rng.integers(1, 4))):
            field = _smooth_noise(rng, h, w, int(rng.integers(5, 20)))
            lo = rng.uniform(0.55, 0.8)
            m: np.ndarray = (field > lo).astype(np.float32)
            if rng.random() < 0.5:
                m = np.asarray(Image.fromarray((m * 255).astype(np.uint8)).filter(
                    ImageFilter.GaussianBlur(rng.uniform(0.5, 3))), np.float32) / 255
            col = _rand_color(rng)
            a = rng.uniform(0.5, 1.0)
            img = img * (1 - a * m[..., None]) + a * m[..., None] * col
        return img
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(pil)
    for _ in range(int(rng.integers(2, 7))):
        pts = [tuple(rng.uniform(0, [w, h]))]
        for _ in range(int(rng.integers(4, 12))):
            pts.append(tuple(np.clip(np.array(pts[-1]) + rng.normal(0, 40, 2), 0, [w, h])))
        d.line(pts, fill=tuple(int(c) for c in _rand_color(rng)), width=int(rng.integers(3, 14)), joint="curve")
    return np.asarray(pil, dtype=np.float32)


def _draw_distractor_lines(rng: np.random.Generator, img: np.ndarray, n: int) -> np.ndarray:
    h, w = img.shape[:2]
    pil = Image.fromarray(img.astype(np.uint8))
    d = ImageDraw.Draw(pil)
    for _ in range(n):
        col = tuple(int(c) for c in _rand_color(rng))
        wid = int(rng.integers(1, 4))
        if rng.random() < 0.6:
            d.line([tuple(rng.uniform(0, [w, h])), tuple(rng.uniform(0, [w, h]))], fill=col, width=wid)
        else:  # polyline / zig-zag
            pts = [tuple(rng.uniform(0, [w, h]))]
            for _ in range(int(rng.integers(2, 5))):
                pts.append(tuple(np.clip(np.array(pts[-1]) + rng.normal(0, 60, 2), 0, [w, h])))
            d.line(pts, fill=col, width=wid)
    return np.asarray(pil, dtype=np.float32)


# --------------------------------------------------------------------------------------------- rasterisers
def _mask_pil(poly: np.ndarray, h: int, w: int, ss: int, outline: int = 0) -> np.ndarray:
    """Coverage in [0,1] at (h, w); ss>1 = anti-aliased by super-sampling. outline>0 -> ring of that width."""
    m = Image.new("L", (w * ss, h * ss), 0)
    d = ImageDraw.Draw(m)
    pts = [(float(x) * ss, float(y) * ss) for x, y in poly]
    if outline <= 0:
        d.polygon(pts, fill=255)
    else:
        d.polygon(pts, fill=0, outline=255, width=max(1, outline * ss))
    if ss > 1:
        m = m.resize((w, h), Image.Resampling.BOX)
    return np.asarray(m, dtype=np.float32) / 255.0


def _mask_skimage(poly: np.ndarray, h: int, w: int, label: int, params: Optional[_EllipseParams]) -> np.ndarray:
    from skimage import draw

    m = np.zeros((h, w), np.float32)
    if label == 1 and params is not None:
        cx, cy, rx, ry, rot = params
        rr, cc = draw.ellipse(cy, cx, ry, rx, shape=(h, w), rotation=rot)
    else:
        rr, cc = draw.polygon(poly[:, 1], poly[:, 0], shape=(h, w))
    m[rr, cc] = 1.0
    return m


def _fill_texture(rng: np.random.Generator, h: int, w: int, color: np.ndarray, under_mean: np.ndarray) -> np.ndarray:
    kind = rng.choice(["solid", "gradient", "noise", "stripes"], p=[0.55, 0.2, 0.15, 0.1])
    base = np.broadcast_to(color, (h, w, 3)).astype(np.float32)
    if kind == "solid":
        return base
    c2 = np.clip(color + rng.normal(0, 45, 3), 0, 255)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "gradient":
        a = rng.uniform(0, 2 * math.pi)
        t = xx * math.cos(a) + yy * math.sin(a)
        t = (t - t.min()) / (t.max() - t.min() + 1e-6)
    elif kind == "noise":
        t = _smooth_noise(rng, h, w, int(rng.integers(4, 20)))
    else:
        period = rng.uniform(4, 16)
        a = rng.uniform(0, math.pi)
        t = (np.sin((xx * math.cos(a) + yy * math.sin(a)) / period * 2 * math.pi) > 0).astype(np.float32) * 0.6
    return base * (1 - t[..., None]) + c2[None, None, :] * t[..., None]


# --------------------------------------------------------------------------------------------- scene
def make_scene(seed: int, index: int, style: str = "train", size: int = 384,
               n_min: int = 2, n_max: int = 10, clutter: float = 0.0) -> Scene:
    """Render scene ``index`` of the dataset ``(seed, style)``; returns image + objects (amodal boxes).

    ``clutter`` (train renderer only): probability of adding non-shape clutter under the shapes (amoeba-like
    blobs from thresholded noise, 1/f "fractal" colour texture, thick scribbles), so the detector learns that
    not every blob is an object. With ``clutter=0`` no extra random numbers are drawn (the stream is unchanged).
    """
    rng = rng_for(seed, index, style)
    ood = style == "ood"
    if isinstance(size, (tuple, list)):
        h, w = int(size[0]), int(size[1])
    else:
        h = w = int(size)
        if style == "train" and rng.random() < 0.3:  # non-square images now and then
            if rng.random() < 0.5:
                w = int(size * rng.uniform(0.75, 1.33))
            else:
                h = int(size * rng.uniform(0.75, 1.33))
    size_scale = min(h, w) / 384.0
    img = _background_ood(rng, h, w) if ood else _background_train(rng, h, w)
    if not ood and clutter > 0 and rng.random() < clutter:
        img = _clutter(rng, img)
    n_lines = int(rng.integers(0, 6))
    if n_lines and not ood:
        img = _draw_distractor_lines(rng, img, n_lines)
    if ood:
        img = _ood_distractors(rng, img, int(rng.integers(1, 5)))

    n = int(rng.integers(n_min, n_max + 1))
    aa = (not ood) and rng.random() < 0.6  # anti-aliased scene?
    ss = 4 if aa else 1
    # occupancy: id map of the top-most object per pixel (mask > 0.5)
    owner = np.full((h, w), -1, np.int32)
    full_area: list[float] = []
    objects: list[SceneObject] = []
    for _ in range(n):
        for _try in range(30):
            label = int(rng.integers(1, 4))
            s = _sample_size(rng, size_scale)
            aspect = float(math.exp(rng.uniform(math.log(1 / 3), math.log(3))))
            poly = _shape_polygon(rng, label, s, aspect)
            ext = poly.max(0) - poly.min(0)
            if ext[0] > w - 2 or ext[1] > h - 2 or min(ext) < 6:
                continue
            ar = ext.max() / max(ext.min(), 1e-6)
            if ar > 3.3:
                continue
            cx = rng.uniform(-poly[:, 0].min() + 1, w - 1 - poly[:, 0].max())
            cy = rng.uniform(-poly[:, 1].min() + 1, h - 1 - poly[:, 1].max())
            pts = poly + np.array([cx, cy])
            ell = None
            if ood and label == 1:
                # skimage.draw.ellipse directly from parameters (a different rasteriser than a polygon)
                ell = _ellipse_params_from_poly(pts)
                m = _mask_skimage(pts, h, w, label, ell)
            elif ood:
                m = _mask_skimage(pts, h, w, label, None)
            else:
                m = _mask_pil(pts, h, w, ss)
            inside = m > 0.5
            area = float(inside.sum())
            if area < 30:
                continue
            # visibility check: existing objects must keep >= MIN_VISIBLE of their area
            covered = owner[inside]
            ok = True
            if covered.size and (covered >= 0).any():
                ids, counts = np.unique(covered[covered >= 0], return_counts=True)
                for oid, cnt in zip(ids, counts):
                    vis_now = float((owner == oid).sum())
                    if (vis_now - cnt) < MIN_VISIBLE * full_area[oid]:
                        ok = False
                        break
            if not ok:
                continue
            # render
            ys, xs = np.nonzero(inside)
            under = img[ys, xs].mean(0)
            color = _contrasting_color(rng, under, 60.0 if ood else 70.0)
            y0, y1 = max(int(ys.min()) - 2, 0), min(int(ys.max()) + 3, h)
            x0, x1 = max(int(xs.min()) - 2, 0), min(int(xs.max()) + 3, w)
            sub = img[y0:y1, x0:x1]
            a = m[y0:y1, x0:x1, None]
            hollow = False
            if ood:
                fill: np.ndarray = np.broadcast_to(color, sub.shape).astype(np.float32)
                if rng.random() < 0.3:
                    fill = fill + rng.normal(0, 20, size=sub.shape)
                sub[:] = sub * (1 - a) + fill * a
                if rng.random() < 0.25 and s > 20:  # skimage perimeter outline
                    from skimage import draw
                    q = np.round(pts).astype(int)
                    for j in range(len(q)):
                        (xa, ya), (xb, yb) = q[j], q[(j + 1) % len(q)]
                        rr, cc = draw.line(ya, xa, yb, xb)
                        keep = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
                        img[rr[keep], cc[keep]] = np.clip(color * 0.4, 0, 255)
            else:
                hollow = rng.random() < 0.08 and s > 24
                if hollow:
                    lw = int(rng.integers(2, max(3, int(s / 10)) + 1))
                    ring = _mask_pil(pts, h, w, ss, outline=lw)[y0:y1, x0:x1, None]
                    sub[:] = sub * (1 - ring) + color[None, None, :] * ring
                else:
                    fill = _fill_texture(rng, y1 - y0, x1 - x0, color, under)
                    sub[:] = sub * (1 - a) + fill * a
                    if rng.random() < 0.3:
                        lw = int(rng.integers(1, 4))
                        oc = _contrasting_color(rng, color, 60)
                        ring = _mask_pil(pts, h, w, ss, outline=lw)[y0:y1, x0:x1, None]
                        sub[:] = sub * (1 - ring) + oc[None, None, :] * ring
            owner[inside] = len(objects)
            full_area.append(area)
            bx = (float(max(pts[:, 0].min(), 0)), float(max(pts[:, 1].min(), 0)),
                  float(min(pts[:, 0].max(), w)), float(min(pts[:, 1].max(), h)))
            objects.append(SceneObject(label=label, polygon=pts, bbox=bx, area=area))
            break
    # a few distractor lines on top sometimes (they cross objects but never hide them)
    if not ood and rng.random() < 0.25:
        img = _draw_distractor_lines(rng, img, int(rng.integers(1, 3)))
    image = _postprocess_ood(rng, img) if ood else _postprocess_train(rng, img)
    for k, o in enumerate(objects):
        o.area = float((owner == k).sum())
    return Scene(image=image, objects=objects, owner=owner)


_EllipseParams = tuple[float, float, float, float, float]  # cx, cy, rx, ry, rotation (radians)


def _ellipse_params_from_poly(pts: np.ndarray) -> _EllipseParams:
    c = pts.mean(0)
    cov = np.cov((pts - c).T)
    evals, evecs = np.linalg.eigh(cov)
    # for points uniformly spaced in angle on an ellipse, var along an axis = r^2 / 2
    ry, rx = math.sqrt(2 * evals[0]), math.sqrt(2 * evals[1])
    v = evecs[:, 1]
    rot = -math.atan2(v[1], v[0])
    return float(c[0]), float(c[1]), rx, ry, rot


def _postprocess_train(rng: np.random.Generator, img: np.ndarray) -> Image.Image:
    # colour jitter: contrast/brightness, channel gains
    if rng.random() < 0.5:
        img = (img - 128) * rng.uniform(0.75, 1.25) + 128 + rng.uniform(-25, 25)
    if rng.random() < 0.2:
        img = img * rng.uniform(0.85, 1.15, size=3)
    if rng.random() < 0.45:
        img = img + rng.normal(0, rng.uniform(2, 14), size=img.shape)
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    if rng.random() < 0.1:
        pil = pil.convert("L").convert("RGB")
    if rng.random() < 0.3:
        pil = pil.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.6)))
    if rng.random() < 0.3:
        buf = io.BytesIO()
        pil.save(buf, format="JPEG", quality=int(rng.integers(25, 90)))
        pil = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return pil


# --------------------------------------------------------------------------------------------- OOD pieces
_PHOTO_CACHE: dict[str, np.ndarray] = {}


def _skimage_photo(name: str) -> np.ndarray:
    if name not in _PHOTO_CACHE:
        import skimage.io
        from skimage import data as skdata

        path = os.path.join(os.path.dirname(skdata.__file__), name)
        a = skimage.io.imread(path)
        if a.ndim == 2:
            a = np.stack([a] * 3, -1)
        _PHOTO_CACHE[name] = a[..., :3].astype(np.float32)
    return _PHOTO_CACHE[name]


# textures + photographs bundled inside scikit-image (no download needed); never used for training
OOD_BACKGROUNDS = ["brick.png", "grass.png", "gravel.png", "camera.png", "coffee.png", "astronaut.png",
                   "chelsea.png", "moon.png", "page.png", "text.png", "hubble_deep_field.jpg", "rocket.jpg"]


def _background_ood(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    kind = rng.choice(["photo", "speckle", "saltpepper"], p=[0.7, 0.15, 0.15])
    if kind == "photo":
        a = _skimage_photo(str(rng.choice(OOD_BACKGROUNDS)))
        H, W = a.shape[:2]
        scale = max(h / H, w / W) * rng.uniform(1.0, 1.6)
        pil = Image.fromarray(a.astype(np.uint8)).resize((max(w, int(W * scale)), max(h, int(H * scale))),
                                                         Image.Resampling.BILINEAR)
        a = np.asarray(pil, dtype=np.float32)
        y = int(rng.integers(0, a.shape[0] - h + 1))
        x = int(rng.integers(0, a.shape[1] - w + 1))
        return a[y:y + h, x:x + w].copy()
    base = _rand_color(rng)
    if kind == "speckle":
        img = base[None, None, :] * (1 + rng.normal(0, 0.25, size=(h, w, 1)))
    else:
        img = np.broadcast_to(base, (h, w, 3)).copy()
        r = rng.random((h, w))
        img[r < 0.04] = 0
        img[r > 0.96] = 255
    return np.clip(img, 0, 255).astype(np.float32)


def _ood_distractors(rng: np.random.Generator, img: np.ndarray, n: int) -> np.ndarray:
    from skimage import draw

    h, w = img.shape[:2]
    for _ in range(n):
        col = _rand_color(rng)
        if rng.random() < 0.5:  # Bezier curve
            p = rng.uniform(0, [h, w], size=(3, 2)).astype(int)
            rr, cc = draw.bezier_curve(p[0, 0], p[0, 1], p[1, 0], p[1, 1], p[2, 0], p[2, 1],
                                       weight=float(rng.uniform(0.5, 3)), shape=(h, w))
        else:  # anti-aliased line
            p = rng.uniform(0, [h, w], size=(2, 2)).astype(int)
            rr, cc, val = draw.line_aa(p[0, 0], p[0, 1], p[1, 0], p[1, 1])
            keep = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
            rr, cc = rr[keep], cc[keep]
        img[rr, cc] = col
    return img


def _postprocess_ood(rng: np.random.Generator, img: np.ndarray) -> Image.Image:
    if rng.random() < 0.4:  # gamma
        img = 255.0 * (np.clip(img, 0, 255) / 255.0) ** rng.uniform(0.6, 1.6)
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    if rng.random() < 0.4:
        pil = pil.filter(ImageFilter.BoxBlur(float(rng.uniform(0.5, 1.5))))
    if rng.random() < 0.5:
        buf = io.BytesIO()
        pil.save(buf, format="JPEG", quality=int(rng.integers(15, 60)))
        pil = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return pil


# --------------------------------------------------------------------------------------------- COCO export
def coco_dict(scenes: list[Scene], file_names: list[str]) -> dict[str, Any]:
    """COCO annotations: boxes, and as `segmentation` each object's visible pixels as compressed RLE."""
    images, anns = [], []
    aid = 1
    for i, (sc, fn) in enumerate(zip(scenes, file_names), start=1):
        w, h = sc.image.size
        images.append({"id": i, "file_name": fn, "width": w, "height": h})
        masks = sc.masks
        for k, o in enumerate(sc.objects):
            x1, y1, x2, y2 = o.bbox
            rle = mask_utils.encode(np.asfortranarray(masks[k].astype(np.uint8)))
            anns.append({"id": aid, "image_id": i, "category_id": int(o.label),
                         "bbox": [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
                         "area": round((x2 - x1) * (y2 - y1), 2), "iscrowd": 0,
                         "segmentation": {"size": [int(h), int(w)], "counts": rle["counts"].decode("ascii")}})
            aid += 1
    cats = [{"id": i, "name": n, "supercategory": "shape"} for i, n in enumerate(CLASSES, start=1)]
    return {"info": {"description": "RCNN Lens synthetic shapes"}, "images": images, "annotations": anns,
            "categories": cats}


def write_dataset(out_dir: str, num: int, seed: int, style: str = "val", size: int = 384,
                  prefix: str = "scene", start: int = 0) -> str:
    os.makedirs(os.path.join(out_dir, "images"), exist_ok=True)
    scenes, names = [], []
    for i in range(start, start + num):
        sc = make_scene(seed, i, style, size)
        fn = f"{prefix}_{i:05d}.png"
        sc.image.save(os.path.join(out_dir, "images", fn))
        scenes.append(sc)
        names.append(fn)
    path = os.path.join(out_dir, "annotations.json")
    with open(path, "w") as f:
        json.dump(coco_dict(scenes, names), f)
    return path


def main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--num", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--style", choices=list(_STYLE_TAG), default="val")
    ap.add_argument("--size", type=int, default=384)
    ap.add_argument("--start", type=int, default=0)
    a = ap.parse_args(argv)
    p = write_dataset(a.out, a.num, a.seed, a.style, a.size, start=a.start)
    print(p)


if __name__ == "__main__":
    main()
