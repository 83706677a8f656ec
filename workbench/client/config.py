"""Where the workbench is and which token to send: from arguments, or from the hub's environment.

Inside a notebook server spawned by JupyterHub the environment says everything:

- the token: `JUPYTERHUB_API_TOKEN` (the server's own hub token, which may use the workbench);
- the service: `WORKBENCH_API_URL` when the hub sets it (the workbench's hub configuration
  does), else derived from the hub's public URL: `JUPYTERHUB_PUBLIC_HUB_URL`
  (`https://hub.example.org/hub/`), or `JUPYTERHUB_HOST` + `JUPYTERHUB_BASE_URL`, with
  `services/workbench/` after the hub's base URL.

`JUPYTERHUB_API_URL` is not used for the service: it is the hub's own API, which may be an
internal address that does not route `/services/`.

Outside a hub, pass `url` (the service URL `…/services/workbench/` or its API URL
`…/services/workbench/api/`) and `token` (a hub API token), or set the same variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from workbench.client.errors import ConfigurationError

SERVICE_NAME = "workbench"
TOKEN_VARIABLE = "JUPYTERHUB_API_TOKEN"
URL_VARIABLE = "WORKBENCH_API_URL"
PUBLIC_HUB_URL_VARIABLE = "JUPYTERHUB_PUBLIC_HUB_URL"
HOST_VARIABLE = "JUPYTERHUB_HOST"
BASE_URL_VARIABLE = "JUPYTERHUB_BASE_URL"


@dataclass(frozen=True)
class Connection:
    """The service's URL (ending in `/services/workbench/`) and the hub token to send."""

    service_url: str
    token: str

    @property
    def api_url(self) -> str:
        return self.service_url + "api/"

    def __repr__(self) -> str:  # never show the token
        return f"Connection(service_url={self.service_url!r})"


def service_url_of(url: str) -> str:
    """The service URL for a service or API URL, always ending in `/` and never in `api/`."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"url {url!r} is not an http(s) URL; expected e.g. "
            "'https://hub.example.org/services/workbench/'"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"url {url!r} must not have a query or fragment")
    path = parts.path.rstrip("/")
    if path.endswith("/api"):
        path = path[: -len("/api")]
    return f"{parts.scheme}://{parts.netloc}{path}/"


def _from_hub_urls(env: Mapping[str, str]) -> str | None:
    public_hub = env.get(PUBLIC_HUB_URL_VARIABLE, "").strip()
    if public_hub:
        # "<public origin><base_url>hub/": the service is beside the hub, under the same base.
        base = public_hub.rstrip("/")
        if base.endswith("/hub"):
            base = base[: -len("/hub")]
        return f"{base}/services/{SERVICE_NAME}/"
    host = env.get(HOST_VARIABLE, "").strip().rstrip("/")
    if host:
        base_url = env.get(BASE_URL_VARIABLE, "/").strip() or "/"
        base_url = "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"
        return f"{host}{base_url}services/{SERVICE_NAME}/"
    return None


def resolve(
    url: str | None = None,
    token: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Connection:
    """The connection from the arguments, falling back to the environment for what is missing."""
    env = os.environ if environ is None else environ
    raw_url = url or env.get(URL_VARIABLE, "").strip() or _from_hub_urls(env)
    if not raw_url:
        raise ConfigurationError(
            "where is the workbench? Pass url='https://<hub>/services/workbench/', or set "
            f"{URL_VARIABLE} (a notebook server started by the workbench's hub has it, or "
            f"{PUBLIC_HUB_URL_VARIABLE})"
        )
    chosen_token = (token or env.get(TOKEN_VARIABLE, "")).strip()
    if not chosen_token:
        raise ConfigurationError(
            f"no token: pass token='<hub API token>' (make one on the hub's Token page), or set "
            f"{TOKEN_VARIABLE} (notebook servers started by the hub have it)"
        )
    return Connection(service_url_of(raw_url), chosen_token)
