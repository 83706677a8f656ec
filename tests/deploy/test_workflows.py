"""The GitHub workflows: actionlint (with shellcheck on every `run:`), the workflow JSON
schema, and the order a deployment must keep (migrate, roll out, smoke-test, roll back)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import DEPLOY, WORKFLOWS, Tools

WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))


def actionlint(tools: Tools, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            tools.bin("actionlint"), "-no-color", "-oneline",
            "-shellcheck", tools.bin("shellcheck"), "-pyflakes=",
            *map(str, paths),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_workflows_pass_actionlint(tools: Tools) -> None:
    assert {path.name for path in WORKFLOW_FILES} >= {
        "ci.yml", "deploy.yml", "deploy-environment.yml", "rollback.yml",
    }  # fmt: skip
    done = actionlint(tools, *WORKFLOW_FILES)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tools: Tools, tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ github.nonexistent_context }}\n"
    )
    done = actionlint(tools, broken)
    assert done.returncode != 0
    assert "broken.yml" in done.stdout


def test_workflows_match_the_github_workflow_schema(tools: Tools) -> None:
    done = subprocess.run(
        [
            tools.bin("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
            *map(str, WORKFLOW_FILES),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_helper_scripts_pass_shellcheck(tools: Tools) -> None:
    scripts = [*sorted((DEPLOY / "scripts").glob("*.sh")), DEPLOY / "docker" / "entrypoint.sh"]
    done = subprocess.run(
        [tools.bin("shellcheck"), *map(str, scripts)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout


def load(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def step_names(job: dict[str, Any]) -> list[str]:
    return [step.get("name", step.get("uses", "")) for step in job["steps"]]


def index_of(names: list[str], fragment: str) -> int:
    (index,) = [i for i, name in enumerate(names) if fragment in name]
    return index


def test_deploy_migrates_before_rolling_out_and_smoke_tests_after() -> None:
    names = step_names(load("deploy-environment.yml")["jobs"]["deploy"])
    migrate = index_of(names, "workbench db upgrade")
    rollout = index_of(names, "roll out")
    smoke = names.index("smoke test")
    record = index_of(names, "record the release")
    assert migrate < rollout < smoke < record


def test_a_failed_smoke_test_rolls_back_database_first_then_images() -> None:
    steps = load("deploy-environment.yml")["jobs"]["deploy"]["steps"]
    rollback = [step for step in steps if "roll back" in step.get("name", "")]
    assert [step["name"] for step in rollback] == [
        "roll back the database to the previous release's revision",
        "roll back to the previous images",
    ]
    for step in rollback:
        assert "steps.smoke.outcome == 'failure'" in step["if"]
    assert "db downgrade" in rollback[0]["run"]
    assert "PREVIOUS_TAG" in rollback[1]["run"]


def test_environments_deploy_on_main_tags_and_approval() -> None:
    deploy = load("deploy.yml")
    jobs = deploy["jobs"]
    assert jobs["dev"]["if"].endswith("github.ref == 'refs/heads/main'")
    assert "refs/tags/v" in jobs["staging"]["if"]
    assert jobs["prod"]["needs"] == ["images", "staging"]
    for name in ("dev", "staging", "prod"):
        assert jobs[name]["uses"] == "./.github/workflows/deploy-environment.yml"
        assert jobs[name]["with"]["environment"] == name
    assert jobs["plan"]["if"] == "github.event_name == 'pull_request'"
    assert "GITHUB_STEP_SUMMARY" in jobs["plan"]["steps"][-1]["run"]


def test_manual_rollback_downgrades_to_the_recorded_revision() -> None:
    workflow = load("rollback.yml")
    # YAML reads the `on:` key as True.
    inputs = workflow[True]["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"environment", "image_tag"}
    names = step_names(workflow["jobs"]["rollback"])
    assert index_of(names, "db downgrade") < index_of(names, "roll out") < names.index("smoke test")


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflows_grant_least_privilege(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    assert workflow["permissions"]["contents"] == "read"
    assert "write-all" not in path.read_text()
