"""How quickly the dashboard's pages appear, and how late a live update reaches the browser.

    python benchmarks/dashboard.py [--repeat 5]

Serves the dashboard the way the tests do (a real jupyter-server on a thread, the stub hub login
of `tests/panels/harness.py`, SQLite, the real execution runner on an in-process Dask engine, the
fake provider server) with one user holding 3 projects, 6 agents and 40 finished executions.

Reported, per page, as medians over `--repeat` loads:
- `build_ms`: the server building the page for a visitor (`render_page`, no browser);
- `load_ms`: headless Chromium from navigation until the page's content is visible (scripts
  cached after the first load, as for a person moving between pages).
And `live_ms`: from the engine finishing the last step of a run to the browser showing every
badge "Completed" (the steps' and the run's), timed in the page at each frame; the median over
`--repeat` runs of a two-step agent on a model answering at once. It includes the runner
recording each event before it publishes it.

`live_page_ms` is the page's own share: from the runner publishing the execution's end to the
browser showing it (a run open in the page while its model takes 2 s).

The last printed line is one JSON object:
`{"build_ms": {...}, "load_ms": {...}, "live_ms": ..., "live_page_ms": ...}`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agents.engine import Engine  # noqa: E402
from tests.fakes.provider_server import FakeProviderServer  # noqa: E402
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.fixtures.engine import SharedEngine  # noqa: E402
from tests.panels.harness import start_dashboard_server  # noqa: E402
from workbench.db import Database, upgrade  # noqa: E402
from workbench.i18n import Translator  # noqa: E402
from workbench.keyvault import KeyVault, generate_master_key  # noqa: E402
from workbench.panels.context import PageContext, PageDependencies, Urls  # noqa: E402
from workbench.panels.pages import PAGES, render_page  # noqa: E402
from workbench.runner import ExecutionRunner  # noqa: E402
from workbench.services import Services  # noqa: E402

# What a visitor sees first on each page: the benchmark waits for it.
READY_TEXT = {
    "/": "Executions by status",
    "/projects": "New project",
    "/project": "Recent executions",
    "/agent": "The spec is valid.",
    "/execution": "Completed",
    "/chat": "Your chats",
    "/analysis": "Executions",
    "/keys": "Your keys",
}


# In the page: the time (ms since the epoch) at which both steps and the run read "Completed".
ALL_COMPLETED_JS = """
() => {
  let count = 0;
  const walk = (root) => root.querySelectorAll('*').forEach((element) => {
    if (element.classList && element.classList.contains('wb-badge')
        && element.textContent.trim() === 'Completed') count += 1;
    if (element.shadowRoot) walk(element.shadowRoot);
  });
  walk(document);
  return count >= 3 ? Date.now() : false;
}
"""


def seed(services: Services, runner: ExecutionRunner, actor) -> dict[str, str]:
    services.keys.create_key(actor, {"provider": "openai", "api_key": "sk-bench-0123456789"})
    ids: dict[str, str] = {}
    for p in range(3):
        project = services.projects.create_project(actor, {"name": f"Project {p}"})
        for a in range(2):
            agent = services.agents.create_agent(
                actor,
                project.id,
                {
                    "name": f"agent {a}",
                    "configuration": {"inputs": {"q": {"type": "text"}}},
                    "substeps": [
                        {"id": "one", "model": "openai:bench", "prompt": "{{ q }}"},
                        {"id": "two", "model": "openai:bench", "prompt": "more {{ one }}"},
                    ],
                },
            )
            ids.update(project=str(project.id), agent=str(agent.id))
    executions = [
        runner.start_execution(actor, ids["agent"], {"q": f"question {i}"}) for i in range(40)
    ]
    for execution in executions:
        while not services.executions.get_execution(actor, execution.id).is_finished:
            time.sleep(0.05)
    ids["execution"] = str(executions[-1].id)
    return ids


def page_path(urls: Urls, slug: str, ids: dict[str, str]) -> str:
    query = {
        "/project": {"id": ids["project"]},
        "/agent": {"id": ids["agent"]},
        "/execution": {"id": ids["execution"]},
        "/analysis": {"agent": ids["agent"]},
    }.get(slug, {})
    return urls.page(slug, **query)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from playwright.sync_api import expect, sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    url = f"sqlite:///{folder / 'workbench.sqlite'}"
    upgrade(url)
    database = Database.from_url(url)
    services = Services(database.session_factory, KeyVault([generate_master_key()]))
    actor = services.users.actor_for(services.users.ensure_user("bench", admin=False))

    with FakeProviderServer() as fake, Engine() as engine:
        engine.wait_ready()
        runner = ExecutionRunner(
            services,
            lambda: SharedEngine(engine),
            provider_base_urls={"openai": fake.base_url("openai")},
        )
        runner.start()
        ids = seed(services, runner, actor)
        dependencies = PageDependencies(services=services, runner=runner)
        server = start_dashboard_server(folder, dependencies, {"bench": actor})
        urls = server.dashboard.urls
        build_ms: dict[str, float] = {}
        load_ms: dict[str, float] = {}
        try:
            for slug, page_class in PAGES.items():
                path = page_path(urls, slug, ids)
                args_ = dict(kv.split("=") for kv in path.partition("?")[2].split("&") if kv)
                context = PageContext(
                    actor=actor,
                    services=services,
                    t=Translator("en"),
                    urls=urls,
                    path=path,
                    args=args_,
                    runner=runner,
                )
                timings = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    render_page(page_class, context, slug)
                    timings.append((time.perf_counter() - started) * 1000)
                build_ms[slug] = round(statistics.median(timings), 1)

            expect.set_options(timeout=60_000)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.goto(server.login_url("bench"))
                expect(page.get_by_text(READY_TEXT["/"])).to_be_visible()
                for slug in PAGES:
                    timings = []
                    for _ in range(args.repeat):
                        started = time.perf_counter()
                        page.goto(server.url(page_path(urls, slug, ids)))
                        expect(page.get_by_text(READY_TEXT[slug], exact=True).first).to_be_visible()
                        timings.append((time.perf_counter() - started) * 1000)
                    load_ms[slug] = round(statistics.median(timings), 1)

                live = []
                for i in range(args.repeat):
                    page.goto(server.url(urls.page("/execution", agent=ids["agent"])))
                    page.get_by_label("q").fill(f"live {i}")
                    page.get_by_role("button", name="Run", exact=True).click()
                    shown_at_ms = page.wait_for_function(
                        ALL_COMPLETED_JS, polling="raf", timeout=60_000
                    ).json_value()
                    newest = services.executions.list_executions(
                        actor, agent_id=ids["agent"], limit=1
                    ).items[0]
                    finished = services.executions.get_execution(actor, newest.id)
                    step = max(finished.steps, key=lambda s: s.finished_at)
                    live.append(shown_at_ms - step.finished_at.timestamp() * 1000)
                # The page's own share: the runner publishing the end -> the browser showing it.
                fake.program("slow-bench", then={"latency": 2.0})
                slow = services.agents.create_agent(
                    actor,
                    ids["project"],
                    {
                        "name": "slow",
                        "configuration": {"inputs": {"q": {"type": "text"}}},
                        "substeps": [
                            {"id": "one", "model": "openai:slow-bench", "prompt": "{{ q }}"}
                        ],
                    },
                )
                page_only = []
                for i in range(args.repeat):
                    execution = runner.start_execution(actor, slow.id, {"q": f"slow {i}"})
                    published: dict[str, float] = {}

                    def on_event(event, published=published) -> None:
                        if event.type == "execution_finished":
                            published["at"] = time.time() * 1000

                    unsubscribe = runner.subscribe(actor, execution.id, on_event)
                    page.goto(server.url(urls.page("/execution", id=execution.id)))
                    expect(page.get_by_text("Running", exact=True).first).to_be_visible()
                    shown_at_ms = page.wait_for_function(
                        ALL_COMPLETED_JS.replace(">= 3", ">= 2"), polling="raf", timeout=60_000
                    ).json_value()
                    unsubscribe()
                    page_only.append(shown_at_ms - published["at"])
                browser.close()
        finally:
            server.stop()
            runner.close()
            database.dispose()

    print(f"{'page':<12} {'build ms':>9} {'load ms':>9}")
    for slug in PAGES:
        print(f"{slug:<12} {build_ms[slug]:>9.1f} {load_ms[slug]:>9.1f}")
    live_median = round(statistics.median(live), 1)
    page_median = round(statistics.median(page_only), 1)
    print(
        f"live update (last step finished -> all badges Completed in the browser): {live_median} ms"
    )
    print(f"of which the page (runner publishes the end -> browser shows it): {page_median} ms")
    summary = {
        "build_ms": build_ms,
        "load_ms": load_ms,
        "live_ms": live_median,
        "live_page_ms": page_median,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
