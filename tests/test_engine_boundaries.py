"""The engine is UI-free and layered: imports point down the pipeline's packages, never up, never in a cycle."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_importing_the_whole_engine_loads_no_ui_and_no_ray() -> None:
    code = ("import sys, pkgutil, importlib, inspectors\n"
            "for m in pkgutil.walk_packages(inspectors.__path__, 'inspectors.'):\n"
            "    importlib.import_module(m.name)\n"
            "print(sorted(m for m in ('gradio', 'plotly', 'ray', 'app', 'reports', 'training') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_no_module_of_the_engine_is_in_an_import_cycle() -> None:
    """Every import counts, inside functions too (only `if TYPE_CHECKING:` imports, which never run, do not)."""
    graph = grimp.build_graph("inspectors", exclude_type_checking_imports=True)
    modules = sorted(m for m in graph.modules if m.startswith("inspectors."))
    cycles = []
    for module in modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("inspectors.") and imported != module and \
                    graph.chain_exists(importer=imported, imported=module):
                cycles.append((module, imported))
    assert cycles == []


def test_no_engine_module_is_directly_under_inspectors_except_the_api() -> None:
    top = sorted(p.name for p in (ROOT / "inspectors").glob("*.py"))
    assert top == ["__init__.py", "conveniences.py"]
    for package in sorted(p for p in (ROOT / "inspectors").iterdir() if (p / "__init__.py").is_file()):
        doc = (package / "__init__.py").read_text().lstrip()
        assert doc.startswith('"""'), f"{package.name}/__init__.py opens without saying which stage it holds"


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter is a dev dependency")
def test_the_import_contracts_hold() -> None:
    out = subprocess.run(["lint-imports"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:]
