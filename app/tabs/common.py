"""Small layout helpers shared by the tabs."""
from __future__ import annotations

from typing import Any, Sequence

import gradio as gr
import pandas as pd

from app.texts import bind, markdown


def explanation(key: str) -> gr.Markdown:
    """A longer explanation (folded away in the projector layout)."""
    return markdown(key, elem_classes=["lens-explain"])


def look_for(key: str) -> gr.Markdown:
    """The two lines a tab opens with: what to look for (kept in the projector layout)."""
    return markdown(key, elem_classes=["lens-look"])


def table(headers: Any, label_key: str | None = None, max_height: int = 420,
          column_widths: list[str] | None = None) -> gr.Dataframe:
    """A read-only table; `headers` is a function giving the column names in the current language."""
    texts: dict[str, Any] = {"headers": headers}
    if label_key:
        texts["label"] = label_key
    # wrap=True: Gradio's cells clip (…) without it; theme.CSS keeps words and numbers whole.
    return bind(gr.Dataframe, texts=texts, value=pd.DataFrame(columns=list(headers())), interactive=False,
                max_height=max_height, wrap=True, column_widths=column_widths, elem_classes=["lens-df"])


def frame(rows: list[list[Any]], headers: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(headers))


MAIN = "lens-main"   # the class of a tab's main picture: sized to the viewport (theme.CSS), checked by test_layout


def image_view(label: Any, height: int | None = 540, elem_id: str | None = None, main: bool = False) -> gr.Image:
    """A drawn (server-side) image: read-only, clickable through .select, downloadable. `label`: a string key (or
    anything app.texts.bind takes).

    JPEG because it encodes ~30x faster than WebP (2 ms vs 80 ms for 768²), which a slider update feels.
    `main`: the tab's main picture (no fixed height: its width follows the viewport, see theme.CSS).
    """
    return bind(gr.Image, texts={"label": label}, type="numpy", interactive=False, height=None if main else height,
                format="jpeg", buttons=["download", "fullscreen"], elem_id=elem_id,
                elem_classes=[MAIN, "lens-main-image"] if main else None)
