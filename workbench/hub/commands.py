"""`workbench up`: start JupyterHub, its proxy and the workbench service; Ctrl-C stops them all."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    up = subparsers.add_parser(
        "up",
        help="start the workbench: JupyterHub + proxy + the workbench service (Ctrl-C stops)",
    )
    up.add_argument("--ip", default="127.0.0.1", help="public address (default: 127.0.0.1)")
    up.add_argument("--port", type=int, default=8000, help="public port (default: 8000)")
    up.add_argument("--hub-port", type=int, default=8081, help="the hub's internal port")
    up.add_argument("--proxy-api-port", type=int, default=8001, help="the proxy's API port")
    up.add_argument("--service-port", type=int, default=8002, help="the workbench service's port")
    up.add_argument(
        "--open-signup",
        action="store_true",
        help="let anyone sign up without an administrator's approval",
    )
    up.add_argument(
        "--log-level",
        dest="console_level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="how much the hub, the proxy and the service print (default: WARNING, or "
        "WORKBENCH_LOG_LEVEL): the banner, warnings and errors only",
    )
    up.add_argument(
        "--debug",
        dest="console_level",
        action="store_const",
        const="DEBUG",
        help="print everything (the same as --log-level DEBUG)",
    )
    up.add_argument(
        "--config",
        type=Path,
        help="a JupyterHub config file loaded on top of the embedded default "
        "(default: hub/jupyterhub_config.py in the data directory)",
    )
    up.set_defaults(handler=_up)


def _up(args: argparse.Namespace) -> int:
    from workbench.errors import WorkbenchError
    from workbench.hub.config import console_level

    try:
        level = console_level(args.console_level, os.environ)
        # Before the hub's imports log anything: this process prints at the console's level.
        logging.getLogger().setLevel(level)
        from workbench.hub import launcher

        options = launcher.options_from(
            ip=args.ip,
            port=args.port,
            hub_port=args.hub_port,
            proxy_api_port=args.proxy_api_port,
            service_port=args.service_port,
            open_signup=args.open_signup,
            log_level=level,
        )
        return launcher.run(options, config_file=args.config)
    except WorkbenchError as e:
        print(f"workbench up: {e.message}", file=sys.stderr)
        return 1
