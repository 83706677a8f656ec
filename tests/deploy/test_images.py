"""The images: hadolint-clean, built from the same locked versions the test suite runs, with the
package and what it needs, and an entry point that turns mounted secret files into settings."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY, ROOT, Tools

DOCKERFILES = sorted((DEPLOY / "docker").glob("*.Dockerfile"))
IMAGE_LOCK = DEPLOY / "docker" / "lock.txt"
PROJECT_LOCK = ROOT / "requirements" / "lock.txt"
ENTRYPOINT = DEPLOY / "docker" / "entrypoint.sh"
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;]+)", re.MULTILINE)
NAME = re.compile(r"^[A-Za-z0-9_.-]+")


def pins(path: Path) -> dict[str, str]:
    return {normalise(name): version for name, version in PIN.findall(path.read_text())}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_dockerfiles_pass_hadolint(tools: Tools) -> None:
    assert len(DOCKERFILES) == 2
    done = subprocess.run(
        [tools.bin("hadolint"), "--config", str(DEPLOY / "docker" / ".hadolint.yaml"),
         "--no-color", *map(str, DOCKERFILES)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_flags_a_bad_dockerfile(tools: Tools, tmp_path: Path) -> None:
    bad = tmp_path / "bad.Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /tmp && pip install requests\n")
    done = subprocess.run(
        [tools.bin("hadolint"), "--config", str(DEPLOY / "docker" / ".hadolint.yaml"),
         "--no-color", str(bad)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "DL3007" in done.stdout  # the latest tag


def test_images_run_the_versions_the_tests_run() -> None:
    image, project = pins(IMAGE_LOCK), pins(PROJECT_LOCK)
    different = {
        name: (version, project[name])
        for name, version in image.items()
        if name in project and project[name] != version
    }
    assert not different, f"run `make lock-deploy`: the image lock differs: {different}"


def test_images_hold_every_runtime_dependency() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    image = pins(IMAGE_LOCK)
    needed = {
        normalise(NAME.match(requirement).group(0))
        for requirement in pyproject["project"]["dependencies"]
    }
    missing = needed - set(image)
    assert not missing, f"run `make lock-deploy`: the image lock lacks {sorted(missing)}"
    # ...and no test tooling goes to production.
    assert not {"pytest", "playwright", "schemathesis"} & set(image)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_images_install_the_lock_and_the_package(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    python = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["target-version"]
    version = f"{python[2]}.{python[3:]}"
    assert re.findall(r"^FROM python:(\S+?)-", text, re.MULTILINE) == [version, version]
    assert "--requirement deploy/docker/lock.txt" in text
    assert "pip install --no-deps ." in text
    for source in re.findall(r"^COPY (?!--from)(?:--chown=\S+ )?(\S+)", text, re.MULTILINE):
        assert (ROOT / source).exists(), f"{dockerfile.name} copies {source}, which is missing"
    assert re.search(r"^USER 1000", text, re.MULTILINE)


def test_hub_image_has_what_the_chart_and_the_cluster_need() -> None:
    image = pins(IMAGE_LOCK)
    for package in ("jupyterhub-kubespawner", "jupyterhub-idle-culler", "pycurl",
                    "oauthenticator", "jupyterhub-nativeauthenticator", "dask-gateway",
                    "google-cloud-storage", "psycopg", "mlflow"):  # fmt: skip
        assert package in image, package


def test_dask_gateway_chart_matches_the_client() -> None:
    variables = (DEPLOY / "terraform" / "modules" / "dask-gateway" / "variables.tf").read_text()
    chart = re.search(r'variable "chart_version".*?default\s*=\s*"([^"]+)"', variables, re.S)
    assert chart is not None
    assert chart.group(1) == pins(IMAGE_LOCK)["dask-gateway"]


def run_entrypoint(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = "env | grep '^WORKBENCH_' | sort"
    return subprocess.run(
        ["sh", str(ENTRYPOINT), "sh", "-c", script],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True, text=True, timeout=30, check=False, cwd=tmp_path,
    )  # fmt: skip


def test_entrypoint_reads_secret_files_into_settings(tmp_path: Path) -> None:
    keys = tmp_path / "secret-keys"
    keys.write_text("newkey=,oldkey=\n")
    done = run_entrypoint(
        tmp_path, {"WORKBENCH_SECRET_KEYS_FILE": str(keys), "WORKBENCH_DATA_DIR": "/data"}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "WORKBENCH_DATA_DIR=/data",
        "WORKBENCH_SECRET_KEYS=newkey=,oldkey=",
    ]


def test_entrypoint_refuses_a_missing_secret_file_naming_it(tmp_path: Path) -> None:
    done = run_entrypoint(tmp_path, {"WORKBENCH_SECRET_KEYS_FILE": str(tmp_path / "absent")})
    assert done.returncode == 64
    assert "WORKBENCH_SECRET_KEYS_FILE" in done.stderr
    assert done.stdout == ""
