"""Against a real workbench (the session's hub): the deploy workflow's smoke test passes and
cleans up after itself, fails loudly when it should, and Google Managed Prometheus's way of
scraping (a Bearer token of the `metrics-scraper` hub service, the PodMonitoring's path) gets
the metrics the alert policies query."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from tests.deploy.conftest import DEPLOY, MODULES
from tests.fixtures.hub import RunningHub

pytestmark = pytest.mark.hub

SMOKE_TEST = DEPLOY / "scripts" / "smoke_test.py"


def smoke(hub: RunningHub, token: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SMOKE_TEST), "--url", hub.url, "--timeout", "120"],
        env={"WORKBENCH_SMOKE_TOKEN": token, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_smoke_test_passes_and_leaves_nothing_behind(hub: RunningHub) -> None:
    user = hub.new_user("smoke")
    done = smoke(hub, user.token)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "execution COMPLETED" in done.stdout
    with hub.api(user) as api:
        projects = api.get("projects").json()
    assert projects["total"] == 0


def test_smoke_test_fails_naming_the_step_when_the_token_is_refused(hub: RunningHub) -> None:
    done = smoke(hub, "not-a-token")
    assert done.returncode == 1
    assert "FAILED: GET me answered 403" in done.stderr or "answered 401" in done.stderr


def test_smoke_test_fails_when_the_token_lacks_the_workbench_scope(hub: RunningHub) -> None:
    user = hub.new_user("smoke")
    done = smoke(hub, hub.token(user, ["read:users:name!user"]))
    assert done.returncode == 1
    assert "answered 403" in done.stderr


def scrape_path() -> str:
    """The path the PodMonitoring scrapes, from the jupyterhub module."""
    text = (MODULES / "jupyterhub" / "main.tf").read_text()
    prefix = re.search(r'workbench_prefix\s*=\s*"([^"]+)"', text)
    path = re.search(r'path\s*=\s*"\$\{local\.workbench_prefix\}([^"]*)"', text)
    assert prefix and path
    return prefix.group(1) + path.group(1)


def alert_metric_families() -> set[str]:
    text = (MODULES / "monitoring" / "main.tf").read_text()
    names = set(re.findall(r"\b(workbench_[a-z_]+?)(?:_total|_bucket)?\{", text))
    assert len(names) >= 4
    return names


def scrape(hub: RunningHub) -> httpx.Response:
    token = hub.service_token("metrics-scraper")
    return httpx.get(
        hub.url + scrape_path(), headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_metrics_scraper_reads_metrics_with_a_bearer_token(hub: RunningHub) -> None:
    response = scrape(hub)
    assert response.status_code == 200, response.text[:300]
    assert "workbench_api_requests_total" in response.text


def test_metrics_refuse_a_user_who_is_not_an_administrator(hub: RunningHub) -> None:
    user = hub.new_user("nosy")
    response = httpx.get(hub.url + scrape_path(), headers=user.headers, timeout=30)
    assert response.status_code == 403


@pytest.fixture(scope="module")
def counted_activity(hub: RunningHub) -> None:
    """At least one API request and one finished execution, so their metrics exist."""
    done = smoke(hub, hub.new_user("metrics").token)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_metric_an_alert_queries_is_exposed(hub: RunningHub, counted_activity: None) -> None:
    exposed = scrape(hub).text
    missing = {name for name in alert_metric_families() if f"# TYPE {name}" not in exposed}
    assert not missing, f"alerts query metrics the workbench does not expose: {sorted(missing)}"
