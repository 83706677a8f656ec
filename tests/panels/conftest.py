"""Fixtures of the dashboard tests.

- `page_context(actor, language, **args)`: what a page gets for one visitor, on the rolled-back
  `services` of the database fixtures (unit tests of the pages, both database backends).
- `served`: the dashboard served by a real jupyter-server with a stub hub identity, on its own
  SQLite database, with a real execution runner (the session's Dask engine, the fake provider
  server, an MLflow store): what the browser tests and the live-run tests use. What they write
  never meets the rolled-back databases of the unit tests.
- `browser`: one headless Chromium for the session; `page_of(user)` a logged-in tab.

`shown_text(view)` is what a visitor reads in a view's Markdown panes and alerts, as plain text.
"""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import panel as pn
import pytest

from tests.fixtures.engine import SharedEngine
from tests.panels.harness import DashboardServer, start_dashboard_server
from workbench.db import Database, upgrade
from workbench.i18n import Translator
from workbench.keyvault import KeyVault, generate_master_key
from workbench.panels.context import PageContext, PageDependencies, Urls
from workbench.services import Actor, Services

URLS = Urls(prefix="/services/workbench/ui")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()<>#+\-.!|~&])")  # what `text.escape_markdown` escapes


def shown_text(view: Any) -> str:
    """The text of every Markdown pane and alert in `view`, Markdown escapes removed."""
    panes = pn.panel(view).select(pn.pane.Markdown)
    return "\n".join(_ESCAPED.sub(r"\1", str(pane.object)) for pane in panes)


@pytest.fixture
def page_context(services: Services) -> Callable[..., PageContext]:
    """`page_context(actor, language="en", **args)`: what a page gets for one visitor."""

    def make(actor: Actor, language: str = "en", *, runner=None, **args: str) -> PageContext:
        return PageContext(
            actor=actor,
            services=services,
            t=Translator(language),
            urls=URLS,
            path=URLS.page("/"),
            args=args,
            runner=runner,
        )

    return make


@dataclass(frozen=True)
class ServedWorkbench:
    server: DashboardServer
    services: Services
    actors: dict[str, Actor]
    dependencies: PageDependencies
    folder: Path


@pytest.fixture(scope="session")
def served(
    tmp_path_factory: pytest.TempPathFactory,
    engine: Any,
    fake_provider: Any,
    mlflow_template_db: Path,
) -> Iterator[ServedWorkbench]:
    from tracking import Tracker
    from workbench.runner import ExecutionRunner, tracking_context

    folder = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{folder / 'workbench.sqlite'}"
    upgrade(url)
    database = Database.from_url(url)
    services = Services(database.session_factory, KeyVault([generate_master_key()]))
    actors = {}
    for name, is_admin in (("alice", False), ("bob", False), ("root", True)):
        user = services.users.ensure_user(name, admin=is_admin, email=f"{name}@example.org")
        actors[name] = services.users.actor_for(user, ip="127.0.0.1", user_agent="pytest")

    shutil.copyfile(mlflow_template_db, folder / "mlflow.db")
    tracking_uri = f"sqlite:///{folder / 'mlflow.db'}"

    tracker = Tracker(
        tracking_uri,
        artifact_root=str(folder / "mlflow-artifacts"),
        on_status=lambda status: runner.on_tracking_status(status),
    )
    runner = ExecutionRunner(
        services,
        lambda: SharedEngine(engine),
        tracker=tracker,
        context_factory=functools.partial(tracking_context, services),
        provider_base_urls={
            name: fake_provider.base_url(name) for name in ("openai", "anthropic", "google")
        },
    )
    runner.start()
    dependencies = PageDependencies(
        services=services,
        runner=runner,
        mlflow_tracking_uri=tracking_uri,
        mlflow_ui_url="/services/workbench/mlflow",
    )
    server = start_dashboard_server(folder, dependencies, actors)
    try:
        yield ServedWorkbench(
            server=server,
            services=services,
            actors=actors,
            dependencies=dependencies,
            folder=folder,
        )
    finally:
        server.stop()
        runner.close()
        database.dispose()
