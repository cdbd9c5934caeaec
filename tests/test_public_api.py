"""The engine's public API is a contract: notebooks and checks outside this repo call these names.

tests/data/public_api.tsv lists every name `inspectors` exported, and every public method of Trace and Replay, with
its signature as it was before the engine moved into packages by stage. Each must still exist and take the same
parameters (names, kinds, defaults; annotations may be spelled differently). New optional keyword-only parameters
may be added after the old ones. The README's "The engine, from Python" examples run as written.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import inspectors
from inspectors import Replay, Trace

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = [line.rstrip("\n").split("\t") for line in (ROOT / "tests/data/public_api.tsv").read_text().splitlines()]
# Replay's back reference became a public field (`r.trace`) when the teaching modules stopped reading `r._trace`.
RENAMED = {("Replay", "_trace"): "trace"}
# Results about one anchor now hold its one position type (`.anchor`, an AnchorPosition): the engine builds them,
# people read them, so what must not change is what can be read — every old field is still an attribute.
READ_BY_ATTRIBUTE = {"AnchorHit", "AnchorInfo", "DatasetMetrics"}  # DatasetMetrics: per_image on first read


def _parameters(text: str) -> list[tuple[str, str, bool]]:
    """(name, kind, has a default) of each parameter of a signature printed by inspect, annotations dropped."""
    inner = text[text.index("(") + 1 : text.rindex(")")]
    out, depth, current = [], 0, ""
    for ch in inner + ",":
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            if current.strip():
                out.append(current.strip())
            current = ""
        else:
            current += ch
    params = []
    for p in out:
        if p in ("*", "/"):
            params.append((p, "marker", False))
            continue
        name = re.split(r"[:=]", p, maxsplit=1)[0].strip()
        kind = "var" if name.startswith("*") else "plain"
        params.append((name.lstrip("*"), kind, "=" in p))
    return params


def _signature(obj: object) -> list[tuple[str, str, bool]]:
    return _parameters(str(inspect.signature(obj)))  # type: ignore[arg-type]


def _same_parameters(old: list, new: list, *, method: bool, owner: str = "") -> None:
    if method:  # `self` became the analysis' first argument (`trace`, `replay`)
        old, new = old[1:], new[1:]
    old = [(RENAMED.get((owner, n), n), k, d) for n, k, d in old]
    if old and old[-1][1] == "var" and new and new[-1] == old[-1] and "*" in [n for n, _, _ in old]:
        # A keyword-only parameter with a default may join before a trailing **kwargs: no call changes meaning.
        old, new = old[:-1], new[:-1]
    assert new[: len(old)] == old
    for name, kind, has_default in new[len(old):]:  # only optional additions
        assert kind == "var" or has_default, f"new required parameter {name!r}"


@pytest.mark.parametrize("name,kind,signature", [row for row in CONTRACT if "." not in row[0]],
                         ids=[row[0] for row in CONTRACT if "." not in row[0]])
def test_every_exported_name_keeps_its_signature(name: str, kind: str, signature: str) -> None:
    assert name in inspectors.__all__
    obj = getattr(inspectors, name)
    if kind == "function":
        assert callable(obj) and not inspect.isclass(obj)
        _same_parameters(_parameters(signature), _signature(obj), method=False)
    elif kind == "class" and name in READ_BY_ATTRIBUTE:
        assert inspect.isclass(obj)
        for field, _, _ in _parameters(signature):
            assert hasattr(obj, field) or field in obj.__dataclass_fields__, f"{name}.{field} is gone"
    elif kind == "class":
        assert inspect.isclass(obj)
        if signature != "?":
            _same_parameters(_parameters(signature), _signature(obj), method=False, owner=name)
    else:
        assert type(obj).__name__ == signature


@pytest.mark.parametrize("name,kind,signature", [row for row in CONTRACT if "." in row[0]],
                         ids=[row[0] for row in CONTRACT if "." in row[0]])
def test_trace_and_replay_keep_their_methods(name: str, kind: str, signature: str) -> None:
    owner, attr = name.split(".")
    obj = getattr({"Trace": Trace, "Replay": Replay}[owner], attr)
    if kind == "property":
        assert isinstance(obj, property)
    else:
        _same_parameters(_parameters(signature), _signature(obj), method=True)


def _readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## The engine, from Python") :]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_examples_run_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """The single-image example, line by line, on the demo model and a sample scene."""
    monkeypatch.chdir(ROOT)
    single = _readme_blocks()[0]
    namespace: dict = {}
    exec(compile(single, "README.md (The engine, from Python)", "exec"), namespace)
    report = namespace["report"]
    assert [record.lost_at for record in report.funnel][:3] == ["post_nms_top_n", None, "post_nms_top_n"]


@pytest.mark.slow
@pytest.mark.dataset
def test_the_readme_dataset_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dataset example on 6 scenes instead of 100, in a temporary folder (the calls are the README's)."""
    monkeypatch.chdir(ROOT)
    blocks = _readme_blocks()
    code = blocks[1].replace("demo_dataset(100)", f"demo_dataset(6, root={str(tmp_path / 'demo')!r})")
    code = code.replace('"runs/val"', repr(str(tmp_path / "val")))
    namespace: dict = {"model": inspectors.load_model("demo")}
    exec(compile(code, "README.md (dataset example)", "exec"), namespace)
    assert namespace["m"].ap50 is not None
