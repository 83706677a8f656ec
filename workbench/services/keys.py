"""Provider API keys: stored encrypted, listed masked, decrypted only for their owner's use.

Plaintext leaves this module in two places only, both audited: `reveal_key` and
`credentials_for` (the execution path). Keys are never logged and never in an error message;
`APIKey` carries only the masked hint. Every user's keys are theirs alone: an ADMIN may list
the masked metadata, but nobody else can reveal or use them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import SecretStr, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.credentials import Credentials, ProviderCredential
from agents.modelref import PROVIDERS
from workbench.db import models
from workbench.db.types import utc_now
from workbench.errors import InvalidInput
from workbench.keyvault.vault import KeyVault
from workbench.services.actor import Actor
from workbench.services.base import (
    ServiceBase,
    audit,
    check_access,
    not_found,
    paginate,
    require_admin,
    require_user,
)
from workbench.services.entities import APIKey, Page, from_row
from workbench.services.validation import DEFAULT_LIMIT, Input, Name, parse_id, validate

# Every provider the engine knows, except the offline demo model, which needs no key.
KEY_PROVIDERS: tuple[str, ...] = tuple(p for p in PROVIDERS if p != "demo")
KEY_MAX = 4096


def mask_key(plaintext: str) -> str:
    """What may be shown of a key: a short prefix and the last four characters, e.g. `sk-…abcd`.

    Short keys show less, so that the hint never gives away a meaningful share of the key.
    """
    prefix = plaintext[:3] if len(plaintext) >= 20 else ""
    suffix = plaintext[-4:] if len(plaintext) >= 12 else ""
    return f"{prefix}…{suffix}"


def _check_base_url(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if not value.startswith(("http://", "https://")) or len(value) > 2048:
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


def _check_provider(value: str) -> str:
    if value == "demo":
        raise ValueError("the demo provider is offline and needs no key")
    if value not in KEY_PROVIDERS:
        raise ValueError(f"provider {value!r} is unknown (known: {', '.join(KEY_PROVIDERS)})")
    return value


class KeyCreate(Input):
    provider: str
    api_key: SecretStr
    label: Name | None = None
    base_url: str | None = None  # required for openai-compatible servers

    @field_validator("api_key")
    @classmethod
    def _key_shape(cls, value: SecretStr) -> SecretStr:
        plaintext = value.get_secret_value().strip()
        if not plaintext:
            raise ValueError("must not be empty")
        if len(plaintext) > KEY_MAX or any(c.isspace() for c in plaintext):
            raise ValueError(f"must be one word of at most {KEY_MAX} characters")
        return SecretStr(plaintext)

    _provider = field_validator("provider")(_check_provider)
    _base_url = field_validator("base_url")(_check_base_url)


class KeyUpdate(Input):
    """Only the label and endpoint change; to replace the key itself, add a new one."""

    label: Name | None = None
    base_url: str | None = None

    _base_url = field_validator("base_url")(_check_base_url)


def _load_key(
    session: Session, actor: Actor, key_id: uuid.UUID | str, *, write: bool
) -> models.APIKey:
    key_id = parse_id(key_id, "API key")
    key = session.get(models.APIKey, key_id)
    if key is None:
        raise not_found("API key", key_id)
    check_access(actor, key.user_id, resource="API key", resource_id=key_id, write=write)
    return key


def _audit_fields(key: models.APIKey) -> dict[str, Any]:
    return {"provider": key.provider, "label": key.label, "hint": key.hint}


class KeyService(ServiceBase):
    def __init__(self, session_factory: Any, vault: KeyVault) -> None:
        super().__init__(session_factory)
        self._vault = vault

    def create_key(self, actor: Actor, data: KeyCreate | Mapping[str, Any]) -> APIKey:
        user_id = require_user(actor)
        create = validate(KeyCreate, data)
        if create.provider == "openai-compatible" and create.base_url is None:
            raise InvalidInput(
                "invalid input: base_url: an openai-compatible key needs the server's URL",
                field="base_url",
            )
        plaintext = create.api_key.get_secret_value()
        with self._transaction() as session:
            key = models.APIKey(
                user_id=user_id,
                provider=create.provider,
                label=create.label,
                ciphertext=self._vault.encrypt(
                    plaintext, user_id=user_id, provider=create.provider
                ),
                hint=mask_key(plaintext),
                base_url=create.base_url,
            )
            session.add(key)
            session.flush()
            audit(session, actor, "key.create", "api_key", key.id, **_audit_fields(key))
            return from_row(APIKey, key)

    def get_key(self, actor: Actor, key_id: uuid.UUID | str) -> APIKey:
        with self._transaction() as session:
            return from_row(APIKey, _load_key(session, actor, key_id, write=False))

    def list_keys(
        self,
        actor: Actor,
        *,
        offset: int = 0,
        limit: int = DEFAULT_LIMIT,
        all_users: bool = False,
    ) -> Page[APIKey]:
        """The actor's keys, masked, by provider then newest first; with `all_users` (ADMIN
        only), everyone's."""
        query = select(models.APIKey)
        if all_users:
            require_admin(actor, "list every user's API keys")
        else:
            query = query.where(models.APIKey.user_id == require_user(actor))
        with self._transaction() as session:
            return paginate(
                session,
                query,
                order_by=(
                    models.APIKey.provider,
                    models.APIKey.created_at.desc(),
                    models.APIKey.id.desc(),
                ),
                offset=offset,
                limit=limit,
                convert=lambda row: from_row(APIKey, row),
            )

    def update_key(
        self, actor: Actor, key_id: uuid.UUID | str, data: KeyUpdate | Mapping[str, Any]
    ) -> APIKey:
        update = validate(KeyUpdate, data)
        with self._transaction() as session:
            key = _load_key(session, actor, key_id, write=True)
            changes = update.model_dump(exclude_unset=True)
            if (
                key.provider == "openai-compatible"
                and "base_url" in changes
                and not changes["base_url"]
            ):
                raise InvalidInput(
                    "invalid input: base_url: an openai-compatible key needs the server's URL",
                    field="base_url",
                )
            for field, value in changes.items():
                setattr(key, field, value)
            session.flush()
            audit(session, actor, "key.update", "api_key", key.id, fields=sorted(changes))
            return from_row(APIKey, key)

    def delete_key(self, actor: Actor, key_id: uuid.UUID | str) -> None:
        with self._transaction() as session:
            key = _load_key(session, actor, key_id, write=True)
            audit(session, actor, "key.delete", "api_key", key.id, **_audit_fields(key))
            session.delete(key)

    def reveal_key(self, actor: Actor, key_id: uuid.UUID | str) -> SecretStr:
        """The plaintext key, for its owner only (an ADMIN gets NotFound too); audited."""
        with self._transaction() as session:
            key = _load_key(session, actor, key_id, write=False)
            if not actor.owns(key.user_id):
                raise not_found("API key", key.id)
            plaintext = self._vault.decrypt(
                key.ciphertext, user_id=key.user_id, provider=key.provider
            )
            audit(session, actor, "key.reveal", "api_key", key.id, **_audit_fields(key))
            return SecretStr(plaintext)

    def credentials_for(
        self,
        actor: Actor,
        *,
        providers: Iterable[str] | None = None,
        execution_id: uuid.UUID | None = None,
    ) -> Credentials:
        """The actor's own keys for an execution or a chat: the newest key of each provider.

        `providers` limits which are decrypted. Records one audit event naming the keys used.
        A key that cannot be decrypted raises `SecretKeyError` and nothing is recorded.
        """
        user_id = require_user(actor)
        wanted = None if providers is None else set(providers)
        with self._transaction() as session:
            rows = session.scalars(
                select(models.APIKey)
                .where(models.APIKey.user_id == user_id)
                .order_by(models.APIKey.created_at.desc(), models.APIKey.id.desc())
            ).all()
            chosen: dict[str, models.APIKey] = {}
            for key in rows:
                if (wanted is None or key.provider in wanted) and key.provider not in chosen:
                    chosen[key.provider] = key
            credentials = {
                provider: ProviderCredential(
                    api_key=SecretStr(
                        self._vault.decrypt(key.ciphertext, user_id=user_id, provider=provider)
                    ),
                    base_url=key.base_url,
                )
                for provider, key in chosen.items()
            }
            for key in chosen.values():
                key.last_used_at = utc_now()
            if chosen:
                audit(
                    session,
                    actor,
                    "key.use",
                    "api_key",
                    None,
                    keys=[{"id": str(key.id), **_audit_fields(key)} for key in chosen.values()],
                    execution_id=None if execution_id is None else str(execution_id),
                )
            return Credentials(credentials)

    def rotate_keys(self, actor: Actor) -> int:
        """Re-encrypt every stored key under the newest master key, all in one transaction.

        If any key cannot be decrypted, nothing changes. Returns how many keys were rewritten.
        """
        require_admin(actor, "rotate the master keys")
        with self._transaction() as session:
            keys = session.scalars(select(models.APIKey).with_for_update()).all()
            for key in keys:
                key.ciphertext = self._vault.rotate(key.ciphertext)
            session.flush()
            audit(session, actor, "key.rotate", "api_key", None, count=len(keys))
            return len(keys)
