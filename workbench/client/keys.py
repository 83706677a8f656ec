"""`client.keys`: your provider API keys, stored encrypted by the workbench and shown masked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from workbench.client import endpoints
from workbench.client.models import APIKey, id_of

if TYPE_CHECKING:
    import pandas as pd

    from workbench.client.client import Client


class Keys:
    def __init__(self, client: Client) -> None:
        self._client = client

    def add(
        self,
        provider: str,
        api_key: str | SecretStr,
        *,
        label: str | None = None,
        base_url: str | None = None,
    ) -> APIKey:
        """Store a key for `provider` (`openai`, `anthropic`, `google`, `openai-compatible`).

        The workbench encrypts it and never shows it in full again: what comes back is masked.
        Type it with `getpass.getpass()` rather than into a cell, so it is not saved in the
        notebook.
        `base_url` is the endpoint of an OpenAI-compatible server (Ollama, vLLM, a gateway).
        """
        if isinstance(api_key, SecretStr):
            api_key = api_key.get_secret_value()
        body: dict[str, Any] = {"provider": provider, "api_key": api_key}
        if label is not None:
            body["label"] = label
        if base_url is not None:
            body["base_url"] = base_url
        return APIKey.model_validate(self._client.transport.send(endpoints.CREATE_KEY, json=body))

    def list(self) -> list[APIKey]:
        """Your keys, masked."""
        return [APIKey.model_validate(i) for i in self._client.transport.pages(endpoints.LIST_KEYS)]

    def frame(self) -> pd.DataFrame:
        """Your keys as a DataFrame (provider, label, hint, base_url, last_used_at, created_at)."""
        import pandas as pd

        columns = ["id", "provider", "label", "hint", "base_url", "last_used_at", "created_at"]
        rows = [key.model_dump(include=set(columns)) for key in self.list()]
        return pd.DataFrame(rows, columns=columns)

    def get(self, key: APIKey | str) -> APIKey:
        data = self._client.transport.send(endpoints.GET_KEY, key_id=id_of(key, "key"))
        return APIKey.model_validate(data)

    def update(
        self, key: APIKey | str, *, label: str | None = None, base_url: str | None = None
    ) -> APIKey:
        """Change a key's label or endpoint; to replace the key itself, add a new one."""
        body = {k: v for k, v in {"label": label, "base_url": base_url}.items() if v is not None}
        data = self._client.transport.send(
            endpoints.UPDATE_KEY, json=body, key_id=id_of(key, "key")
        )
        return APIKey.model_validate(data)

    def delete(self, key: APIKey | str) -> None:
        self._client.transport.send(endpoints.DELETE_KEY, key_id=id_of(key, "key"))
