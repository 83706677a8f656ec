"""Chat rooms: `/api/chat/sessions`, one session, and its messages."""

from __future__ import annotations

from typing import ClassVar

from tornado import web

from workbench.extensions.base import WorkbenchAPIHandler
from workbench.extensions.routes import PAGE_QUERY, Listing, Operation, route
from workbench.services import (
    ChatMessage,
    ChatMessageCreate,
    ChatSession,
    ChatSessionCreate,
    ChatSessionUpdate,
)

TAG = "chat"


class ChatSessionListHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "Your chat sessions, most recently active first",
            TAG,
            response=Listing(ChatSession),
            query=PAGE_QUERY,
        ),
        "post": Operation(
            "Open a chat session with one or more models",
            TAG,
            status=201,
            body=ChatSessionCreate,
            response=ChatSession,
        ),
    }

    @web.authenticated
    async def get(self) -> None:
        page = await self.call(self.workbench.services.chat.list_sessions, **self.page_arguments())
        self.respond_page(page)

    @web.authenticated
    async def post(self) -> None:
        chat = await self.call(self.workbench.services.chat.create_session, self.json_body())
        self.respond(chat, status=201, location=self.api_url("chat", "sessions", str(chat.id)))


_UPDATE = Operation(
    "Rename a session or change its models (only the fields given)",
    TAG,
    body=ChatSessionUpdate,
    response=ChatSession,
)


class ChatSessionHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("A chat session with its messages", TAG, response=ChatSession),
        "put": _UPDATE,
        "patch": _UPDATE,
        "delete": Operation("Delete a chat session and its messages", TAG, status=204),
    }

    @web.authenticated
    async def get(self, session_id: str) -> None:
        self.respond(await self.call(self.workbench.services.chat.get_session, session_id))

    @web.authenticated
    async def patch(self, session_id: str) -> None:
        chat = await self.call(
            self.workbench.services.chat.update_session, session_id, self.json_body()
        )
        self.respond(chat)

    put = patch

    @web.authenticated
    async def delete(self, session_id: str) -> None:
        await self.call(self.workbench.services.chat.delete_session, session_id)
        self.respond_empty()


class ChatMessageListHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "A session's messages, oldest first",
            TAG,
            response=Listing(ChatMessage),
            query=PAGE_QUERY,
        ),
        "post": Operation(
            "Add a message (your prompt, or a model's reply) to a session",
            TAG,
            status=201,
            body=ChatMessageCreate,
            response=ChatMessage,
        ),
    }

    @web.authenticated
    async def get(self, session_id: str) -> None:
        page = await self.call(
            self.workbench.services.chat.list_messages, session_id, **self.page_arguments()
        )
        self.respond_page(page)

    @web.authenticated
    async def post(self, session_id: str) -> None:
        message = await self.call(
            self.workbench.services.chat.add_message, session_id, self.json_body()
        )
        self.respond(message, status=201)


default_handlers = [
    route("/api/chat/sessions", ChatSessionListHandler),
    route("/api/chat/sessions/{session_id}", ChatSessionHandler),
    route("/api/chat/sessions/{session_id}/messages", ChatMessageListHandler),
]
