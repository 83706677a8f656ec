"""`WorkbenchAPIHandler`: authenticate, parse, call one service off the event loop, serialise.

Every REST handler derives from it. It answers:

- 401 when the request carries no valid hub credentials, 403 when the hub identity may not use
  the workbench (no `access:services!service=workbench`, or a hub service instead of a user);
- 413 when the body is larger than the configured limit;
- the status of a `WorkbenchError` (`workbench.errors.http_status`) with the body
  `{"error": message, "field": first field or null, "code": code, "errors": [{field, message}]}`,
  which is also the shape of every other error this API returns.

Service calls are blocking database work, so `call()` runs them on the server's worker threads:
the tornado loop only parses, awaits and writes.
"""

from __future__ import annotations

import contextvars
import functools
import json
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from http.client import responses
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import BaseModel
from tornado import web
from tornado.ioloop import IOLoop

from workbench.errors import FieldError, WorkbenchError, http_status
from workbench.extensions import logs, metrics
from workbench.extensions.identity import (
    NO_CREDENTIALS,
    NOT_ALLOWED,
    HubIdentity,
    auth_failure,
    identity_of,
)
from workbench.extensions.routes import MAX_OFFSET, Operation
from workbench.extensions.serialize import page_data, to_data
from workbench.services import Actor, Page
from workbench.services.validation import DEFAULT_LIMIT, MAX_LIMIT, validate

if TYPE_CHECKING:
    from workbench.extensions.app import WorkbenchApp

T = TypeVar("T")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
M = TypeVar("M", bound=BaseModel)


class ApiError(web.HTTPError):
    """An HTTP error with the workbench's JSON body."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str = "error",
        errors: tuple[FieldError, ...] = (),
        field: str | None = None,
    ) -> None:
        super().__init__(status_code, "%s", message)
        self.message = message
        self.code = code
        if field is not None and not errors:
            errors = (FieldError(field, message),)
        self.errors = errors

    @classmethod
    def from_domain(cls, error: WorkbenchError) -> ApiError:
        return cls(http_status(error), error.message, code=error.code, errors=error.errors)

    def body(self) -> dict[str, Any]:
        return {
            "error": self.message,
            "field": self.errors[0].field if self.errors else None,
            "code": self.code,
            "errors": [e.to_dict() for e in self.errors],
        }


_GENERIC_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    422: "unprocessable",
}


class WorkbenchHandlerMixin:
    """What every workbench handler shares: the app, the hub identity, the actor, worker threads.

    Mixed into tornado handlers that also derive from jupyter-server's `JupyterHandler`.
    """

    # Hub services (not users) may call this handler: the metrics endpoint, for scrapers.
    allow_services: ClassVar[bool] = False
    _identity: HubIdentity | None = None
    _actor: Actor | None = None

    @property
    def workbench(self) -> WorkbenchApp:
        return self.extensionapp  # type: ignore[attr-defined,no-any-return]

    def authenticate_identity(self) -> HubIdentity:
        """The caller's hub identity, once jupyter-server's `prepare` has authenticated them."""
        current_user = self.current_user  # type: ignore[attr-defined]
        if current_user is None:
            raise unauthenticated(self)  # type: ignore[arg-type]
        identity = identity_of(current_user)
        if identity is None:
            raise ApiError(403, "the workbench only accepts JupyterHub identities")
        if identity.kind != "user" and not self.allow_services:
            raise ApiError(
                403, f"hub {identity.kind}s cannot use the workbench API; use a user's token"
            )
        self._identity = identity
        return identity

    @property
    def identity(self) -> HubIdentity:
        assert self._identity is not None, "prepare() has not authenticated this request"
        return self._identity

    async def actor(self) -> Actor:
        """The acting user (their User row is created or refreshed here when needed)."""
        if self._actor is None:
            request = self.request  # type: ignore[attr-defined]
            client = {"ip": request.remote_ip, "user_agent": request.headers.get("User-Agent")}
            actors = self.workbench.actors
            # Usually known: no trip to a worker thread just to say who is asking.
            self._actor = actors.cached(self.identity, **client) or await self.run_blocking(
                actors.actor_for, self.identity, **client
            )
            logs.USER_ID.set(str(self._actor.id))
        return self._actor

    async def run_blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` on a database worker thread; domain errors become API errors."""
        return await self._run_on(self.workbench.executor, fn, *args, **kwargs)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A service call as the acting user: `fn(actor, *args, **kwargs)` off the loop."""
        actor = await self.actor()
        return await self.run_blocking(fn, actor, *args, **kwargs)

    async def call_waiting(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`call` for work that waits on something outside the database (a provider, the
        execution process) for seconds: on threads of its own, so reads are not queued
        behind it."""
        actor = await self.actor()
        return await self._run_on(self.workbench.waiting_executor, fn, actor, *args, **kwargs)

    async def _run_on(
        self, executor: Executor, fn: Callable[..., T], *args: Any, **kwargs: Any
    ) -> T:
        # The worker thread logs with this request's id and user (see `logs`).
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        try:
            return await IOLoop.current().run_in_executor(executor, call)
        except WorkbenchError as e:
            raise ApiError.from_domain(e) from e


def start_request_context(handler: web.RequestHandler) -> None:
    """Name this request (the client's X-Request-Id if it is a sane one) for the logs."""
    given = handler.request.headers.get(logs.REQUEST_ID_HEADER, "")
    request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    logs.REQUEST_ID.set(request_id)
    logs.USER_ID.set(None)
    handler.set_header(logs.REQUEST_ID_HEADER, request_id)


def unauthenticated(handler: web.RequestHandler) -> ApiError:
    """401, or 403 when the hub knows the caller but their token may not use the workbench."""
    reason = auth_failure(handler)
    if reason == NOT_ALLOWED:
        return ApiError(
            403,
            "your token may not use the workbench: it needs the scope "
            "access:services!service=workbench",
            code="forbidden",
        )
    if reason == NO_CREDENTIALS:
        message = "log in to JupyterHub, or send a hub API token: Authorization: token <token>"
    else:
        message = (
            "the credentials were not accepted: the token is unknown or expired, or a "
            "browser request lacks its XSRF token"
        )
    return ApiError(401, message, code="unauthenticated")


def error_body(status_code: int, error: BaseException | None) -> dict[str, Any]:
    """The JSON body of an error response (see the module docstring)."""
    if isinstance(error, ApiError):
        return error.body()
    if isinstance(error, WorkbenchError):
        return ApiError.from_domain(error).body()
    message = responses.get(status_code, "error")
    if isinstance(error, web.HTTPError) and error.log_message:
        message = error.log_message % error.args if error.args else error.log_message
    elif status_code >= 500:
        message = "internal error: the server log has the details"
    return {
        "error": message,
        "field": None,
        "code": _GENERIC_CODES.get(status_code, "error"),
        "errors": [],
    }


def write_json_error(handler: web.RequestHandler, status_code: int, exc_info: Any) -> None:
    error = exc_info[1] if exc_info else None
    handler.set_header("Content-Type", "application/json")
    handler.finish(json.dumps(error_body(status_code, error)))


class WorkbenchAPIHandler(WorkbenchHandlerMixin, ExtensionHandlerMixin, APIHandler):
    """Base of the REST handlers; subclasses describe their methods in `operations`."""

    operations: ClassVar[dict[str, Operation]] = {}

    def initialize(self, name: str, route_path: str = "", **kwargs: Any) -> None:
        super().initialize(name, **kwargs)
        self.route_path = route_path or self.request.path
        self._started = time.perf_counter()

    async def prepare(self) -> None:  # type: ignore[override]
        start_request_context(self)
        try:
            await super().prepare()
        except web.HTTPError as e:
            if e.status_code == 403 and self.current_user is None:
                raise unauthenticated(self) from None
            raise
        self.authenticate_identity()
        self._check_body_size()

    def _check_body_size(self) -> None:
        limit = self.workbench.max_body_bytes
        declared = self.request.headers.get("Content-Length")
        size = len(self.request.body or b"")
        if declared is not None and declared.isdigit():
            size = max(size, int(declared))
        if size > limit:
            raise ApiError(
                413,
                f"the request body is {size} bytes; the limit is {limit}",
                code="body_too_large",
                field="body",
            )

    # ---- parsing ---------------------------------------------------------------------------

    def json_body(self) -> dict[str, Any]:
        """The body as a JSON object (an empty body is `{}`)."""
        raw = self.request.body
        if not raw or not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ApiError(400, f"the body is not valid JSON: {e}", field="body") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the body must be a JSON object", field="body")
        return data

    def parse_body(self, model: type[M]) -> M:
        """The body as a `model` (unknown fields are refused, naming them)."""
        try:
            return validate(model, self.json_body())
        except WorkbenchError as e:
            raise ApiError.from_domain(e) from e

    def int_argument(
        self, name: str, default: int, *, minimum: int = 0, maximum: int = MAX_OFFSET
    ) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(
                400, f"{name} must be an integer, not {raw[:32]!r}", field=name
            ) from None
        if not minimum <= value <= maximum:
            raise ApiError(400, f"{name} must be from {minimum} to {maximum}", field=name)
        return value

    def bool_argument(self, name: str) -> bool:
        raw = (self.get_query_argument(name, None) or "").strip().lower()
        if raw in {"", "0", "false", "no"}:
            return False
        if raw in {"1", "true", "yes"}:
            return True
        raise ApiError(400, f"{name} must be true or false, not {raw[:32]!r}", field=name)

    def page_arguments(self) -> dict[str, int]:
        """`offset` and `limit` from the query (the service checks their range)."""
        return {
            "offset": self.int_argument("offset", 0),
            "limit": self.int_argument("limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT),
        }

    # ---- responses -----------------------------------------------------------------------

    def respond(self, entity: Any, *, status: int = 200, location: str | None = None) -> None:
        self.set_status(status)
        if location is not None:
            self.set_header("Location", location)
        self.finish(json.dumps(to_data(entity)))

    def respond_data(self, data: Any, *, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data))

    def respond_page(self, page: Page[Any]) -> None:
        self.finish(json.dumps(page_data(page)))

    def respond_empty(self) -> None:
        self.set_status(204)
        self.finish()

    def api_url(self, *parts: str) -> str:
        """An absolute path under this service's API prefix."""
        return self.workbench.api_url(*parts)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        write_json_error(self, status_code, kwargs.get("exc_info"))

    def on_finish(self) -> None:
        metrics.observe_request(
            self.request.method or "",
            self.route_path,
            self.get_status(),
            time.perf_counter() - self._started,
        )
        super().on_finish()
