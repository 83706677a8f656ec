"""`client.executions`: start an agent, wait for it with a progress bar, stream its events.

Waiting follows the execution's live channel (a WebSocket of engine events) when the server
offers it, and falls back to polling the execution otherwise; either way `wait` returns the
finished execution as the server stored it. Interrupting a wait (Ctrl-C, the kernel's stop
button) stops waiting, not the execution: call `execution.cancel()` for that.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from agents.events import StepToken
from workbench.client import endpoints, live
from workbench.client.errors import WorkbenchClientError
from workbench.client.live import LiveMessage, LiveUnavailable, Snapshot
from workbench.client.models import EXECUTION_TERMINAL, Agent, Execution, id_of
from workbench.client.progress import StepProgress

if TYPE_CHECKING:
    import pandas as pd

    from workbench.client.client import Client

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.5


class WaitTimeout(WorkbenchClientError, TimeoutError):
    """The execution did not finish in time; it goes on running on the server."""

    def __init__(self, execution: Execution, timeout: float) -> None:
        super().__init__(
            f"execution {execution.id} is still {execution.status} after {timeout:g} s; it goes "
            "on running on the server (wait again, or cancel it)"
        )
        self.execution = execution


class Executions:
    def __init__(self, client: Client) -> None:
        self._client = client

    def _execution(self, data: Any) -> Execution:
        return Execution.model_validate(data).bound(self._client)

    def start(self, agent: Agent | str, inputs: dict[str, Any] | None = None) -> Execution:
        """Start `agent` on `inputs`; returns at once with the PENDING execution."""
        data = self._client.transport.send(
            endpoints.EXECUTE_AGENT, json={"inputs": inputs or {}}, agent_id=id_of(agent, "agent")
        )
        return self._execution(data)

    def run(
        self,
        agent: Agent | str,
        inputs: dict[str, Any] | None = None,
        *,
        wait: bool = True,
        timeout: float | None = None,
        progress: bool = True,
    ) -> Execution:
        """Start `agent` on `inputs` and, with `wait`, return it finished."""
        execution = self.start(agent, inputs)
        if not wait:
            return execution
        return self.wait(execution, timeout=timeout, progress=progress)

    def get(self, execution: Execution | str) -> Execution:
        """The execution with its steps, as it is now."""
        data = self._client.transport.send(
            endpoints.GET_EXECUTION, execution_id=id_of(execution, "execution")
        )
        return self._execution(data)

    def list(
        self, *, agent: Agent | str | None = None, status: str | None = None
    ) -> list[Execution]:
        """An agent's executions (or all of yours), newest first; `status` filters them."""
        params = {"status": status}
        if agent is not None:
            items = self._client.transport.pages(
                endpoints.LIST_AGENT_EXECUTIONS, params=params, agent_id=id_of(agent, "agent")
            )
        else:
            items = self._client.transport.pages(endpoints.LIST_EXECUTIONS, params=params)
        return [self._execution(item) for item in items]

    def frame(self, *, agent: Agent | str | None = None) -> pd.DataFrame:
        """The executions of `list()` as a DataFrame, one row each."""
        from workbench.client import frames

        return frames.executions_frame(self.list(agent=agent))

    def cancel(self, execution: Execution | str) -> Execution:
        """Ask the server to stop the execution; no further step starts after this returns."""
        data = self._client.transport.send(
            endpoints.CANCEL_EXECUTION, execution_id=id_of(execution, "execution")
        )
        return self._execution(data)

    def delete(self, execution: Execution | str) -> None:
        """Delete a finished execution."""
        self._client.transport.send(
            endpoints.DELETE_EXECUTION, execution_id=id_of(execution, "execution")
        )

    def wait(
        self,
        execution: Execution | str,
        *,
        timeout: float | None = None,
        progress: bool = True,
        live: bool = True,
        poll_interval: float = POLL_INTERVAL_S,
    ) -> Execution:
        """Block until the execution is COMPLETED, FAILED or CANCELLED, and return it.

        Follows the live channel, or polls the execution's status every `poll_interval` seconds
        when the channel cannot be opened or closes early (or with `live=False`, for networks
        that do not pass WebSockets). `timeout` (seconds) raises `WaitTimeout`; the execution
        goes on running on the server.
        """
        current = self.get(execution)
        deadline = None if timeout is None else time.monotonic() + timeout
        label = f"{current.agent_name or 'execution'} #{current.number}"
        planned = len(current.steps) or len(current.spec.get("substeps", ()))
        with StepProgress(label, total=planned, enabled=progress) as bar:
            bar.tally.apply_snapshot(current)
            bar.update()
            if current.is_finished:
                return current
            if live:
                try:
                    self._follow_live(current.id, deadline, bar)
                except LiveUnavailable as e:
                    log.info("polling execution %s: %s", current.id, e)
            if bar.tally.status not in EXECUTION_TERMINAL:
                self._follow_polling(current.id, deadline, poll_interval, bar)
        current = self.get(current)
        if not current.is_finished:
            raise WaitTimeout(current, timeout or 0.0)
        return current

    def stream(self, execution: Execution | str) -> Iterator[LiveMessage]:
        """The execution as it happens, from the live channel: first a `Snapshot` (the execution
        as it stood when the channel opened), then each engine event (`agents.events`) until
        `ExecutionFinished`. For an execution that has already finished, only the snapshot.

            for event in client.executions.stream(execution):
                if isinstance(event, StepToken):
                    print(event.text, end="")
        """
        execution_id = id_of(execution, "execution")
        for message in live.messages(self._client.connection, execution_id):
            yield self._bind(message)

    async def astream(self, execution: Execution | str) -> AsyncIterator[LiveMessage]:
        """`stream`, for `async for` in a notebook cell: the kernel stays responsive."""
        execution_id = id_of(execution, "execution")
        async for message in live.amessages(self._client.connection, execution_id):
            yield self._bind(message)

    def _bind(self, message: LiveMessage) -> LiveMessage:
        if isinstance(message, Snapshot):
            message.execution.bound(self._client)
        return message

    def _follow_live(self, execution_id: str, deadline: float | None, bar: StepProgress) -> None:
        try:
            for message in live.messages(self._client.connection, execution_id, deadline=deadline):
                if isinstance(message, Snapshot):
                    bar.tally.apply_snapshot(message.execution)
                elif isinstance(message, StepToken):
                    continue
                else:
                    bar.tally.apply_event(message)
                bar.update()
        except TimeoutError:
            return

    def _follow_polling(
        self, execution_id: str, deadline: float | None, interval: float, bar: StepProgress
    ) -> None:
        while bar.tally.status not in EXECUTION_TERMINAL:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return
            time.sleep(interval if remaining is None else min(interval, remaining))
            state = self._client.transport.send(
                endpoints.EXECUTION_STATUS, execution_id=execution_id
            )
            steps = [(step["step_id"], step["status"]) for step in state["steps"]]
            bar.tally.apply_states(state["status"], steps)
            bar.update()
