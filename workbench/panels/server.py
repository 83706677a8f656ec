"""Serve the Panel dashboard from the workbench's own jupyter-server process, behind the hub login.

`mount_dashboard(web_app, ...)` builds one Bokeh server application (`BokehTornado` with Panel's
handlers) holding every page, and routes `<base_url>ui/...` of the jupyter-server tornado
application to it, the way distributed embeds its Bokeh dashboard in another tornado app. There is
no second port and no Panel preview extension.

Security (SECURITY.md S5): every page request and every WebSocket upgrade is authenticated by the
`DashboardIdentity` the server passes in (the hub login); an unauthenticated page request is
redirected to the login, an unauthenticated upgrade answers 403 before the handshake. Bokeh
sessions are signed with a secret key, their tokens carry the user id and a WebSocket whose user is
not the token's is refused; WebSocket origins are checked against an exact list (no wildcards).
Session tokens carry no cookie and no header except the language choice and `Accept-Language`, so
the hub's cookies never reach the page.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

# Importing panel.io.server installs Panel's page and WebSocket handlers into Bokeh's routes;
# its WebSocket handler answers 403 to an upgrade without a user.
import panel.io.server as panel_server
from bokeh.application.handlers.handler import Handler
from bokeh.server.auth_provider import AuthProvider
from bokeh.server.tornado import BokehTornado
from bokeh.server.views.ico_handler import IcoHandler
from bokeh.util.token import get_token_payload
from panel.io.application import build_applications
from panel.io.resources import COMPONENT_PATH
from tornado.ioloop import IOLoop
from tornado.web import Application, RequestHandler
from tornado.websocket import WebSocketHandler

from workbench.i18n import LANGUAGES
from workbench.panels.context import (
    ACTOR_ATTRIBUTE,
    LANGUAGE_COOKIE,
    PageDependencies,
    Urls,
)
from workbench.panels.pages import PAGES, page_builder

if TYPE_CHECKING:
    from bokeh.document import Document
    from tornado.httputil import HTTPServerRequest

    from workbench.services.actor import Actor

log = logging.getLogger(__name__)

UI_PATH = "ui"
TOKEN_USER_KEY = "workbench_user"
LANGUAGE_COOKIE_MAX_AGE_DAYS = 365


class DashboardIdentity(Protocol):
    """Who is asking: the server's hub authentication, as the dashboard needs it."""

    async def actor_for(self, handler: RequestHandler) -> Actor | None:
        """The acting user of this request (page or WebSocket upgrade), or None if not logged in.

        `handler` is a tornado handler of the dashboard's Bokeh application; its `settings` carry
        the jupyter-server's `cookie_secret`, so hub cookies can be read and written with it.
        """
        ...

    def login_url(self, handler: RequestHandler) -> str:
        """Where to send a visitor who is not logged in (returning to `handler.request.uri`)."""
        ...


@dataclass
class Dashboard:
    """The mounted dashboard: its URLs and the Bokeh application behind them."""

    urls: Urls
    bokeh_app: BokehTornado

    def stop(self) -> None:
        """Stop the Bokeh periodic jobs; call when the server shuts down."""
        self.bokeh_app.stop()


def mount_dashboard(
    web_app: Application,
    *,
    base_url: str,
    identity: DashboardIdentity,
    dependencies: PageDependencies,
    allowed_origins: Iterable[str],
    secret_key: str | None = None,
    session_token_expiration_s: int = 300,
    io_loop: IOLoop | None = None,
    hub_prefix: str | None = None,
) -> Dashboard:
    """Route `<base_url>ui/...` of `web_app` (the jupyter-server application) to every page.

    `allowed_origins` are the exact origins the browser shows (e.g. `https://workbench.example.org`
    or `http://127.0.0.1:8000`): WebSocket connections from any other origin are refused.
    `secret_key` signs Bokeh sessions; a random one is made when omitted (sessions live in this
    process only, so nothing else needs it). `hub_prefix` is where the hub's pages are (e.g.
    `/hub/`); by default it is found from `base_url`, a hub service's `<hub base>services/<name>/`.
    """
    origins = websocket_allowlist(allowed_origins)
    urls = Urls(
        prefix=f"/{base_url.strip('/')}/{UI_PATH}".replace("//", "/"),
        hub=hub_prefix or hub_prefix_of(base_url),
        mlflow=dependencies.mlflow_ui_url,
    )
    key = secret_key or secrets.token_urlsafe(32)
    if len(key.encode()) < 32:
        raise ValueError("secret_key: a session signing key must be at least 32 bytes long")

    applications = build_applications(
        {slug: page_builder(slug, page, dependencies, urls) for slug, page in PAGES.items()},
        title={slug: "Multi-LLM Workbench" for slug in PAGES},
    )
    for application in applications.values():
        application.add(ActorStampHandler())

    bokeh_app = BokehTornado(
        applications,
        prefix=urls.prefix,
        extra_websocket_origins=origins,
        extra_patterns=[
            (f"/{COMPONENT_PATH}(.*)", panel_server.ComponentResourceHandler, {}),
            (urls.LANGUAGE_PATH, LanguageHandler, {"urls": urls}),
        ],
        secret_key=key.encode(),
        sign_sessions=True,
        generate_session_ids=True,
        use_index=False,
        auth_provider=HubAuthProvider(identity),
        include_headers=["Accept-Language"],
        include_cookies=[LANGUAGE_COOKIE],
        session_token_expiration=session_token_expiration_s,
        absolute_url="",
        # Hub cookies are signed with the jupyter-server's secret; the identity may need it.
        cookie_secret=web_app.settings.get("cookie_secret"),
    )
    # Bokeh serves its icon at the root; pages ask for it beside themselves.
    bokeh_app.add_handlers(".*$", [(f"{urls.prefix}/favicon.ico", IcoHandler, {"app": bokeh_app})])
    bokeh_app.initialize(io_loop or IOLoop.current())
    bokeh_app.start()
    # tornado's own add_handlers: jupyter-server's override inspects handler classes for auth
    # decorators, and our target is a whole application that authenticates every request itself.
    Application.add_handlers(web_app, ".*$", [(rf"{re.escape(urls.prefix)}(?:/.*)?", bokeh_app)])
    log.info("dashboard mounted at %s (websocket origins: %s)", urls.prefix, ", ".join(origins))
    return Dashboard(urls=urls, bokeh_app=bokeh_app)


def hub_prefix_of(base_url: str) -> str:
    """The hub's prefix for a service at `base_url`: `/services/workbench/` -> `/hub/`."""
    root, found, _ = f"/{base_url.strip('/')}/".partition("/services/")
    return f"{root if found else ''}/hub/".replace("//", "/")


def websocket_allowlist(origins: Iterable[str]) -> list[str]:
    """Exact `host:port` entries in Bokeh's form (a missing port counts as 80, as Bokeh does)."""
    allowlist = []
    for origin in origins:
        netloc = urlsplit(origin).netloc if "://" in origin else origin
        netloc = netloc.strip().lower()
        if not netloc or "*" in netloc or "/" in netloc:
            raise ValueError(
                f"allowed_origins: {origin!r} is not an exact origin such as "
                "'https://workbench.example.org' or 'http://127.0.0.1:8000'"
            )
        allowlist.append(netloc if ":" in netloc else f"{netloc}:80")
    if not allowlist:
        raise ValueError("allowed_origins: name at least one origin the browser uses")
    return allowlist


class HubAuthProvider(AuthProvider):
    """Bokeh's authentication hooks, answered by the server's hub identity."""

    def __init__(self, identity: DashboardIdentity) -> None:
        self._identity = identity
        super().__init__()

    @property
    def get_user_async(self) -> Callable[[RequestHandler], Any]:
        return self._authenticate

    @property
    def get_login_url(self) -> Callable[[RequestHandler], str]:
        return self._identity.login_url

    async def _authenticate(self, handler: RequestHandler) -> str | None:
        actor = await self._identity.actor_for(handler)
        if actor is None:
            if not isinstance(handler, WebSocketHandler) and handler.request.method == "GET":
                # Redirect here rather than through tornado's @authenticated, whose login URL
                # Panel rewrites relative to the page.
                handler.redirect(self._identity.login_url(handler))
            return None
        if isinstance(handler, WebSocketHandler) and not token_belongs_to(handler.request, actor):
            log.warning("refused a dashboard WebSocket whose session belongs to another user")
            return None
        setattr(handler.request, ACTOR_ATTRIBUTE, actor)
        return actor.name


def token_belongs_to(request: HTTPServerRequest, actor: Actor) -> bool:
    """Does the Bokeh session token in this upgrade request name `actor`?"""
    protocols = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
    if len(protocols) != 2 or protocols[0] != "bokeh":
        return False
    try:
        payload = get_token_payload(protocols[1])
    except Exception:  # a malformed token is just not this user's
        return False
    return payload.get(TOKEN_USER_KEY) == str(actor.id)


class ActorStampHandler(Handler):
    """Writes the acting user's id into every session token the page hands out."""

    def modify_document(self, doc: Document) -> None:
        pass

    def process_request(self, request: HTTPServerRequest) -> dict[str, Any]:
        actor = getattr(request, ACTOR_ATTRIBUTE, None)
        return {TOKEN_USER_KEY: str(actor.id)} if actor is not None else {}


class LanguageHandler(RequestHandler):
    """`ui/language?to=ja&next=/services/workbench/ui/projects`: remember the choice, go back."""

    def initialize(self, urls: Urls) -> None:
        self.urls = urls

    def get(self) -> None:
        language = self.get_argument("to", "")
        if language not in LANGUAGES:
            self.set_status(400)
            self.finish(f"to: choose one of {', '.join(LANGUAGES)}")
            return
        self.set_cookie(
            LANGUAGE_COOKIE,
            language,
            path=self.urls.prefix,
            expires_days=LANGUAGE_COOKIE_MAX_AGE_DAYS,
            samesite="Lax",
            httponly=True,
        )
        self.redirect(self.urls.safe_next(self.get_argument("next", "")))
