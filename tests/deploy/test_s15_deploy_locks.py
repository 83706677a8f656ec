"""S15 for what deploy/ locks besides the project: the images' dependencies and the
static-check tools. Same audit as tests/foundation/test_s15_pip_audit.py (pip-audit, strict,
PyPI's advisory data), which also says why it skips where that data cannot be reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.conftest import DEPLOY
from tests.foundation import test_s15_pip_audit as pip_audit
from tests.foundation.test_s15_pip_audit import audit, vulnerabilities

LOCKS = [DEPLOY / "docker" / "lock.txt", DEPLOY / "tools" / "lock.txt"]


# The same probe as the project's audit: skips unless a known-vulnerable pin is reported.
advisories_reachable = pip_audit.advisories_reachable


@pytest.mark.parametrize("lock", LOCKS, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_s15_deploy_locks_have_no_known_vulnerability(
    advisories_reachable: None, lock: Path
) -> None:
    code, report, stderr = audit(lock)
    found = vulnerabilities(report)
    assert not found, f"known vulnerabilities in {lock}:\n" + "\n".join(found)
    assert code == 0, stderr[-2000:]
