"""The MLflow UI behind the hub login, at `<prefix>mlflow/`, limited to what each user may read.

jupyter-server-proxy starts `mlflow server` (`tracking.ui.server_command`) on a free loopback
port on the first request and proxies to it; only this named route exists, never the generic
`/proxy/<port>`. Every request first needs a hub identity (as the API does), then
`tracking.ui_access.authorize` decides, with the experiments of the projects the user may read
(an administrator's: all): read-only endpoints on those experiments pass, everything else is
403, another user's experiment, run or trace is 404, and listings are cut to the allowed
experiments before they reach the browser (SECURITY.md S1, S10).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jupyter_server.utils import url_path_join
from tornado import web

from tracking.ui import server_command
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
    """The routes of the MLflow UI under the service's base URL."""
    from jupyter_server_proxy.config import ServerProcess, make_handlers

    server = app.serverapp
    prefix = url_path_join(server.base_url, UI_NAME)
    command = server_command(
        backend_store_uri=app.mlflow_tracking_uri,
        artifact_root=app.mlflow_artifact_root,
        port="{port}",
        static_prefix=prefix.rstrip("/"),
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
    from mlflow import MlflowClient

    client = MlflowClient(app.mlflow_tracking_uri)
    handlers = make_handlers(server.base_url, [process])
    routes = []
    for pattern, handler, *options in handlers:
        if handler.__name__ == "AddSlashHandler":
            routes.append((pattern, handler, *options))
            continue
        guarded = type(
            "MlflowUIHandler",
            (MlflowAccessMixin, handler),
            {
                "mlflow_client": client,
                "experiment_lookup": MlflowExperimentLookup(client),
                "ui_prefix": prefix.rstrip("/"),
            },
        )
        routes.append((pattern, guarded, *options))
    return routes


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
