"""HTTP to the workbench API over httpx: the token header, JSON in and out, errors as exceptions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from workbench import __version__
from workbench.client.config import Connection
from workbench.client.endpoints import Endpoint
from workbench.client.errors import ConnectionFailed, error_for

DEFAULT_TIMEOUT_S = 30.0
PAGE_SIZE = 200  # the API's largest page


class Transport:
    """One httpx client bound to the service URL, sending the hub token with every request."""

    def __init__(
        self,
        connection: Connection,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        http: httpx.Client | None = None,
    ) -> None:
        self.connection = connection
        self._http = http or httpx.Client(
            base_url=connection.service_url,
            headers=self.headers(),
            timeout=timeout,
        )

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"token {self.connection.token}",
            "User-Agent": f"workbench-client/{__version__}",
            "Accept": "application/json",
        }

    def url(self, endpoint: Endpoint, **path: str) -> str:
        return self.connection.service_url + endpoint.format(**path).lstrip("/")

    def send(
        self,
        endpoint: Endpoint,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        **path: str,
    ) -> Any:
        """Call `endpoint`; its JSON answer (None for an empty one), or the matching `APIError`."""
        url = self.url(endpoint, **path)
        method = endpoint.method.upper()
        try:
            response = self._http.request(
                method, url, params=_query(params), json=json if json is not None else None
            )
        except httpx.TimeoutException as e:
            raise ConnectionFailed(f"{method} {url} timed out ({e.__class__.__name__})") from e
        except httpx.TransportError as e:
            raise ConnectionFailed(
                f"cannot reach the workbench at {self.connection.service_url}: {e}"
            ) from e
        return parse_response(response)

    def pages(
        self, endpoint: Endpoint, *, params: Mapping[str, Any] | None = None, **path: str
    ) -> Iterator[dict[str, Any]]:
        """Every item of a paginated listing, fetching pages as they are needed."""
        offset = 0
        while True:
            page = self.send(
                endpoint, params={**(params or {}), "offset": offset, "limit": PAGE_SIZE}, **path
            )
            items = page["items"]
            yield from items
            offset += len(items)
            if not items or offset >= page["total"]:
                return

    def close(self) -> None:
        self._http.close()


def parse_response(response: httpx.Response) -> Any:
    """The JSON body of a successful response; raise the `APIError` of an error response."""
    request = response.request
    if response.is_success:
        if response.status_code == 204 or not response.content:
            return None
        return response.json()
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    raise error_for(
        response.status_code,
        body,
        method=request.method,
        url=str(request.url),
        reason=response.reason_phrase,
    )


def _query(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not params:
        return None
    query: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        query[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return query
