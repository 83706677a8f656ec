"""The `workbench` command: one entry point whose subcommands live beside what they operate on.

Each module in `COMMAND_MODULES` has `register(subparsers)`, which adds its subcommands and sets
`handler` (a function taking the parsed arguments and returning an exit code) as a default.
Those modules import only argparse at import time, so `workbench --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from workbench import __version__

COMMAND_MODULES: tuple[str, ...] = (
    "workbench.db.commands",
    "workbench.keyvault.commands",
    "workbench.extensions.commands",
    "workbench.hub.commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Multi-LLM Workbench: run, migrate and administer the workbench.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="how much to log (default: INFO)",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="<command>")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.log_level != "DEBUG":
        # Alembic names each of its plugins at INFO whenever it is imported.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return int(handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
