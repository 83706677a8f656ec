"""The Panel dashboard inside the service: its hub identity, and mounting it at `<prefix>ui/`.

The dashboard's Bokeh handlers are not jupyter-server handlers, so `HubDashboardIdentity`
answers for them with the same hub OAuth as the API (token or the service's login cookie, and
the `access:services!service=workbench` scope), and the same User rows (`ActorDirectory`).
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from tornado.httputil import url_concat
from tornado.web import RequestHandler

from workbench.extensions.actors import ActorDirectory
from workbench.extensions.identity import HubIdentity
from workbench.services import Actor

if TYPE_CHECKING:
    from jupyterhub.services.auth import HubOAuth

    from workbench.extensions.app import WorkbenchApp


class HubDashboardIdentity:
    """`workbench.panels.server.DashboardIdentity` through the hub's OAuth."""

    def __init__(self, hub_auth: HubOAuth, actors: ActorDirectory, executor: Executor) -> None:
        self._hub_auth = hub_auth
        self._actors = actors
        self._executor = executor

    async def actor_for(self, handler: RequestHandler) -> Actor | None:
        model = await self._hub_auth.get_user(handler, sync=False)
        if model is None or not self._hub_auth.check_scopes(self._hub_auth.access_scopes, model):
            return None
        identity = HubIdentity.from_model(model)
        if identity.kind != "user":
            return None
        lookup = functools.partial(
            self._actors.actor_for,
            identity,
            ip=handler.request.remote_ip,
            user_agent=handler.request.headers.get("User-Agent"),
        )
        return await asyncio.get_running_loop().run_in_executor(self._executor, lookup)

    def login_url(self, handler: RequestHandler) -> str:
        state = self._hub_auth.set_state_cookie(handler, next_url=handler.request.uri)
        return str(url_concat(self._hub_auth.login_url, {"state": state}))


def mount(app: WorkbenchApp) -> Any:
    """Mount every dashboard page on the app's server; returns the `Dashboard` (to stop it)."""
    from workbench.panels.context import PageDependencies
    from workbench.panels.server import mount_dashboard

    server = app.serverapp
    assert server is not None and app.services is not None and app.actors is not None
    identity = HubDashboardIdentity(server.identity_provider.hub_auth, app.actors, app.executor)
    return mount_dashboard(
        server.web_app,
        base_url=server.base_url,
        identity=identity,
        dependencies=PageDependencies(
            services=app.services,
            runner=app.runner,
            mlflow_tracking_uri=app.mlflow_tracking_uri,
            mlflow_ui_url=app.mlflow_ui_url,
        ),
        allowed_origins=app.public_origins,
    )
