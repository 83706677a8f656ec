"""The workbench service: a jupyter-server extension serving the REST API under `<prefix>/api/`.

`workbench serve` runs it as a JupyterHub service (see `workbench.extensions.app`).
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from workbench.extensions.app import WorkbenchApp

    return [{"module": "workbench.extensions.app", "app": WorkbenchApp}]
