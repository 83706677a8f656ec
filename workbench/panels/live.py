"""Engine events of the executions a page follows, delivered on the page's own Bokeh loop.

The runner calls back on an engine thread; a page must only change its widgets on its document's
event loop, so each event is handed over with `doc.add_next_tick_callback` (the one Bokeh call
that is safe from another thread). Outside a server session (unit tests) events are applied
where they arrive. Subscriptions end when the browser session does.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import partial

import panel as pn
from panel.io.state import set_curdoc

from agents.events import Event
from workbench.panels.context import ExecutionRunner
from workbench.services.actor import Actor

log = logging.getLogger(__name__)

EventHandler = Callable[[Event], None]


class LiveFeed:
    """One page's subscriptions: `follow(execution_id, handler)`, `close()`."""

    def __init__(
        self, runner: ExecutionRunner | None, actor: Actor, *, in_server: bool = False
    ) -> None:
        self._runner = runner
        self._actor = actor
        self._doc = pn.state.curdoc if in_server else None
        self._subscriptions: dict[uuid.UUID, Callable[[], None]] = {}
        if self._doc is not None:
            pn.state.on_session_destroyed(lambda _context: self.close())

    @property
    def available(self) -> bool:
        return self._runner is not None

    def following(self, execution_id: uuid.UUID) -> bool:
        return execution_id in self._subscriptions

    def follow(self, execution_id: uuid.UUID, handler: EventHandler) -> None:
        if self._runner is None or execution_id in self._subscriptions:
            return
        self._subscriptions[execution_id] = self._runner.subscribe(
            self._actor, execution_id, partial(self._deliver, handler)
        )

    def unfollow(self, execution_id: uuid.UUID) -> None:
        unsubscribe = self._subscriptions.pop(execution_id, None)
        if unsubscribe is not None:
            unsubscribe()

    def close(self) -> None:
        for execution_id in list(self._subscriptions):
            self.unfollow(execution_id)

    def soon(self, callback: Callable[[], None], delay_ms: int) -> None:
        """Run `callback` on the page's loop in `delay_ms` (now, outside a browser session).

        Streamed tokens arrive by the dozen per second; pages gather them and show them at
        this pace instead of sending the browser one update per token.
        """
        if self._doc is None:
            callback()
        else:
            self._doc.add_timeout_callback(partial(self._run, callback), delay_ms)

    def _run(self, callback: Callable[[], None]) -> None:
        with set_curdoc(self._doc):
            try:
                callback()
            except Exception:
                log.exception("a delayed dashboard update failed")

    def _deliver(self, handler: EventHandler, event: Event) -> None:
        if self._doc is None:
            handler(event)
        else:
            self._doc.add_next_tick_callback(partial(self._apply, handler, event))

    def _apply(self, handler: EventHandler, event: Event) -> None:
        with set_curdoc(self._doc):
            try:
                handler(event)
            except Exception:  # a broken update must not end the session's other updates
                log.exception("applying a live %s event failed", event.type)
