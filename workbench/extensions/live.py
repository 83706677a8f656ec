"""The live channel: `GET /api/executions/{execution_id}/live`, an execution's events, live.

On connection it sends `{"type": "snapshot", "execution": <the execution with its steps>}`, then
every engine event as it happens (`event.to_dict()`: `step_started`, `step_token`, …), and closes
after `execution_finished` (or at once, after the snapshot, if the execution had already
finished). By the time an event is sent, the database already reflects it.

Security (SECURITY.md S5): the upgrade needs a hub identity (token or the service's login
cookie) that may read the execution — otherwise 401/403 or 404, before any handshake — and an
`Origin` matching the host it was sent to (403 otherwise).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web
from tornado.websocket import WebSocketHandler

from agents import events
from workbench.extensions.base import (
    ApiError,
    WorkbenchHandlerMixin,
    start_request_context,
    unauthenticated,
    write_json_error,
)
from workbench.extensions.routes import Operation, route
from workbench.extensions.serialize import to_data
from workbench.services import Execution

MAX_QUEUED_EVENTS = 10_000


class LiveHandler(
    WorkbenchHandlerMixin, WebSocketMixin, WebSocketHandler, ExtensionHandlerMixin, JupyterHandler
):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "Watch an execution live (WebSocket; connect with Upgrade: websocket)",
            "executions",
            status=101,
            errors=(400,),
            description="Messages: a `snapshot` with the execution, then each engine event "
            "(`type` names it); the server closes after `execution_finished`.",
        )
    }

    def initialize(self, name: str, route_path: str = "", **kwargs: Any) -> None:
        super().initialize(name, **kwargs)
        self.route_path = route_path
        self._events: asyncio.Queue[events.Event] = asyncio.Queue(MAX_QUEUED_EVENTS)
        self._unsubscribe: Any = None
        self._pump: asyncio.Task[None] | None = None

    async def prepare(self) -> None:  # type: ignore[override]
        start_request_context(self)
        try:
            await super().prepare()
        except web.HTTPError as e:
            if e.status_code == 403 and self.current_user is None:
                raise unauthenticated(self) from None
            raise
        self.authenticate_identity()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        write_json_error(self, status_code, kwargs.get("exc_info"))

    def skip_check_origin(self) -> bool:
        # jupyter-server skips the Origin check for token-authenticated requests; a browser
        # page from another origin is refused here whatever it authenticates with.
        return False

    @web.authenticated
    async def get(self, execution_id: str) -> None:
        if self.request.headers.get("Upgrade", "").lower() != "websocket":
            raise ApiError(400, "this is a WebSocket: connect with Upgrade: websocket")
        # Not visible (or missing): 404 before the handshake.
        await self.call(self.workbench.services.executions.get_execution, execution_id)
        await super().get(execution_id)

    async def open(self, execution_id: str) -> None:  # type: ignore[override]
        super().open(execution_id)
        loop = asyncio.get_running_loop()
        self._unsubscribe = await self.call_waiting(
            self.workbench.runner.subscribe, execution_id, self._deliver_from(loop)
        )
        # Subscribed first, then the snapshot: nothing falls between the two.
        execution: Execution = await self.call(
            self.workbench.services.executions.get_execution, execution_id
        )
        await self._send({"type": "snapshot", "execution": to_data(execution)})
        if execution.is_finished:
            self.close(1000, "finished")
            return
        self._pump = asyncio.ensure_future(self._forward())

    def _deliver_from(self, loop: asyncio.AbstractEventLoop) -> Any:
        def deliver(event: events.Event) -> None:  # on the runner's thread
            loop.call_soon_threadsafe(self._enqueue, event)

        return deliver

    def _enqueue(self, event: events.Event) -> None:
        try:
            self._events.put_nowait(event)
        except asyncio.QueueFull:
            if not isinstance(event, events.StepToken):  # tokens may be dropped; states not
                self.close(1011, "the client is not keeping up")

    async def _forward(self) -> None:
        while True:
            event = await self._events.get()
            await self._send(event.to_dict())
            if isinstance(event, events.ExecutionFinished):
                self.close(1000, "finished")
                return

    async def _send(self, message: dict[str, Any]) -> None:
        if self.ws_connection is None or self.ws_connection.is_closing():
            return
        await self.write_message(json.dumps(message, default=str))

    def on_message(self, message: str | bytes) -> None:
        """Clients only listen; anything they send is ignored."""

    def on_close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._pump is not None:
            self._pump.cancel()


default_handlers = [route("/api/executions/{execution_id}/live", LiveHandler)]
