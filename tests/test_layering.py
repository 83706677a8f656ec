"""The layering rule of the design: `agents/` and `tracking/` never import `workbench`.

Checked twice: statically (every import statement of every module, relative ones resolved), and
at run time (a fresh interpreter importing the public modules ends with no `workbench*` module
loaded, which also catches an import made indirectly through a third module).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOWER_PACKAGES = ("agents", "tracking")
FORBIDDEN = "workbench"
PUBLIC_MODULES = (
    "agents.engine",
    "agents.steps",
    "agents.calls",
    "tracking",
    "tracking.tracker",
    "tracking.analysis",
)


def _package_of(path: Path) -> list[str]:
    """The package a module's relative imports are relative to, as name parts."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return parts[:-1]  # agents/calls.py and agents/__init__.py are both in package `agents`


def imported_modules(source: str, package: list[str]) -> list[str]:
    """Every module name an import statement of `source` may load, relative ones resolved.

    A relative import that climbs above the top-level package resolves from the project root (it
    is invalid Python, but what it names is what it tried to reach).
    """
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: max(len(package) - (node.level - 1), 0)] if node.level else []
            module = [*base, *(node.module.split(".") if node.module else [])]
            names.append(".".join(module))
            # `from . import x` / `from .. import workbench`: each name may be a module.
            names.extend(".".join([*module, alias.name]) for alias in node.names)
    return [name for name in names if name]


def _is_forbidden(name: str) -> bool:
    return name.split(".")[0].startswith(FORBIDDEN)


def _lower_modules() -> list[Path]:
    return sorted(
        path
        for package in LOWER_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    )


@pytest.mark.parametrize(
    ("source", "package"),
    [
        ("import workbench", ["agents"]),
        ("import workbench.server.app as app", ["agents"]),
        ("from workbench.runner import Runner", ["tracking"]),
        ("def f():\n    from workbench import db\n", ["agents"]),
        ("from .. import workbench", ["agents"]),
        ("from ..workbench.api import routes", ["tracking"]),
        ("from ...workbench import x", ["agents", "sub"]),
    ],
)
def test_import_scan_flags_workbench_when_a_module_imports_it(
    source: str, package: list[str]
) -> None:
    assert any(_is_forbidden(name) for name in imported_modules(source, package))


@pytest.mark.parametrize(
    ("source", "package"),
    [
        ("import agents.engine", ["tracking"]),
        ("from . import batching", ["tracking"]),
        ("from .workbench_like import x", ["agents"]),  # agents.workbench_like, inside agents
        ("from mlflow import workbench", ["tracking"]),
    ],
)
def test_import_scan_passes_when_no_workbench_is_imported(source: str, package: list[str]) -> None:
    assert not any(_is_forbidden(name) for name in imported_modules(source, package))


def test_agents_and_tracking_have_modules_to_scan_when_listed() -> None:
    modules = {path.relative_to(ROOT).as_posix() for path in _lower_modules()}
    assert {"agents/engine.py", "agents/calls.py", "tracking/tracker.py"} <= modules


@pytest.mark.parametrize(
    "path", _lower_modules(), ids=lambda path: path.relative_to(ROOT).as_posix()
)
def test_lower_package_module_never_imports_workbench_when_scanned(path: Path) -> None:
    names = imported_modules(path.read_text(encoding="utf-8"), _package_of(path))
    assert [name for name in names if _is_forbidden(name)] == []


# Importing `mlflow` loads every `mlflow.tracking_store` entry point of the environment, the
# workbench's `workbench+http(s)` store included (pyproject.toml). That entry point is a module of
# its own that imports nothing at import time: it is all of `workbench` a lower module may bring.
MLFLOW_ENTRY_POINT = {"workbench", "workbench.mlflow_plugin"}


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_importing_a_lower_module_loads_no_workbench_module_when_in_a_fresh_interpreter(
    module: str,
) -> None:
    script = (
        f"import json, sys; import {module}; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r}))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert loaded <= MLFLOW_ENTRY_POINT, f"{module} loads {sorted(loaded - MLFLOW_ENTRY_POINT)}"


def test_mlflow_entry_point_module_imports_nothing_when_loaded() -> None:
    source = (ROOT / "workbench" / "mlflow_plugin.py").read_text(encoding="utf-8")
    top_level = [
        node for node in ast.parse(source).body if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    imports = [ast.unparse(node) for node in top_level]
    assert imports == ["from __future__ import annotations", "from typing import Any"]
