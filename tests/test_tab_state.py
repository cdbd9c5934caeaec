"""A tab keeps its own options in the session (ViewOptions.tab_state, a dataclass of the tab's module): the page's
shared state names no tab's controls, and another image drops only what names places on the last one."""
from __future__ import annotations

from pathlib import Path

import pytest

from app import handlers
from app.figures.ablations import TAB_ID, AblationOptions, ablation_options, ablation_view
from app.handlers import Lens
from app.session_cache import ViewOptions
from app.testing import make_lens

SAMPLES = Path(__file__).resolve().parents[1] / "sample_images"


@pytest.fixture(scope="module")
def lens() -> Lens:
    return make_lens()


def test_the_shared_view_options_name_no_ablation_control() -> None:
    assert not [name for name in ViewOptions.__dataclass_fields__ if name.startswith("ablation")]


def test_a_tab_state_starts_at_its_defaults_and_keeps_what_its_controls_set(lens: Lens) -> None:
    session = handlers.inspect_image(lens, "tab-state", str(SAMPLES / "shapes_02.png"), "demo")
    assert ablation_options(session) == AblationOptions()
    boxes = ((10.0, 10.0, 90.0, 80.0),)
    session = handlers.set_tab_state(lens, "tab-state", TAB_ID, AblationOptions, kind="boxes", boxes=boxes, seed=3)
    assert ablation_options(session) == AblationOptions(kind="boxes", seed=3, boxes=boxes)
    view = ablation_view(session)
    assert view.kind == "boxes" and view.boxes_text == "10, 10, 90, 80"


def test_another_image_keeps_the_chosen_ablation_and_drops_the_drawn_boxes(lens: Lens) -> None:
    handlers.inspect_image(lens, "new-image", str(SAMPLES / "shapes_02.png"), "demo")
    handlers.set_tab_state(lens, "new-image", TAB_ID, AblationOptions, kind="no_cls", seed=5,
                           boxes=((1.0, 2.0, 30.0, 40.0),), pending=(4.0, 5.0))
    session = handlers.inspect_image(lens, "new-image", str(SAMPLES / "shapes_04.png"), "demo")
    assert ablation_options(session) == AblationOptions(kind="no_cls", seed=5)
