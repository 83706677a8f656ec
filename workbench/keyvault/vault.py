"""Encryption of stored provider API keys with MultiFernet: master keys, binding, rotation.

The plaintext inside each Fernet token is a small JSON document naming the owner and provider
next to the key, and `decrypt` checks both: a ciphertext copied into another user's row, or
under another provider, does not decrypt (SECURITY.md S7). Master keys come from
WORKBENCH_SECRET_KEYS (newest first; the first encrypts, all decrypt) or, on the embedded
default only, from a key file generated once under the data directory with mode 0600.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from workbench.config import Settings
from workbench.errors import KeyBindingError, SecretKeyError

log = logging.getLogger(__name__)

SETTING = "WORKBENCH_SECRET_KEYS"


def generate_master_key() -> str:
    """A new random master key, in the form WORKBENCH_SECRET_KEYS expects."""
    return Fernet.generate_key().decode("ascii")


class KeyVault:
    """Encrypts and decrypts API keys under the configured master keys. Never logs a key."""

    def __init__(self, master_keys: Sequence[str]) -> None:
        if not master_keys:
            raise SecretKeyError(f"no master key given: set {SETTING}", field=SETTING)
        fernets = []
        for position, key in enumerate(master_keys, start=1):
            try:
                fernets.append(Fernet(key.encode("ascii") if isinstance(key, str) else key))
            except (ValueError, UnicodeEncodeError):
                raise SecretKeyError(
                    f"{SETTING} entry {position} is not a Fernet key (32 url-safe "
                    "base64-encoded bytes); create one with `workbench keys generate`",
                    field=SETTING,
                ) from None
        self._fernet = MultiFernet(fernets)
        self.key_count = len(fernets)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyVault:
        """The vault for this process; without a master key, only the embedded default starts."""
        if settings.secret_keys:
            return cls([key.get_secret_value() for key in settings.secret_keys])
        if not settings.is_embedded_default:
            raise SecretKeyError(
                f"{SETTING} is not set: a master key is required when WORKBENCH_DATABASE_URL "
                "points at your own database (create one with `workbench keys generate`)",
                field=SETTING,
            )
        return cls([_read_or_create_key_file(settings.secret_key_file)])

    def encrypt(self, plaintext: str, *, user_id: uuid.UUID, provider: str) -> str:
        payload = json.dumps({"user": str(user_id), "provider": provider, "key": plaintext})
        return self._fernet.encrypt(payload.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str, *, user_id: uuid.UUID, provider: str) -> str:
        """The plaintext key, if `ciphertext` was made for this user and provider."""
        try:
            payload = json.loads(self._fernet.decrypt(ciphertext.encode("ascii")))
        except (InvalidToken, UnicodeEncodeError, ValueError):
            raise SecretKeyError(
                f"a stored API key cannot be decrypted with the master keys in {SETTING}: "
                "the keys are wrong or the one it was encrypted with was removed",
                field=SETTING,
            ) from None
        if payload.get("user") != str(user_id) or payload.get("provider") != provider:
            raise KeyBindingError(
                "a stored API key does not belong to this user and provider; it was not used"
            )
        return str(payload["key"])

    def rotate(self, ciphertext: str) -> str:
        """The same payload re-encrypted under the newest master key."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise SecretKeyError(
                f"a stored API key cannot be decrypted with the master keys in {SETTING}; "
                "nothing was re-encrypted",
                field=SETTING,
            ) from None

    def __repr__(self) -> str:
        return f"KeyVault(master_keys={self.key_count})"


def _read_or_create_key_file(path: Path) -> str:
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return _create_key_file(path)
    if path.stat().st_mode & 0o077:
        raise SecretKeyError(
            f"the master key file {path} is readable by other users: run `chmod 600 {path}`",
            field=SETTING,
        )
    return key


def _create_key_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_master_key()
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    try:
        # A hard link appears complete or not at all, and fails if another process won the
        # race, so two processes starting together never use different keys.
        os.link(temporary, path)
    except FileExistsError:
        return _read_or_create_key_file(path)
    finally:
        temporary.unlink()
    log.info("generated a master key for stored API keys at %s", path)
    return key
