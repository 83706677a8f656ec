"""The key vault: stored API keys encrypted with MultiFernet (see `workbench.keyvault.vault`).

Names are imported on first use, so `workbench.keyvault.commands` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.keyvault.vault import KeyBindingError, KeyVault, generate_master_key

__all__ = ["KeyBindingError", "KeyVault", "generate_master_key"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("workbench.keyvault.vault"), name)
    raise AttributeError(f"module 'workbench.keyvault' has no attribute {name!r}")
