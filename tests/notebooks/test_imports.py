"""What importing the client costs a notebook: never the server stack (DESIGN.md §3.2), and
`import workbench` alone loads nothing of the client."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.fixtures.hub import ROOT

SERVER_SIDE = ("workbench.db", "workbench.services", "workbench.extensions", "workbench.keyvault")


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    output = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return set(json.loads(output.splitlines()[-1]))


def test_the_client_never_loads_the_server_stack() -> None:
    loaded = modules_after(
        "import workbench\n"
        "client_class = workbench.Client\n"
        "import workbench.client.local, workbench.client.analysis, workbench.client.compare"
    )
    assert not [m for m in loaded if m.startswith(SERVER_SIDE)]
    assert "workbench.client" in loaded


def test_importing_workbench_loads_no_client() -> None:
    loaded = modules_after("import workbench")
    assert not [m for m in loaded if m.startswith(("workbench.client", "httpx", "pandas"))]


def test_client_and_connect_are_the_client_packages() -> None:
    import workbench
    import workbench.client

    assert workbench.Client is workbench.client.Client
    assert workbench.connect is workbench.client.connect
