"""S15: the locked dependencies carry no known vulnerability (pip-audit, PyPI advisory data).

Every ignored advisory is listed in IGNORED with the reason it does not apply to us. pip-audit
runs with `--strict`, so a dependency it could not check fails the audit instead of passing it.
Where PyPI's advisory data cannot be reached (a sandbox with only a package mirror, which is
where `.ci/run` runs) the audit cannot mean anything: the test skips and says why. The GitHub
Actions workflow's `audit` job runs the same audit where the advisory data is reachable.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

LOCK = Path(__file__).parents[2] / "requirements" / "lock.txt"

# advisory id -> why it does not apply (keep each reason specific; remove when fixed upstream)
IGNORED: dict[str, str] = {}

KNOWN_VULNERABLE = "jinja2==2.10\n"  # CVE-2019-10906 and others


def audit(requirements: Path) -> tuple[int, dict[str, Any], str]:
    command = [
        sys.executable, "-m", "pip_audit",
        "--requirement", str(requirements),
        "--no-deps", "--disable-pip", "--strict",
        "--progress-spinner", "off", "--format", "json",
    ]  # fmt: skip
    for advisory in IGNORED:
        command += ["--ignore-vuln", advisory]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    report = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
    return done.returncode, report, done.stderr


def vulnerabilities(report: dict[str, Any]) -> list[str]:
    return [
        f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {', '.join(vuln['fix_versions'])})"
        for dep in report.get("dependencies", [])
        for vuln in dep.get("vulns", [])
    ]


@pytest.fixture(scope="module")
def advisories_reachable(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Audit a pin with published advisories: unless they are found, the audit is blind here."""
    probe = tmp_path_factory.mktemp("audit") / "requirements.txt"
    probe.write_text(KNOWN_VULNERABLE)
    _, report, stderr = audit(probe)
    if vulnerabilities(report):
        return
    last = stderr.strip().splitlines()[-1] if stderr.strip() else "no report"
    reason = f"PyPI's advisory data is unreachable from this machine ({last})"
    pytest.skip(reason)


def test_s15_audit_detects_a_known_vulnerable_pin(
    advisories_reachable: None, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(KNOWN_VULNERABLE)
    code, report, _ = audit(requirements)
    assert code != 0
    assert any(line.startswith("jinja2 2.10") for line in vulnerabilities(report))


def test_s15_locked_dependencies_have_no_known_vulnerability(advisories_reachable: None) -> None:
    code, report, stderr = audit(LOCK)
    found = vulnerabilities(report)
    assert not found, "known vulnerabilities in requirements/lock.txt:\n" + "\n".join(found)
    assert code == 0, stderr[-2000:]
