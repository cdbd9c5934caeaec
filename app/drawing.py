"""Server-side drawing with PIL: boxes, labels, heatmap overlays.

Gradio's AnnotatedImage is far too slow for hundreds of boxes, so every box view is one RGB image drawn here.
Images are drawn at a display size (long side <= MAX_DISPLAY_SIDE); `display_scale` maps original pixels to it.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

MAX_DISPLAY_SIDE = 960
Color = tuple[int, int, int]

# Colour-blind-friendly, projector-safe (Okabe–Ito plus two), one per FPN level / class.
PALETTE: tuple[Color, ...] = (
    (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178),
    (213, 94, 0), (204, 121, 167), (255, 255, 255), (148, 103, 189), (140, 86, 75),
)

# A compact "inferno"-like colormap: dark for 0, bright yellow for 1 (readable on a projector).
_CMAP_STOPS = np.array([
    [0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21], [250, 193, 39],
    [252, 255, 164],
], dtype=np.float32)


def color_for(index: int) -> Color:
    return PALETTE[int(index) % len(PALETTE)]


def hex_color(color: Color) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


@lru_cache(maxsize=8)
def font(size: int) -> ImageFont.ImageFont:
    # A CJK font first when installed, so that Korean class names in a labels file draw as text, not boxes.
    candidates = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
                  "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
                  "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "DejaVuSans-Bold.ttf")
    for path in candidates:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def display_scale(height: int, width: int, max_side: int = MAX_DISPLAY_SIDE) -> float:
    """Factor from original pixels to the drawn image: fit the long side to `max_side`, enlarging small images
    at most 2x so that thin boxes and labels stay readable on a projector."""
    return min(max_side / max(height, width, 1), 2.0)


def to_display(image: np.ndarray, max_side: int = MAX_DISPLAY_SIDE) -> tuple[Image.Image, float]:
    scale = display_scale(image.shape[0], image.shape[1], max_side)
    pil = Image.fromarray(np.ascontiguousarray(image[..., :3]).astype(np.uint8), "RGB")
    if scale != 1.0:
        pil = pil.resize((max(1, round(pil.width * scale)), max(1, round(pil.height * scale))), Image.BILINEAR)
    return pil, scale


def colormap(values: np.ndarray, vmin: float | None = None, vmax: float | None = None) -> np.ndarray:
    """Map a 2-D float array to RGB uint8 with the inferno-like stops (normalized to [vmin, vmax])."""
    values = np.asarray(values, dtype=np.float32)
    lo = float(np.nanmin(values)) if vmin is None else vmin
    hi = float(np.nanmax(values)) if vmax is None else vmax
    norm = np.clip((values - lo) / (hi - lo if hi > lo else 1.0), 0.0, 1.0)
    pos = norm * (len(_CMAP_STOPS) - 1)
    low = np.floor(pos).astype(int).clip(0, len(_CMAP_STOPS) - 2)
    frac = (pos - low)[..., None]
    rgb = _CMAP_STOPS[low] * (1 - frac) + _CMAP_STOPS[low + 1] * frac
    return rgb.astype(np.uint8)


GROUND_TRUTH_COLOR: Color = (255, 255, 255)
MAX_LABELS = 10   # labelled boxes per picture (the strongest); the others are drawn without a label


def draw_boxes(
    image: np.ndarray,
    boxes: np.ndarray,
    colors: Sequence[Color] | Color,
    labels: Sequence[str] | None = None,
    width: int = 3,
    highlight: int | None = None,
    dim: float = 0.0,
    max_side: int = MAX_DISPLAY_SIDE,
    ground_truth: np.ndarray | None = None,
    max_labels: int = MAX_LABELS,
) -> np.ndarray:
    """Draw (N, 4) original-frame boxes onto the image; `highlight` gets a thick white outline drawn last.

    `dim` darkens the photo (0..1) so that many thin boxes stay visible. `ground_truth` boxes (original frame) are
    drawn dashed underneath, the convention for "what should be found". Labels: only the first `max_labels` boxes
    (callers pass boxes strongest first) and the highlighted one get one, and a label that would cover one already
    drawn is left out, so that the picture is not buried under its labels.
    """
    pil, scale = to_display(image, max_side)
    if dim > 0:
        pil = Image.blend(pil, Image.new("RGB", pil.size, (0, 0, 0)), dim)
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4) * scale
    per_box = [colors] * len(boxes) if isinstance(colors, tuple) else list(colors)
    draw = ImageDraw.Draw(pil)
    if ground_truth is not None:
        for box in np.asarray(ground_truth, dtype=np.float32).reshape(-1, 4) * scale:
            dashed_rectangle(draw, box, (0, 0, 0), width + 2)
            dashed_rectangle(draw, box, GROUND_TRUTH_COLOR, width)
    label_font = font(max(14, pil.width // 48))
    order = [i for i in range(len(boxes)) if i != highlight] + ([highlight] if highlight is not None
                                                                 and 0 <= highlight < len(boxes) else [])
    for i in order:
        x1, y1, x2, y2 = (float(v) for v in boxes[i])
        color = per_box[i]
        line = width
        if i == highlight:
            draw.rectangle((x1 - 2, y1 - 2, x2 + 2, y2 + 2), outline=(255, 255, 255), width=width + 4)
            line = width + 1
        draw.rectangle((x1, y1, x2, y2), outline=color, width=line)
    taken: list[tuple[float, float, float, float]] = []
    labelled = [i for i in range(min(len(boxes), max_labels))] + ([highlight] if highlight is not None and
                                                                  max_labels <= highlight < len(boxes) else [])
    for i in sorted(labelled, key=lambda i: i != highlight):   # the highlighted box's label first: never dropped
        if labels is not None and labels[i]:
            x1, y1 = float(boxes[i][0]), float(boxes[i][1])
            rect = _label_rect(draw, labels[i], x1, y1, label_font, pil.size)
            if any(rect[0] < o[2] and o[0] < rect[2] and rect[1] < o[3] and o[1] < rect[3] for o in taken):
                continue
            taken.append(rect)
            _draw_label(draw, labels[i], x1, y1, per_box[i], label_font, pil.size)
    return np.asarray(pil)


def _label_rect(draw: ImageDraw.ImageDraw, text: str, x: float, y: float, label_font: ImageFont.ImageFont,
                size: tuple[int, int]) -> tuple[float, float, float, float]:
    """Where _draw_label puts a label's background (display pixels)."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=label_font)
    w, h = right - left + 8, bottom - top + 6
    tx = min(max(0.0, x), size[0] - w)
    ty = y - h if y - h >= 0 else y
    return tx, ty, tx + w, ty + h


def dashed_rectangle(draw: ImageDraw.ImageDraw, box: Sequence[float], color: Color, width: int,
                     dash: float = 9.0, gap: float = 6.0) -> None:
    """A rectangle drawn with dashes (PIL has none)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    for (ax, ay), (bx, by) in (((x1, y1), (x2, y1)), ((x2, y1), (x2, y2)), ((x2, y2), (x1, y2)), ((x1, y2), (x1, y1))):
        length = max(abs(bx - ax), abs(by - ay))
        steps = max(1, int(length // (dash + gap)) + 1)
        for k in range(steps):
            start = k * (dash + gap) / max(length, 1e-6)
            end = min(1.0, (k * (dash + gap) + dash) / max(length, 1e-6))
            if start >= 1.0:
                break
            draw.line((ax + (bx - ax) * start, ay + (by - ay) * start, ax + (bx - ax) * end, ay + (by - ay) * end),
                      fill=color, width=width)


def _draw_label(draw: ImageDraw.ImageDraw, text: str, x: float, y: float, color: Color,
                label_font: ImageFont.ImageFont, size: tuple[int, int]) -> None:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=label_font)
    w, h = right - left + 8, bottom - top + 6
    tx = min(max(0.0, x), size[0] - w)
    ty = y - h if y - h >= 0 else y          # above the box, or inside it at the top edge
    draw.rectangle((tx, ty, tx + w, ty + h), fill=color)
    luminance = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]
    draw.text((tx + 4 - left, ty + 3 - top), text, fill=(0, 0, 0) if luminance > 140 else (255, 255, 255),
              font=label_font)


def draw_point(image: np.ndarray, x: float, y: float, radius: int = 7) -> np.ndarray:
    """A crosshair marker on an already-drawn display image (x, y in display pixels)."""
    pil = Image.fromarray(image)
    draw = ImageDraw.Draw(pil)
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), outline=(255, 255, 255), width=3)
    draw.line((x - 2 * radius, y, x + 2 * radius, y), fill=(255, 255, 255), width=2)
    draw.line((x, y - 2 * radius, x, y + 2 * radius), fill=(255, 255, 255), width=2)
    return np.asarray(pil)


def overlay_heatmap(image: np.ndarray, heat: np.ndarray, alpha: float = 0.55,
                    vmin: float | None = None, vmax: float | None = None,
                    cover: tuple[int, int] | None = None, max_side: int = MAX_DISPLAY_SIDE) -> np.ndarray:
    """Blend a colour-mapped 2-D map over the image.

    `cover` = (height, width) in original pixels that the map spans (a feature map covers the padded image, which
    extends past the original's right and bottom edges); the map is stretched to that and cropped to the image.
    """
    pil, scale = to_display(image, max_side)
    cover_h, cover_w = cover if cover is not None else image.shape[:2]
    colored = Image.fromarray(colormap(heat, vmin, vmax), "RGB")
    colored = colored.resize((max(1, round(cover_w * scale)), max(1, round(cover_h * scale))), Image.BILINEAR)
    canvas = Image.new("RGB", pil.size)
    canvas.paste(colored.crop((0, 0, pil.width, pil.height)), (0, 0))
    return np.asarray(Image.blend(pil, canvas, alpha))


def downsample(values: np.ndarray, max_side: int) -> np.ndarray:
    """Area-average a 2-D map so its long side is at most `max_side` (keeps Plotly payloads small)."""
    values = np.asarray(values, dtype=np.float32)
    h, w = values.shape
    if max(h, w) <= max_side:
        return values
    factor = max_side / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.asarray(Image.fromarray(values, "F").resize(size, Image.BOX), dtype=np.float32)
