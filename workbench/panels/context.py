"""What every page is given: the acting user, the service facade, the language, the URLs.

The server builds one `PageDependencies` at start-up; each browser session gets a `PageContext`
made from it and from the session's request (who is asking, in which language, with which query
arguments). Pages read nothing else: no globals, no database.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import urlencode

from workbench.i18n import Translator, negotiate_language

if TYPE_CHECKING:
    from agents.events import Event
    from workbench.panels.analysis_source import TrackingAnalysis
    from workbench.services import Execution, Services
    from workbench.services.actor import Actor

# Set by the dashboard's authentication hook on the tornado request of every page and upgrade.
ACTOR_ATTRIBUTE = "workbench_actor"
LANGUAGE_COOKIE = "workbench-lang"


class KeyCheck(Protocol):
    """The outcome of trying a stored key with a cheap call."""

    ok: bool
    message: str  # readable and secret-free: "the key works", "401: invalid API key", ...
    outcome: str | None  # `keys.check.<outcome>` in the catalogue; None: say `message`
    values: Mapping[str, str]  # what that sentence quotes (provider, hint, status, ...)


class ExecutionRunner(Protocol):
    """The server's execution runner, as the pages use it (the same calls the REST API makes).

    Every call takes the acting user first and raises the service layer's errors (`NotFound` for
    another user's agent or execution). None of them blocks: work runs on the engine.
    """

    def start_execution(
        self, actor: Actor, agent_id: uuid.UUID, inputs: Mapping[str, Any]
    ) -> Execution:
        """Persist a PENDING execution of the agent and submit it; returns at once."""
        ...

    def cancel_execution(self, actor: Actor, execution_id: uuid.UUID) -> Execution:
        """Cancel; when this returns, no further step starts."""
        ...

    def subscribe(
        self, actor: Actor, execution_id: uuid.UUID, callback: Callable[[Event], None]
    ) -> Callable[[], None]:
        """Call `callback(event)` (on any thread) for each later event; returns unsubscribe."""
        ...

    def check_key(self, actor: Actor, key_id: uuid.UUID) -> KeyCheck:
        """Try one of the actor's stored keys with the provider's cheapest call."""
        ...


@dataclass(frozen=True)
class PageDependencies:
    """What the server hands the dashboard once: shared by every page and every visitor."""

    services: Services
    runner: ExecutionRunner | None = None
    # Where executions are tracked; result analysis reads it (through `TrackingAnalysis`).
    mlflow_tracking_uri: str | None = None
    # Where the MLflow UI is served (behind the hub login), e.g. "/services/workbench/mlflow/".
    mlflow_ui_url: str | None = None

    @functools.cached_property
    def analysis(self) -> TrackingAnalysis | None:
        if not self.mlflow_tracking_uri:
            return None
        from workbench.panels.analysis_source import TrackingAnalysis

        return TrackingAnalysis(self.services, self.mlflow_tracking_uri, self.mlflow_ui_url)


@dataclass(frozen=True)
class Urls:
    """Absolute paths of the dashboard's pages under `prefix` (e.g. `/services/workbench/ui`),
    and of what the header links to beside them: the hub, the MLflow UI, logging out."""

    prefix: str
    hub: str = "/hub/"  # the hub's own pages (`spawn` starts or opens the user's JupyterLab)
    mlflow: str | None = None  # the MLflow UI behind the login, when the service serves it
    LANGUAGE_PATH: ClassVar[str] = "/language"

    @property
    def service(self) -> str:
        """The workbench service's prefix, e.g. `/services/workbench/`."""
        return self.prefix.rstrip("/").rsplit("/", 1)[0] + "/"

    def logout(self) -> str:
        """The service's logout: forgets its login cookie, then logs out of the hub."""
        return f"{self.service}logout"

    def lab(self) -> str:
        """The hub's spawn page: the user's JupyterLab, started first when it is not running."""
        return f"{self.hub}spawn"

    def page(self, slug: str, **query: Any) -> str:
        path = f"{self.prefix}/" if slug == "/" else f"{self.prefix}{slug}"
        arguments = {k: str(v) for k, v in query.items() if v is not None}
        return f"{path}?{urlencode(arguments)}" if arguments else path

    def language(self, language: str, next_path: str) -> str:
        return f"{self.prefix}{self.LANGUAGE_PATH}?{urlencode({'to': language, 'next': next_path})}"

    def safe_next(self, next_path: str) -> str:
        """`next_path` if it is one of our pages, else the dashboard (no open redirect)."""
        inside = next_path == self.prefix or next_path.startswith(f"{self.prefix}/")
        if inside and "//" not in next_path and "\\" not in next_path:
            return next_path
        return self.page("/")


@dataclass(frozen=True)
class PageContext:
    """One visitor's view of the dashboard: built per browser session."""

    actor: Actor
    services: Services
    t: Translator
    urls: Urls
    path: str  # the page's own path, e.g. "/services/workbench/ui/projects"
    args: Mapping[str, str] = field(default_factory=dict)
    runner: ExecutionRunner | None = None
    analysis: TrackingAnalysis | None = None
    # Built for a browser session of the served dashboard (not in a test or a notebook): the
    # page may use the session's document (periodic callbacks, live updates, the location).
    in_server: bool = False

    @property
    def language(self) -> str:
        return self.t.language

    def arg(self, name: str) -> str | None:
        value = self.args.get(name)
        return value or None

    @property
    def current_url(self) -> str:
        return f"{self.path}?{urlencode(self.args)}" if self.args else self.path


def context_from_request(
    request: Any, dependencies: PageDependencies, urls: Urls, *, path: str
) -> PageContext | None:
    """The context of a Bokeh session, from its request proxy; None if nobody is logged in."""
    actor = getattr(request, ACTOR_ATTRIBUTE, None)
    if actor is None:
        return None
    args = {
        name: values[-1].decode("utf-8", "replace")
        for name, values in (request.arguments or {}).items()
        if values
    }
    headers = request.headers or {}
    language = negotiate_language(
        requested=args.pop("lang", None),
        saved=(request.cookies or {}).get(LANGUAGE_COOKIE),
        accept_language=headers.get("Accept-Language"),
    )
    return PageContext(
        actor=actor,
        services=dependencies.services,
        t=Translator(language),
        urls=urls,
        path=path,
        args=args,
        runner=dependencies.runner,
        analysis=dependencies.analysis,
        in_server=True,
    )
