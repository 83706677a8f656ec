"""The MLflow UI behind the hub login, at `<prefix>mlflow/`, limited to what each user may read.

Two ways, chosen by the tracking URI; only this named route exists, never the generic
`/proxy/<port>`:
- a store (sqlite:, postgresql:, a folder): jupyter-server-proxy starts `mlflow server`
  (`tracking.ui.server_command`) on a free loopback port on the first request and proxies to it,
  the full path passed on (its `--static-prefix` is this route's prefix);
- a tracking server (http(s)://, `tracking.ui.remote_server`): jupyter-server-proxy's
  `RemoteProxyHandler` forwards to it and nothing is started. Such a server serves its UI at its
  own root (or its own `--static-prefix`, the tracking URI's path), which cannot know this
  route's prefix, so the prefix is replaced by the tracking URI's path; the MLflow UI asks for
  everything with relative URLs, so it works under any prefix.

Every request first needs a hub identity (as the API does), then `tracking.ui_access.authorize`
decides, with the experiments of the projects the user may read (an administrator's: all):
read-only endpoints on those experiments pass, everything else is 403, another user's experiment,
run or trace is 404, and listings are cut to the allowed experiments before they reach the
browser (SECURITY.md S1, S10).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jupyter_server.utils import url_path_join
from jupyter_server_proxy.config import ServerProcess, make_handlers
from jupyter_server_proxy.handlers import AddSlashHandler, RemoteProxyHandler
from tornado import web

from tracking.ui import RemoteServer, remote_server, server_command
from tracking.ui_access import (
    Decision,
    MlflowExperimentLookup,
    MlflowRequest,
    allowed_experiment_ids,
    authorize,
    decode_path,
    filter_response,
)
from workbench.extensions.base import WorkbenchHandlerMixin, unauthenticated, write_json_error
from workbench.services import Actor, Services
from workbench.services.validation import MAX_LIMIT

if TYPE_CHECKING:
    from workbench.extensions.app import WorkbenchApp

UI_NAME = "mlflow"
_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DECISION = "_workbench_mlflow_decision"


def readable_projects(services: Services, actor: Actor) -> set[str]:
    """The ids of every project `actor` may read (their own; an administrator's: all)."""
    found: set[str] = set()
    offset = 0
    while True:
        page = services.projects.list_projects(
            actor, offset=offset, limit=MAX_LIMIT, all_users=actor.is_admin
        )
        found.update(str(project.id) for project in page.items)
        if not page.has_more:
            return found
        offset += MAX_LIMIT


def filter_body(response: Any, request: Any) -> None:
    """jupyter-server-proxy `rewrite_response`: cut the response to what the user may see."""
    decision, allowed = getattr(request, _DECISION, (None, frozenset()))
    if decision is None or decision.response_filter is None or response.code != 200:
        return
    body = filter_response(decision, response.body, allowed)
    if body is None:
        response.code = 404
        response.headers["Content-Type"] = "application/json"
        body = json.dumps({"error": "experiment not found", "code": "not_found"}).encode()
    response.body = body


def proxy_handlers(app: WorkbenchApp) -> list[tuple[Any, ...]]:
    """The routes of the MLflow UI under the service's base URL, each behind `authorize`."""
    from mlflow import MlflowClient

    prefix = url_path_join(app.serverapp.base_url, UI_NAME).rstrip("/")
    remote = remote_server(app.mlflow_tracking_uri)
    if remote is None:
        handlers = local_server_handlers(app, prefix)
    else:
        handlers = remote_server_handlers(app, remote)
    client = MlflowClient(app.mlflow_tracking_uri)
    access = {
        "mlflow_client": client,
        "experiment_lookup": MlflowExperimentLookup(client),
        "ui_prefix": prefix,
    }
    routes = []
    for pattern, handler, *options in handlers:
        if issubclass(handler, AddSlashHandler):
            routes.append((pattern, handler, *options))
            continue
        guarded = type("MlflowUIHandler", (MlflowAccessMixin, handler), access)
        routes.append((pattern, guarded, *options))
    return routes


def local_server_handlers(app: WorkbenchApp, prefix: str) -> list[tuple[Any, ...]]:
    """jupyter-server-proxy's routes for an `mlflow server` it starts on the tracking store."""
    command = server_command(
        backend_store_uri=app.mlflow_tracking_uri,
        artifact_root=app.mlflow_artifact_root,
        port="{port}",
        static_prefix=prefix,
        allowed_hosts=[origin.split("://", 1)[-1] for origin in app.public_origins],
        cors_origins=app.public_origins,
    )
    process = ServerProcess(
        name=UI_NAME,
        command=command.argv,
        environment=command.env,
        timeout=command.startup_timeout_s,
        absolute_url=True,
        launcher_entry={"enabled": False},
        rewrite_response=[filter_body],
    )
    return make_handlers(app.serverapp.base_url, [process])


def remote_server_handlers(app: WorkbenchApp, remote: RemoteServer) -> list[tuple[Any, ...]]:
    """Routes forwarding to the tracking server `remote`, as `make_handlers` lays them out."""
    handler = type(
        "RemoteMlflowHandler",
        (RemoteServerProxyHandler,),
        {"remote": remote, "allowed_origins": tuple(app.public_origins)},
    )
    options = {
        "absolute_url": False,
        "host_allowlist": [remote.host],
        "rewrite_response": [filter_body],
    }
    base_url = app.serverapp.base_url
    return [
        (url_path_join(base_url, UI_NAME, r"(.*)"), handler, options),
        (url_path_join(base_url, UI_NAME), AddSlashHandler),
    ]


class RemoteServerProxyHandler(RemoteProxyHandler):
    """`RemoteProxyHandler` bound to one server (`remote`) on a named route, like a named server.

    The request reaches the server as the workbench's own, not the browser's: `Host` is the
    server's (it checks it against its `--allowed-hosts`), and the browser's cookies, hub token and
    `Origin` stay here. The cross-site check MLflow makes on the `Origin` of a state-changing
    request (its `--cors-allowed-origins`) is made here instead, against `allowed_origins`, the
    service's public origins. WebSockets never get here: `MlflowAccessMixin.open` refuses them.
    """

    remote: RemoteServer
    allowed_origins: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.proxy_base = UI_NAME  # redirects from the server are rewritten to under this route

    async def http_get(self, path: str) -> Any:
        return await self.proxy(self.remote.port, path)

    def post(self, path: str) -> Any:
        return self.proxy(self.remote.port, path)

    def put(self, path: str) -> Any:
        return self.proxy(self.remote.port, path)

    def delete(self, path: str) -> Any:
        return self.proxy(self.remote.port, path)

    def head(self, path: str) -> Any:
        return self.proxy(self.remote.port, path)

    def patch(self, path: str) -> Any:
        return self.proxy(self.remote.port, path)

    def options(self, path: str) -> Any:
        return self.proxy(self.remote.port, path)

    def proxy(self, port: Any, path: str) -> Any:
        origin = self.request.headers.get("Origin")
        if origin and self.request.method in _STATE_CHANGING and origin not in self.allowed_origins:
            raise web.HTTPError(403, "cross-site requests to the MLflow UI are refused")
        return super().proxy(self.remote.host, port, self.remote.path_for(path))

    def get_client_uri(self, protocol: str, host: str, port: Any, proxied_path: str) -> str:
        uri = super().get_client_uri(protocol, host, port, proxied_path)
        if self.remote.scheme == "https":  # jupyter-server-proxy always asks for http:// or ws://
            uri = {"http": "https", "ws": "wss"}[protocol] + uri[len(protocol) :]
        return uri

    def proxy_request_headers(self) -> Any:
        headers = super().proxy_request_headers()
        for private in ("Cookie", "Authorization", "Origin", "Referer"):
            headers.pop(private, None)
        headers["Host"] = self.remote.netloc
        return headers


class MlflowAccessMixin(WorkbenchHandlerMixin):
    """Put in front of jupyter-server-proxy's handler: authenticate, then ask `authorize`."""

    mlflow_client: Any
    experiment_lookup: MlflowExperimentLookup
    ui_prefix: str

    @property
    def extensionapp(self) -> Any:
        return self.settings["workbench"]  # type: ignore[attr-defined]

    async def prepare(self, *args: Any, **kwargs: Any) -> None:
        await super().prepare(*args, **kwargs)  # type: ignore[misc]
        if self.current_user is None:  # type: ignore[attr-defined]
            return  # jupyter-server-proxy has already redirected to the login, or refused
        self.authenticate_identity()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        write_json_error(self, status_code, kwargs.get("exc_info"))  # type: ignore[arg-type]

    async def proxy(self, port: Any, path: str) -> Any:
        if self.current_user is None:  # type: ignore[attr-defined]
            raise unauthenticated(self)  # type: ignore[arg-type]
        request = self.request  # type: ignore[attr-defined]
        decision, allowed = await self.run_blocking(self._decide, await self.actor(), request)
        if not decision.allowed:
            raise web.HTTPError(decision.status, "%s", decision.reason)
        setattr(request, _DECISION, (decision, allowed))
        # jupyter-server-proxy passes an event stream on as it arrives, past `rewrite_response`
        # (the filter); nothing offered here streams, so every answer is read whole.
        if "text/event-stream" in request.headers.get("Accept", ""):
            del request.headers["Accept"]
        return await super().proxy(port, path)  # type: ignore[misc]

    async def open(self, path: str) -> None:
        raise web.HTTPError(403, "the MLflow UI has no WebSockets here")

    def _decide(self, actor: Actor, request: Any) -> tuple[Decision, frozenset[str]]:
        projects = readable_projects(self.workbench.services, actor)  # type: ignore[arg-type]
        allowed = allowed_experiment_ids(self.mlflow_client, projects)
        path = decode_path(request.path, self.ui_prefix)
        if path is None:
            return Decision(False, 404, "not found"), allowed
        mlflow_request = MlflowRequest(
            method=request.method,
            path=path,
            query={k: [v.decode() for v in vs] for k, vs in request.query_arguments.items()},
            body=request.body or b"",
        )
        return authorize(mlflow_request, allowed, self.experiment_lookup), allowed
