"""`workbench serve`: the workbench service in the foreground (JupyterHub runs it as a service).

Server and extension options come from `WORKBENCH_*` variables and, optionally, a jupyter-server
config file (`--config`), e.g. `c.WorkbenchApp.max_body_bytes = 2097152`.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the workbench service (JupyterHub starts it; it needs the hub's environment)",
    )
    serve.add_argument(
        "--config",
        type=Path,
        help="a jupyter-server config file (python) for WorkbenchServerApp and WorkbenchApp",
    )
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from workbench.config import log_level

    # WORKBENCH_LOG_LEVEL (INFO by default; `workbench up` sets WARNING) decides, before the
    # stack's imports configure their own loggers. Dask logs every connection and worker at
    # INFO, and MLflow its store's migrations: their detail is for DEBUG (or their own
    # variables, which win), also in the processes the service starts (workers, MLflow UI).
    level = log_level()
    logging.getLogger().setLevel(level)
    if level != "DEBUG":
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    if level in ("WARNING", "ERROR"):
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", level)
    from workbench.extensions.app import main

    main([f"--config={args.config.resolve()}"] if args.config else [])
    return 0
