"""Provider API keys: encrypted at rest, masked in listings, revealed only to their owner."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from workbench.db import Database, models, upgrade
from workbench.errors import InvalidInput, NotFound, PermissionDenied, SecretKeyError
from workbench.keyvault import KeyBindingError, KeyVault, generate_master_key
from workbench.services import SYSTEM, Actor, Services, mask_key

from .rows import all_text, count, snapshot

CANARY = "sk-canary-4f1e9b27c3d8a6e0b5f4d3c2b1a09876"


def add_key(services: Services, actor: Actor, provider: str = "openai", **extra: str) -> str:
    return str(services.keys.create_key(actor, {"provider": provider, **extra}).id)


def test_created_key_is_listed_masked(services: Services, alice: Actor) -> None:
    key = services.keys.create_key(
        alice, {"provider": "openai", "api_key": CANARY, "label": "work"}
    )
    assert key.hint == "sk-…9876"
    page = services.keys.list_keys(alice)
    assert [(k.provider, k.label, k.hint) for k in page.items] == [("openai", "work", "sk-…9876")]
    assert CANARY not in repr(page)


@pytest.mark.parametrize(
    ("plaintext", "hint"),
    [("sk-proj-abcdefghijklmnopqrstuvwxyz", "sk-…wxyz"), ("short-key-12", "…y-12"), ("tiny", "…")],
)
def test_hint_never_shows_much_of_a_short_key(plaintext: str, hint: str) -> None:
    assert mask_key(plaintext) == hint


def test_credentials_for_use_the_newest_key_of_each_provider(
    services: Services, alice: Actor
) -> None:
    services.keys.create_key(alice, {"provider": "openai", "api_key": "sk-old-000000000000"})
    services.keys.create_key(alice, {"provider": "openai", "api_key": "sk-new-111111111111"})
    services.keys.create_key(
        alice,
        {
            "provider": "openai-compatible",
            "api_key": "ollama",
            "base_url": "http://127.0.0.1:11434/v1/",
        },
    )
    credentials = services.keys.credentials_for(alice)
    assert credentials.providers() == ["openai", "openai-compatible"]
    assert credentials.get("openai").api_key.get_secret_value() == "sk-new-111111111111"
    assert credentials.get("openai-compatible").base_url == "http://127.0.0.1:11434/v1"
    only = services.keys.credentials_for(alice, providers=["anthropic"])
    assert only.providers() == []


def test_credentials_for_is_audited_and_stamps_last_use(services: Services, alice: Actor) -> None:
    key_id = add_key(services, alice, api_key=CANARY)
    services.keys.credentials_for(alice, providers=["openai"])
    (event,) = [e for e in services.audit.list_events(alice).items if e.action == "key.use"]
    assert event.details["keys"][0]["id"] == key_id
    assert services.keys.get_key(alice, key_id).last_used_at is not None


def test_reveal_returns_the_plaintext_to_its_owner_only(
    services: Services, alice: Actor, bob: Actor, admin: Actor
) -> None:
    key_id = add_key(services, alice, api_key=CANARY)
    assert services.keys.reveal_key(alice, key_id).get_secret_value() == CANARY
    for other in (bob, admin):
        with pytest.raises(NotFound):
            services.keys.reveal_key(other, key_id)
    actions = [e.action for e in services.audit.list_events(alice).items]
    assert actions.count("key.reveal") == 1


def test_admin_lists_everyones_keys_masked_but_cannot_delete_them(
    services: Services, alice: Actor, admin: Actor
) -> None:
    key_id = add_key(services, alice, api_key=CANARY)
    assert [str(k.id) for k in services.keys.list_keys(admin, all_users=True).items] == [key_id]
    with pytest.raises(PermissionDenied):
        services.keys.delete_key(admin, key_id)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": "opnai", "api_key": CANARY}, "provider"),
        ({"provider": "demo", "api_key": CANARY}, "provider"),
        ({"provider": "openai", "api_key": ""}, "api_key"),
        ({"provider": "openai", "api_key": "two words"}, "api_key"),
        ({"provider": "openai"}, "api_key"),
        ({"provider": "openai", "api_key": CANARY, "label": "x" * 10_000}, "label"),
        ({"provider": "openai-compatible", "api_key": CANARY}, "base_url"),
        ({"provider": "openai", "api_key": CANARY, "base_url": "ftp://x"}, "base_url"),
        ({"provider": "openai", "api_key": CANARY, "ciphertext": "x"}, "ciphertext"),
    ],
)
def test_bad_key_input_names_the_field_never_the_key(
    services: Services, db: Database, alice: Actor, body: dict, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.keys.create_key(alice, body)
    assert caught.value.field == field
    assert CANARY not in str(caught.value) + repr(caught.value.to_dict())
    assert count(db, models.APIKey) == 0


def test_unknown_provider_error_lists_the_known_ones(services: Services, alice: Actor) -> None:
    with pytest.raises(InvalidInput, match="anthropic"):
        services.keys.create_key(alice, {"provider": "opnai", "api_key": CANARY})


def test_s7_ciphertext_copied_to_another_user_does_not_decrypt(
    services: Services, db: Database, alice: Actor, bob: Actor
) -> None:
    alice_key = add_key(services, alice, api_key=CANARY)
    bob_key = add_key(services, bob, api_key="sk-bob-222222222222222")
    with db.transaction() as session:
        stolen = session.scalar(
            select(models.APIKey.ciphertext).where(models.APIKey.id == uuid.UUID(alice_key))
        )
        session.execute(
            update(models.APIKey)
            .where(models.APIKey.id == uuid.UUID(bob_key))
            .values(ciphertext=stolen)
        )
    with pytest.raises(KeyBindingError) as caught:
        services.keys.credentials_for(bob)
    assert CANARY not in str(caught.value)
    with pytest.raises(KeyBindingError):
        services.keys.reveal_key(bob, bob_key)


def test_wrong_master_key_fails_naming_the_setting_and_loses_nothing(
    services: Services, db: Database, alice: Actor
) -> None:
    add_key(services, alice, api_key=CANARY)
    before = snapshot(db)
    wrong = Services(db.session_factory, KeyVault([generate_master_key()]))
    for attempt in (
        lambda: wrong.keys.credentials_for(alice),
        lambda: wrong.keys.rotate_keys(SYSTEM),
    ):
        with pytest.raises(SecretKeyError, match="WORKBENCH_SECRET_KEYS"):
            attempt()
    assert snapshot(db) == before  # ciphertext, last use and audit trail untouched


def test_rotation_reencrypts_every_key_under_the_newest_master_key(
    services: Services, db: Database, master_key: str, alice: Actor, bob: Actor, admin: Actor
) -> None:
    add_key(services, alice, api_key=CANARY)
    add_key(services, bob, provider="anthropic", api_key="sk-ant-bob-3333333333333")
    with db.transaction() as session:
        old_ciphertexts = set(session.scalars(select(models.APIKey.ciphertext)))
    newest = generate_master_key()
    during = Services(db.session_factory, KeyVault([newest, master_key]))
    assert during.keys.credentials_for(alice).get("openai").api_key.get_secret_value() == CANARY

    assert during.keys.rotate_keys(admin) == 2

    with db.transaction() as session:
        assert not old_ciphertexts & set(session.scalars(select(models.APIKey.ciphertext)))
    after = Services(db.session_factory, KeyVault([newest]))
    assert after.keys.credentials_for(alice).get("openai").api_key.get_secret_value() == CANARY
    assert after.keys.credentials_for(bob).get("anthropic") is not None
    (event,) = [e for e in services.audit.list_events(admin).items if e.action == "key.rotate"]
    assert event.details == {"count": 2}


def test_only_an_administrator_rotates(services: Services, alice: Actor) -> None:
    with pytest.raises(PermissionDenied):
        services.keys.rotate_keys(alice)


def test_s8_canary_key_is_in_no_log_repr_error_or_row(
    services: Services,
    db: Database,
    alice: Actor,
    admin: Actor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    key = services.keys.create_key(alice, {"provider": "openai", "api_key": CANARY})
    seen += [
        repr(key),
        repr(services.keys.list_keys(alice)),
        repr(services.keys.get_key(alice, key.id)),
    ]
    seen.append(repr(services.keys.update_key(alice, key.id, {"label": "renamed"})))
    secret = services.keys.reveal_key(alice, key.id)
    seen += [repr(secret), str(secret)]
    credentials = services.keys.credentials_for(alice)
    seen += [repr(credentials), repr(credentials.get("openai"))]
    services.keys.rotate_keys(admin)
    for failing in (
        lambda: services.keys.create_key(alice, {"provider": "nope", "api_key": CANARY}),
        lambda: services.keys.create_key(
            alice, {"provider": "openai", "api_key": CANARY, "x": CANARY}
        ),
        lambda: Services(
            db.session_factory, KeyVault([generate_master_key()])
        ).keys.credentials_for(alice),
    ):
        with pytest.raises(Exception) as caught:
            failing()
        seen += [str(caught.value), repr(caught.value)]
    seen.append(repr(services.audit.list_events(admin)))
    seen.append(all_text(db))
    seen.append(caplog.text)
    assert all(CANARY not in text for text in seen)


@pytest.fixture
def committed(empty_database_url: str, master_key: str) -> Iterator[tuple[Services, Database]]:
    """Services on a real database whose transactions really commit (to read its files)."""
    upgrade(empty_database_url)
    database = Database.from_url(empty_database_url)
    yield Services(database.session_factory, KeyVault([master_key])), database
    database.dispose()


def test_s8_database_holds_no_plaintext_key(committed: tuple[Services, Database]) -> None:
    services, database = committed
    user = services.users.ensure_user("carol", admin=False)
    actor = services.users.actor_for(user)
    services.keys.create_key(actor, {"provider": "openai", "api_key": CANARY})
    assert services.keys.credentials_for(actor).get("openai") is not None
    assert CANARY not in all_text(database)
    if database.engine.dialect.name == "sqlite":
        path = Path(database.engine.url.database or "")
        database.dispose()
        files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
        raw = b"".join(p.read_bytes() for p in files)
        assert b"ciphertext" in raw  # the schema is there: we are reading the right bytes
        assert CANARY.encode() not in raw
