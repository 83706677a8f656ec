"""The key vault: MultiFernet encryption bound to owner and provider, master keys, rotation."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import pytest

from workbench.config import Settings
from workbench.errors import SecretKeyError
from workbench.keyvault import KeyBindingError, KeyVault, generate_master_key

ALICE = uuid.uuid4()
BOB = uuid.uuid4()
SECRET = "sk-test-0123456789abcdefghij"


def test_encrypted_key_decrypts_for_its_owner_and_provider() -> None:
    vault = KeyVault([generate_master_key()])
    token = vault.encrypt(SECRET, user_id=ALICE, provider="openai")
    assert SECRET not in token
    assert vault.decrypt(token, user_id=ALICE, provider="openai") == SECRET


@pytest.mark.parametrize(("user", "provider"), [(BOB, "openai"), (ALICE, "anthropic")])
def test_s7_ciphertext_does_not_decrypt_for_another_owner_or_provider(
    user: uuid.UUID, provider: str
) -> None:
    vault = KeyVault([generate_master_key()])
    token = vault.encrypt(SECRET, user_id=ALICE, provider="openai")
    with pytest.raises(KeyBindingError) as caught:
        vault.decrypt(token, user_id=user, provider=provider)
    assert SECRET not in str(caught.value)


def test_s7_no_master_key_outside_the_embedded_default_fails_closed(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"WORKBENCH_DATA_DIR": str(tmp_path), "WORKBENCH_DATABASE_URL": "postgresql://db/wb"}
    )
    with pytest.raises(SecretKeyError) as caught:
        KeyVault.from_settings(settings)
    assert "WORKBENCH_SECRET_KEYS" in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # no key file was made up instead


def test_embedded_default_generates_a_private_key_file_once(tmp_path: Path) -> None:
    settings = Settings.from_env({"WORKBENCH_DATA_DIR": str(tmp_path / "data")})
    first = KeyVault.from_settings(settings)
    mode = stat.S_IMODE(settings.secret_key_file.stat().st_mode)
    assert mode == 0o600
    token = first.encrypt(SECRET, user_id=ALICE, provider="openai")
    again = KeyVault.from_settings(settings)
    assert again.decrypt(token, user_id=ALICE, provider="openai") == SECRET
    assert [p.name for p in settings.secret_key_file.parent.iterdir()] == ["secret.key"]


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    settings = Settings.from_env({"WORKBENCH_DATA_DIR": str(tmp_path)})
    KeyVault.from_settings(settings)
    settings.secret_key_file.chmod(0o644)
    with pytest.raises(SecretKeyError, match="chmod 600"):
        KeyVault.from_settings(settings)


def test_configured_keys_win_over_the_key_file(tmp_path: Path) -> None:
    key = generate_master_key()
    settings = Settings.from_env(
        {"WORKBENCH_DATA_DIR": str(tmp_path), "WORKBENCH_SECRET_KEYS": key}
    )
    vault = KeyVault.from_settings(settings)
    token = vault.encrypt(SECRET, user_id=ALICE, provider="openai")
    assert KeyVault([key]).decrypt(token, user_id=ALICE, provider="openai") == SECRET
    assert not settings.secret_key_file.exists()


def test_malformed_master_key_names_the_setting_not_the_value() -> None:
    with pytest.raises(SecretKeyError) as caught:
        KeyVault([generate_master_key(), "not-a-fernet-key"])
    message = str(caught.value)
    assert "WORKBENCH_SECRET_KEYS entry 2" in message
    assert "not-a-fernet-key" not in message


def test_wrong_master_key_fails_loudly_naming_the_setting() -> None:
    token = KeyVault([generate_master_key()]).encrypt(SECRET, user_id=ALICE, provider="openai")
    with pytest.raises(SecretKeyError, match="WORKBENCH_SECRET_KEYS"):
        KeyVault([generate_master_key()]).decrypt(token, user_id=ALICE, provider="openai")


def test_old_ciphertext_decrypts_during_rotation_and_rotates_to_the_newest_key() -> None:
    old, new = generate_master_key(), generate_master_key()
    token = KeyVault([old]).encrypt(SECRET, user_id=ALICE, provider="openai")
    during = KeyVault([new, old])
    assert during.decrypt(token, user_id=ALICE, provider="openai") == SECRET
    rotated = during.rotate(token)
    assert KeyVault([new]).decrypt(rotated, user_id=ALICE, provider="openai") == SECRET
    with pytest.raises(SecretKeyError):
        KeyVault([old]).decrypt(rotated, user_id=ALICE, provider="openai")


def test_repr_shows_no_key_material() -> None:
    key = generate_master_key()
    assert key not in repr(KeyVault([key]))
