"""The API's entry points: what this is (`/api/`), who you are (`/api/me`), the OpenAPI document."""

from __future__ import annotations

from typing import Any, ClassVar

from jupyter_server.utils import url_path_join
from tornado import web

from workbench import __version__
from workbench.extensions.base import ApiError, WorkbenchAPIHandler
from workbench.extensions.openapi import build_document
from workbench.extensions.routes import Operation, route
from workbench.services import User

TAG = "about"


INDEX_SCHEMA = {
    "type": "object",
    "required": ["version", "openapi", "me"],
    "properties": {
        "version": {"type": "string"},
        "openapi": {"type": "string"},
        "me": {"type": "string"},
    },
}


class IndexHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("The API's version and where its parts are", TAG, response=INDEX_SCHEMA)
    }

    @web.authenticated
    async def get(self) -> None:
        self.respond_data(
            {
                "version": __version__,
                "openapi": self.api_url("openapi.json"),
                "me": self.api_url("me"),
            }
        )


class MeHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("The calling user, as the workbench knows them", TAG, response=User)
    }

    @web.authenticated
    async def get(self) -> None:
        actor = await self.actor()
        user = await self.call(self.workbench.services.users.get_user, actor.id)
        self.respond(user)


class OpenAPIHandler(WorkbenchAPIHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("This document (OpenAPI 3.1)", TAG, response={"type": "object"})
    }

    @web.authenticated
    async def get(self) -> None:
        document: dict[str, Any] = build_document(
            self.workbench.handler_modules, url_path_join(self.serverapp.base_url)
        )
        self.respond_data(document)


class ApiNotFoundHandler(WorkbenchAPIHandler):
    """Any other path under the API prefix: a JSON 404, like every API error."""

    @web.authenticated
    async def get(self, path: str) -> None:
        raise ApiError(
            404,
            f"no API endpoint at {self.request.path}; see the OpenAPI document",
            code="not_found",
        )

    post = put = patch = delete = get


# Registered after every other module's routes (not part of the OpenAPI document).
fallback_handlers = [("/api/(.*)", ApiNotFoundHandler, {"route_path": "/api/*"})]

default_handlers = [
    route("/api/", IndexHandler),
    route("/api/me", MeHandler),
    route("/api/openapi.json", OpenAPIHandler),
]
