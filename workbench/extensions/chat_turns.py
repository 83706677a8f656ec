"""Chat turns: `POST /api/chat/sessions/{session_id}/turns` asks every model of the session.

The turn runs as an execution of the session's chat agent (`workbench.services.chat_turns`), so
the answer is 202 at once with the user's message and the execution's id; each model's reply is
added to the session's messages as it finishes, and the execution's live channel streams it.
"""

from __future__ import annotations

from typing import ClassVar

from tornado import web

from workbench.extensions.base import WorkbenchAPIHandler
from workbench.extensions.routes import Operation, route
from workbench.services.chat_turns import ChatTurn, ChatTurnCreate, ChatTurns

TAG = "chat"


class ChatTurnHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "post": Operation(
            "Ask every model of the session: answers at once with the turn's execution",
            TAG,
            status=202,
            body=ChatTurnCreate,
            response=ChatTurn,
            description="The user's message is stored at once; each model's reply is added to "
            "the session's messages (with this `execution_id`) as it finishes, and "
            "`executions/{execution_id}/live` streams it (`models` maps its step ids to the "
            "models). `Location` is the execution.",
        )
    }

    @web.authenticated
    async def post(self, session_id: str) -> None:
        data = self.parse_body(ChatTurnCreate)
        turns = ChatTurns(self.workbench.services, self.workbench.runner)
        # It subscribes to the execution: that waits for the execution process to answer.
        turn = await self.call_waiting(turns.start_turn, session_id, data)
        self.respond(turn, status=202, location=self.api_url("executions", str(turn.execution_id)))


default_handlers = [
    route("/api/chat/sessions/{session_id}/turns", ChatTurnHandler),
]
