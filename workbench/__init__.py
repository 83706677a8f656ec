"""The Multi-LLM Workbench: projects, agents, keys and executions for a team, behind JupyterHub.

`from workbench import Client` and `workbench.connect()` load the notebook client on first use
only, so importing `workbench` stays light and never pulls in the server stack.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_CLIENT_NAMES = frozenset({"Client", "connect"})


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        from workbench import client

        return getattr(client, name)
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")
