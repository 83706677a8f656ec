"""`workbench keys generate | rotate`: master keys for the stored API keys.

Rotation, step by step: `workbench keys generate` prints a new key; put it first in
WORKBENCH_SECRET_KEYS (keep the old ones after it) and restart the service; run
`workbench keys rotate`, which re-encrypts every stored key under the new one in one
transaction; then the old keys may be removed from WORKBENCH_SECRET_KEYS.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    keys = subparsers.add_parser("keys", help="manage the master keys of stored API keys")
    commands = keys.add_subparsers(title="keys commands", metavar="<keys command>", required=True)
    generate = commands.add_parser("generate", help="print a new master key")
    generate.set_defaults(handler=_generate)
    rotate = commands.add_parser(
        "rotate", help="re-encrypt every stored API key under the newest master key"
    )
    rotate.set_defaults(handler=_rotate)


def _generate(args: argparse.Namespace) -> int:
    from workbench.keyvault import generate_master_key

    print(generate_master_key())
    return 0


def _rotate(args: argparse.Namespace) -> int:
    from workbench.config import Settings
    from workbench.db import check_schema
    from workbench.errors import WorkbenchError
    from workbench.services import SYSTEM, Services

    try:
        services, database = Services.from_settings(Settings.from_env())
        try:
            check_schema(database.engine)
            count = services.keys.rotate_keys(SYSTEM)
        finally:
            database.dispose()
    except WorkbenchError as e:
        print(f"workbench keys: {e.message}", file=sys.stderr)
        return 1
    print(f"re-encrypted {count} stored API key(s) under the newest master key")
    return 0
