"""Provider API keys: `/api/apikeys`, `/api/apikeys/{key_id}` (only ever shown masked) and
`/api/apikeys/{key_id}/check` (try the key with the provider's cheapest call)."""

from __future__ import annotations

from typing import Any, ClassVar

from tornado import web

from workbench.extensions.base import WorkbenchAPIHandler
from workbench.extensions.routes import ALL_USERS_QUERY, PAGE_QUERY, Listing, Operation, route
from workbench.services import APIKey, KeyCreate, KeyUpdate

TAG = "apikeys"


class KeyListHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "Your provider keys, masked",
            TAG,
            response=Listing(APIKey),
            query=(*PAGE_QUERY, ALL_USERS_QUERY),
        ),
        "post": Operation(
            "Store a provider key (encrypted; it is never shown in full again)",
            TAG,
            status=201,
            body=KeyCreate,
            response=APIKey,
        ),
    }

    @web.authenticated
    async def get(self) -> None:
        page = await self.call(
            self.workbench.services.keys.list_keys,
            all_users=self.bool_argument("all"),
            **self.page_arguments(),
        )
        self.respond_page(page)

    @web.authenticated
    async def post(self) -> None:
        key = await self.call(self.workbench.services.keys.create_key, self.json_body())
        self.respond(key, status=201, location=self.api_url("apikeys", str(key.id)))


class KeyHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("A provider key, masked", TAG, response=APIKey),
        "patch": Operation(
            "Change a key's label or endpoint (to replace the key, add a new one)",
            TAG,
            body=KeyUpdate,
            response=APIKey,
        ),
        "delete": Operation("Delete a provider key", TAG, status=204),
    }

    @web.authenticated
    async def get(self, key_id: str) -> None:
        self.respond(await self.call(self.workbench.services.keys.get_key, key_id))

    @web.authenticated
    async def patch(self, key_id: str) -> None:
        key = await self.call(self.workbench.services.keys.update_key, key_id, self.json_body())
        self.respond(key)

    @web.authenticated
    async def delete(self, key_id: str) -> None:
        await self.call(self.workbench.services.keys.delete_key, key_id)
        self.respond_empty()


KEY_CHECK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["ok", "message"],
    "properties": {
        "ok": {"type": "boolean", "description": "whether the provider accepted the key"},
        "message": {"type": "string", "description": "what the provider said (never the key)"},
    },
}


class KeyCheckHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "post": Operation(
            "Try a stored key: ask its provider to list its models (no tokens spent)",
            TAG,
            response=KEY_CHECK_SCHEMA,
            description="Answers 200 whether or not the provider accepts the key: `ok` says "
            "which, `message` what the provider answered. Takes up to 15 s (a provider call).",
        ),
    }

    @web.authenticated
    async def post(self, key_id: str) -> None:
        check = await self.call_waiting(self.workbench.runner.check_key, key_id)
        self.respond_data({"ok": check.ok, "message": check.message})


default_handlers = [
    route("/api/apikeys", KeyListHandler),
    route("/api/apikeys/{key_id}", KeyHandler),
    route("/api/apikeys/{key_id}/check", KeyCheckHandler),
]
