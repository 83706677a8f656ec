"""The example notebooks run top to bottom against the session's workbench, outputs checked.

The notebooks run under nbval in a pytest process of their own (a real kernel each, as in
JupyterLab), with
the environment a notebook server spawned by the hub has (`JUPYTERHUB_API_TOKEN`,
`WORKBENCH_API_URL`) plus the user's own provider keys pointing at the fake provider server. Every
output is compared with the one saved in the notebook, after `notebooks/nbval_sanitize.cfg` has
replaced what varies between runs (ids, times, latencies).

To refresh the saved outputs after changing a notebook or what it shows, run
`REFRESH_NOTEBOOKS=1 .venv/bin/pytest tests/notebooks/test_notebooks.py` (or name the notebooks:
`REFRESH_NOTEBOOKS=04-analyse-results,...`): they are first executed in place (with nbconvert, in
the same environment), then checked as usual.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.fixtures.hub import ROOT, RunningHub

pytestmark = pytest.mark.hub

NOTEBOOKS_DIR = ROOT / "notebooks"
SANITIZE = NOTEBOOKS_DIR / "nbval_sanitize.cfg"
NOTEBOOKS = sorted(path.stem for path in NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb"))
# What the glob must find: a renamed or removed notebook would otherwise just drop out of the check.
EXPECTED_NOTEBOOKS = [
    "01-quickstart",
    "02-prototype-an-agent",
    "03-compare-models",
    "04-analyse-results",
]
CELL_TIMEOUT_S = 120
# Provider variables the user's own environment might hold: never let them reach the kernels.
FOREIGN_PREFIXES = ("WORKBENCH_", "JUPYTERHUB_", "OPENAI_", "ANTHROPIC_", "GOOGLE_", "GEMINI_")


def notebook_environment(hub: RunningHub, home: Path) -> dict[str, str]:
    """A notebook server's environment, for a new user of the session's hub.

    A new user for every run: the workbench caches model answers per user, and a notebook's
    saved outputs are those of a first run.
    """
    assert hub.fake_provider is not None
    user = hub.new_user("notebooks")
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    env.update(
        {
            "HOME": str(home),  # the local MLflow store of 02 goes here
            "JUPYTERHUB_API_TOKEN": user.token,
            "WORKBENCH_API_URL": hub.api_url,
            "OPENAI_API_KEY": "sk-fake-openai-key-notebooks",
            "OPENAI_BASE_URL": hub.fake_provider.openai_base_url,
            "ANTHROPIC_API_KEY": "sk-ant-fake-key-notebooks",
            "ANTHROPIC_BASE_URL": hub.fake_provider.anthropic_base_url,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "PYTHONPATH": str(ROOT),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


def to_refresh(name: str) -> bool:
    """Whether REFRESH_NOTEBOOKS asks for `name`: `1` (all) or a comma-separated list."""
    wanted = {part.strip() for part in os.environ.get("REFRESH_NOTEBOOKS", "").split(",")}
    return "1" in wanted or name in wanted


def refresh_outputs(path: Path, env: dict[str, str]) -> None:
    """Execute `path` in place, saving its new outputs."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--inplace",
            f"--ExecutePreprocessor.timeout={CELL_TIMEOUT_S}",
            "--ExecutePreprocessor.record_timing=False",
            str(path),
        ],
        env=env,
        cwd=path.parent,
        check=True,
        capture_output=True,
    )


@dataclass(frozen=True)
class CellResult:
    notebook: str
    cell: str
    failure: str | None  # nbval's report, when the cell failed


@pytest.fixture(scope="module")
def nbval_results(
    hub: RunningHub, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[CellResult]]:
    """Every notebook under nbval, in one pytest process with only the nbval plugin (plugin
    autoloading off saves seconds per process); each cell's result by notebook."""
    paths = [NOTEBOOKS_DIR / f"{name}.ipynb" for name in NOTEBOOKS]
    for path in paths:
        if to_refresh(path.stem):
            refresh_outputs(path, notebook_environment(hub, tmp_path_factory.mktemp("home")))
    report = tmp_path_factory.mktemp("nbval") / "junit.xml"
    env = notebook_environment(hub, tmp_path_factory.mktemp("home"))
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *map(str, paths),
            "-p",
            "nbval",
            "--nbval",
            "--nbval-current-env",
            f"--nbval-cell-timeout={CELL_TIMEOUT_S}",
            "--nbval-sanitize-with",
            str(SANITIZE),
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-W",
            "ignore::pytest.PytestConfigWarning",
            "-q",
            "--color=no",
            f"--junitxml={report}",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if not report.exists():
        pytest.fail(f"nbval did not run:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    results: dict[str, list[CellResult]] = {name: [] for name in NOTEBOOKS}
    for case in ElementTree.parse(report).iter("testcase"):
        # classname "notebooks.01-quickstart.ipynb"
        name = case.get("classname", "").removesuffix(".ipynb").rsplit(".", 1)[-1]
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        failure = None if problem is None else (problem.text or problem.get("message", ""))
        results.setdefault(name, []).append(CellResult(name, case.get("name", ""), failure))
    return results


def test_notebook_list_is_the_four_examples_when_globbed() -> None:
    assert NOTEBOOKS == EXPECTED_NOTEBOOKS
    assert all((NOTEBOOKS_DIR / f"{name}.ipynb").is_file() for name in EXPECTED_NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_with_the_outputs_it_shows(
    name: str, nbval_results: dict[str, list[CellResult]]
) -> None:
    cells = nbval_results[name]
    assert cells, f"nbval ran no cell of {name}"
    failures = [f"{c.cell}:\n{c.failure}" for c in cells if c.failure is not None]
    assert not failures, "\n\n".join(failures)[-8000:]
