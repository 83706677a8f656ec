"""Credentials the caller hands to the engine for one execution; never read from the environment.

The workbench decrypts the owner's keys and passes them here; a notebook passes its own. Keys
are `pydantic.SecretStr`, so `repr`, `str` and pydantic dumps show only asterisks.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, SecretStr


class ProviderCredential(BaseModel):
    """The key for one provider, and optionally where that provider's API lives."""

    model_config = ConfigDict(frozen=True)

    api_key: SecretStr | None = None
    # Overrides the provider's default endpoint: an OpenAI-compatible server (Ollama, vLLM),
    # a corporate gateway, or the fake provider server in tests.
    base_url: str | None = None


class Credentials:
    """Provider name -> credential, for one execution."""

    def __init__(self, by_provider: Mapping[str, ProviderCredential] | None = None) -> None:
        self._by_provider = dict(by_provider or {})

    @classmethod
    def of(cls, **keys: str | ProviderCredential) -> Credentials:
        """`Credentials.of(openai="sk-...", anthropic=ProviderCredential(...))`."""
        converted = {
            provider: value
            if isinstance(value, ProviderCredential)
            else ProviderCredential(api_key=SecretStr(value))
            for provider, value in keys.items()
        }
        return cls(converted)

    def get(self, provider: str) -> ProviderCredential | None:
        return self._by_provider.get(provider)

    def providers(self) -> list[str]:
        return sorted(self._by_provider)

    def secret_values(self) -> Iterable[str]:
        """Every plaintext key, so error messages can be scrubbed of them before they leave."""
        for credential in self._by_provider.values():
            if credential.api_key is not None:
                value = credential.api_key.get_secret_value()
                if value:
                    yield value

    def __repr__(self) -> str:
        return f"Credentials(providers={self.providers()!r})"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of any of `secrets` in `text`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


def scrubbed_traceback(secrets: Iterable[str]) -> str:
    """The exception being handled, formatted and scrubbed: for logs, which must never show a
    key even when a library put one in an exception message."""
    return scrub(traceback.format_exc(), list(secrets))
