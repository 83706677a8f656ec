"""A real jupyter-server, run on a thread, with the dashboard mounted and a stub hub identity.

The stub stands in for the hub login (the outside world of the dashboard): `/stub-login?user=alice`
sets a signed cookie naming a user, and the identity maps that cookie to the `Actor` registered for
the name. Everything else — the jupyter-server, Bokeh, Panel, the pages — is the real thing.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from jupyter_server.serverapp import ServerApp
from tornado.web import RequestHandler

from workbench.panels.context import PageDependencies
from workbench.panels.server import Dashboard, mount_dashboard
from workbench.services.actor import Actor

BASE_URL = "/services/workbench/"
STUB_COOKIE = "stub-hub-user"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StubHubIdentity:
    """Maps a signed `stub-hub-user` cookie to a known actor; anything else is not logged in."""

    actors: dict[str, Actor] = field(default_factory=dict)

    async def actor_for(self, handler: RequestHandler) -> Actor | None:
        name = handler.get_secure_cookie(STUB_COOKIE)
        return self.actors.get(name.decode()) if name else None

    def login_url(self, handler: RequestHandler) -> str:
        return f"{BASE_URL}stub-login?{urlencode({'next': handler.request.uri})}"


class StubLoginHandler(RequestHandler):
    def get(self) -> None:
        user = self.get_argument("user", "")
        if not user:
            self.set_status(401)
            self.finish("stub hub login: pass ?user=<name>")
            return
        self.set_secure_cookie(STUB_COOKIE, user, path="/")
        self.redirect(self.get_argument("next", f"{BASE_URL}ui/"))


class _ThreadServerApp(ServerApp):
    def init_signal(self) -> None:  # signals belong to the main thread, which pytest owns
        pass


@dataclass
class DashboardServer:
    """A running jupyter-server with the dashboard; `url(path)` builds absolute URLs."""

    port: int
    identity: StubHubIdentity
    app: ServerApp
    dashboard: Dashboard
    thread: threading.Thread

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.origin}{path}"

    def login_url(self, user: str, next_path: str | None = None) -> str:
        query = {"user": user, "next": next_path or self.dashboard.urls.page("/")}
        return self.url(f"{BASE_URL}stub-login?{urlencode(query)}")

    def stop(self) -> None:
        loop = self.app.io_loop
        loop.add_callback(self.dashboard.stop)
        self.app.stop()
        self.thread.join(timeout=10)


def start_dashboard_server(
    root_dir: Path, dependencies: PageDependencies, actors: Mapping[str, Actor]
) -> DashboardServer:
    port = free_port()
    identity = StubHubIdentity(dict(actors))
    ready = threading.Event()
    holder: dict[str, object] = {}

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        try:
            app = _ThreadServerApp()
            app.initialize(
                argv=[
                    "--ServerApp.ip=127.0.0.1",
                    f"--ServerApp.port={port}",
                    "--ServerApp.port_retries=0",
                    f"--ServerApp.base_url={BASE_URL}",
                    f"--ServerApp.root_dir={root_dir}",
                    "--ServerApp.open_browser=False",
                    "--ServerApp.allow_root=True",
                    "--IdentityProvider.token=",
                    "--ServerApp.log_level=WARN",
                ]
            )
            app.web_app.add_handlers(".*$", [(f"{BASE_URL}stub-login", StubLoginHandler)])
            holder["dashboard"] = mount_dashboard(
                app.web_app,
                base_url=BASE_URL,
                identity=identity,
                dependencies=dependencies,
                allowed_origins=[f"http://127.0.0.1:{port}"],
            )
            holder["app"] = app
        except BaseException as error:
            holder["error"] = error
            ready.set()
            raise
        app.io_loop.add_callback(ready.set)
        app.start()

    thread = threading.Thread(target=run, name="dashboard-server", daemon=True)
    thread.start()
    if not ready.wait(timeout=60):
        raise RuntimeError("the dashboard's jupyter-server did not start within 60 s")
    if "error" in holder:
        raise RuntimeError("the dashboard's jupyter-server failed to start") from holder["error"]
    return DashboardServer(
        port=port,
        identity=identity,
        app=holder["app"],  # type: ignore[arg-type]
        dashboard=holder["dashboard"],  # type: ignore[arg-type]
        thread=thread,
    )
