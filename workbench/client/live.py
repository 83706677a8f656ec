"""The execution live channel: `GET …/api/executions/{id}/live`, a WebSocket of engine events.

The server sends `{"type": "snapshot", "execution": {...}}` first, then every engine event
(`agents.events`, as `to_dict()`), and closes after `execution_finished`. Here each message
becomes a `Snapshot` (an `Execution`) or an `agents.events.Event`.

The handshake carries the hub token like every other request and no `Origin` (a script, not a
page). An error answer to the handshake (401, 403, 404) raises the same `APIError` as the REST
API; when the WebSocket cannot be opened at all (a proxy that does not pass upgrades, say),
`LiveUnavailable` tells the caller to poll instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from agents.events import Event, event_from_dict
from workbench.client.config import Connection
from workbench.client.endpoints import LIVE_EXECUTION
from workbench.client.errors import WorkbenchClientError, error_for
from workbench.client.models import Execution

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a snapshot carries every step's output
OPEN_TIMEOUT_S = 10.0


class LiveUnavailable(WorkbenchClientError):
    """The live channel could not be opened; polling still works."""


@dataclass(frozen=True)
class Snapshot:
    """The execution as it stood when the channel opened."""

    execution: Execution


LiveMessage = Snapshot | Event


def live_url(connection: Connection, execution_id: str) -> str:
    http_url = connection.service_url + LIVE_EXECUTION.format(execution_id=execution_id)[1:]
    return "ws" + http_url[len("http") :]  # http → ws, https → wss


def _connect_options(connection: Connection) -> dict[str, Any]:
    return {
        "additional_headers": {"Authorization": f"token {connection.token}"},
        "open_timeout": OPEN_TIMEOUT_S,
        "max_size": MAX_MESSAGE_BYTES,
    }


def parse_message(raw: str | bytes) -> LiveMessage:
    data = json.loads(raw)
    if data.get("type") == "snapshot":
        return Snapshot(Execution.model_validate(data["execution"]))
    return event_from_dict(data)


def _handshake_error(error: InvalidHandshake, url: str) -> Exception:
    if isinstance(error, InvalidStatus) and error.response.status_code in (401, 403, 404):
        response = error.response
        try:
            body = json.loads(response.body or b"")
        except ValueError:
            body = None
        return error_for(
            response.status_code, body, method="GET", url=url, reason=response.reason_phrase
        )
    return LiveUnavailable(f"the live channel at {url} refused the WebSocket: {error}")


def messages(
    connection: Connection, execution_id: str, *, deadline: float | None = None
) -> Iterator[LiveMessage]:
    """The channel's messages until the server closes it.

    Past `deadline` (a `time.monotonic()` value) the next wait raises `TimeoutError`.
    """
    from websockets.sync.client import connect

    url = live_url(connection, execution_id)
    try:
        socket = connect(url, **_connect_options(connection))
    except InvalidHandshake as e:
        raise _handshake_error(e, url) from e
    except (OSError, TimeoutError) as e:
        raise LiveUnavailable(f"cannot open the live channel at {url}: {e}") from e
    with socket:
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                raw = socket.recv(timeout=timeout)
            except ConnectionClosed:
                return
            yield parse_message(raw)


async def amessages(connection: Connection, execution_id: str) -> AsyncIterator[LiveMessage]:
    """`messages`, for `async for` (the notebook's event loop stays free while waiting)."""
    from websockets.asyncio.client import connect

    url = live_url(connection, execution_id)
    try:
        socket = await connect(url, **_connect_options(connection))
    except InvalidHandshake as e:
        raise _handshake_error(e, url) from e
    except (OSError, TimeoutError) as e:
        raise LiveUnavailable(f"cannot open the live channel at {url}: {e}") from e
    async with socket:
        while True:
            try:
                raw = await socket.recv()
            except ConnectionClosed:
                return
            yield parse_message(raw)
