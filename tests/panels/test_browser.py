"""Every screen in headless Chromium, served by a real jupyter-server with the real runner.

The hub login is the stub of `harness.py`; the journey through the real JupyterHub is in
`test_hub_journey.py`. Screenshots of every screen go to test-output/screenshots/.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.panels.conftest import SCREENSHOTS, ServedWorkbench

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)
XSS = '<script>window.__xss = 1</script><img src="x" onerror="window.__xss = 2">'


def new_user(served: ServedWorkbench, prefix: str) -> str:
    name = f"{prefix}-{secrets.token_hex(3)}"
    user = served.services.users.ensure_user(name, admin=False)
    served.server.identity.actors[name] = served.services.users.actor_for(user)
    return name


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)  # let the last patches paint
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    """One context for the module, so Bokeh's and Panel's scripts are fetched once (cached)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def open_page(
    browser_context: BrowserContext, served: ServedWorkbench
) -> Iterator[Callable[..., Page]]:
    """`open_page(user, path)`: a tab logged in as `user` on a page; fails on script errors."""
    pages = []
    errors: list[str] = []
    browser_context.clear_cookies()  # no login or language choice carried over between tests

    def open_(user: str, path: str) -> Page:
        page = browser_context.new_page()
        pages.append(page)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
        page.on(
            "response",
            lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"),
        )
        page.on("requestfailed", lambda r: errors.append(f"failed {r.url}"))
        page.goto(served.server.login_url(user, path))  # the stub hub login sets the user
        return page

    yield open_
    for page in pages:
        page.close()
    assert not errors, errors


def ui(served: ServedWorkbench, slug: str, **query: object) -> str:
    return served.server.dashboard.urls.page(slug, **query)


def test_dashboard_shows_counts_recent_runs_and_links(served, open_page) -> None:
    page = open_page(new_user(served, "dash"), ui(served, "/"))
    expect(page.get_by_text("Executions by status")).to_be_visible()
    expect(page.get_by_role("link", name="Chat with models")).to_be_visible()
    shoot(page, "01-dashboard")


def test_adding_a_key_shows_only_its_mask(served, open_page) -> None:
    key = f"sk-browser-{secrets.token_hex(12)}"
    page = open_page(new_user(served, "keys"), ui(served, "/keys"))
    page.get_by_placeholder("Paste the key here").fill(key)
    page.get_by_placeholder("Paste the key here").press("Enter")
    page.get_by_role("button", name="Add key").click()
    expect(page.get_by_text(f"sk-…{key[-4:]}").first).to_be_visible()
    assert key not in page.locator("body").inner_text()
    expect(page.get_by_placeholder("Paste the key here")).to_have_value("")
    shoot(page, "09-api-keys")


def test_creating_a_project_lists_it_with_a_link(served, open_page) -> None:
    page = open_page(new_user(served, "projects"), ui(served, "/projects"))
    name_box = page.get_by_placeholder("e.g. Customer support replies")
    name_box.fill("Browser project")
    name_box.press("Enter")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("link", name="Browser project")).to_be_visible()
    shoot(page, "03-projects")
    page.get_by_role("link", name="Browser project").click()
    expect(page.get_by_role("link", name="New agent")).to_be_visible()
    shoot(page, "04-project-detail")


def keyed_user(served: ServedWorkbench, prefix: str) -> str:
    """A new user holding keys for OpenAI and Anthropic (served by the fake provider)."""
    name = new_user(served, prefix)
    actor = served.server.identity.actors[name]
    for provider in ("openai", "anthropic"):
        served.services.keys.create_key(
            actor, {"provider": provider, "api_key": f"sk-{provider}-{secrets.token_hex(8)}"}
        )
    return name


def test_a_compare_agent_is_made_from_its_template_and_runs_live(
    served, open_page, fake_provider
) -> None:
    user = keyed_user(served, "runner")
    actor = served.server.identity.actors[user]
    project = served.services.projects.create_project(actor, {"name": "Compare project"})
    question = f"What is the capital of Japan? {secrets.token_hex(4)}"
    # Slow enough to be seen running, streamed word by word.
    fake_provider.program("*", then={"latency": 1.0, "token_delay": 0.05}, prompt_contains=question)

    page = open_page(user, ui(served, "/agent", project=project.id))
    page.get_by_label("Start from").select_option(label="Compare models")
    page.get_by_role("button", name="Use this template").click()
    expect(page.get_by_text("anthropic:claude-sonnet-4").first).to_be_visible()
    expect(page.get_by_text("The spec is valid.")).to_be_visible()
    shoot(page, "05-agent-editor")
    page.get_by_role("button", name="Save agent").click()
    expect(page.get_by_text("Agent “Compare models” saved.")).to_be_visible()
    page.get_by_role("link", name="Run this agent").click()

    page.get_by_label("question").fill(question)
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.get_by_text("Running", exact=True).first).to_be_visible()
    shoot(page, "06-execution-running")
    # the step's badge and the execution's
    expect(page.get_by_text("Completed", exact=True)).to_have_count(2)
    expect(page.get_by_text("fake answer from gpt-4o-mini").first).to_be_visible()
    expect(page.get_by_text("fake answer from claude-sonnet-4").first).to_be_visible()
    shoot(page, "06-execution-completed")
    assert re.search(r"[?&]id=", page.url)


def test_result_analysis_shows_both_models(served, open_page) -> None:
    user = keyed_user(served, "analyst")
    actor = served.server.identity.actors[user]
    project = served.services.projects.create_project(actor, {"name": "Analysed"})
    models = ["openai:gpt-4o-mini", "anthropic:claude-sonnet-4"]
    agent = served.services.agents.create_agent(
        actor,
        project.id,
        {
            "name": "compare",
            "configuration": {"inputs": {"question": {"type": "text"}}},
            "substeps": [
                {"id": "answers", "kind": "compare", "models": models, "prompt": "{{ question }}"}
            ],
        },
    )
    runner = served.dependencies.runner
    ids = [runner.start_execution(actor, agent.id, {"question": q}).id for q in ("red?", "blue?")]
    wait_tracked(served, actor, ids)

    page = open_page(user, ui(served, "/analysis", agent=agent.id))
    for model in models:
        expect(page.get_by_text(model, exact=True).first).to_be_visible()
    expect(page.get_by_role("link", name="Compare these runs in MLflow")).to_be_visible()
    page.get_by_role("button", name="Show differences").click()
    expect(page.get_by_text(re.compile(r"Step answers: \d+ line\(s\) differ"))).to_be_visible()
    shoot(page, "08-result-analysis")


def wait_tracked(served: ServedWorkbench, actor, ids) -> None:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = [served.services.executions.get_execution(actor, i) for i in ids]
        if all(r.tracking_status.value == "SYNCED" for r in rows):
            return
        time.sleep(0.1)
    raise AssertionError("executions were not tracked in time")


def test_chatting_with_two_models_shows_both_answers_side_by_side(served, open_page) -> None:
    user = keyed_user(served, "chatter")
    page = open_page(user, ui(served, "/chat"))
    title = page.get_by_placeholder("New chat")
    title.fill("Two opinions")
    title.press("Enter")
    page.get_by_role("button", name="Start chatting").click()
    expect(page.get_by_text(re.compile(r"^With: .*openai:gpt-4o-mini"))).to_be_visible()
    message = page.get_by_placeholder("Your message…")
    message.fill("Name a colour")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("fake answer from gpt-4o-mini").first).to_be_visible()
    expect(page.get_by_text("fake answer from claude-sonnet-4").first).to_be_visible()
    shoot(page, "07-chat-room")
    page.reload()
    expect(page.get_by_text("fake answer from gpt-4o-mini").first).to_be_visible()
    shoot(page, "07b-chat-room")


def xss_agent(served: ServedWorkbench, fake_provider, prefix: str):
    """A keyed user whose project and agent are named with markup, the agent's model answering
    with markup: (user, actor, project, agent, the model's name at the fake provider)."""
    user = keyed_user(served, prefix)
    actor = served.server.identity.actors[user]
    model = f"xss-{secrets.token_hex(3)}"
    fake_provider.program(model, then={"text": XSS})
    project = served.services.projects.create_project(actor, {"name": f"P {XSS}"[:200]})
    agent = served.services.agents.create_agent(
        actor,
        project.id,
        {
            "name": f"A {XSS}"[:200],
            "description": XSS,
            "configuration": {"inputs": {"q": {"type": "text"}}},
            "substeps": [
                {"id": "out", "model": f"openai:{model}", "prompt": "{{ q }}"},
                {"id": "both", "kind": "compare", "models": [f"openai:{model}", "demo:x"],
                 "prompt": "{{ q }}"},
            ],
        },
    )  # fmt: skip
    return user, actor, project, agent, model


def assert_no_markup_ran(page: Page, name: str) -> None:
    """The S9 check: no injected script or handler ran, no injected element exists."""
    page.wait_for_timeout(500)  # give an injected handler every chance to run
    assert page.evaluate("window.__xss") is None, f"script ran on the {name} page"
    assert page.locator('img[src="x"]').count() == 0, f"markup injected on the {name} page"


def test_s9_model_output_and_user_text_are_shown_as_text(served, open_page, fake_provider) -> None:
    user, actor, project, agent, model = xss_agent(served, fake_provider, "xss")
    execution = served.dependencies.runner.start_execution(actor, agent.id, {"q": XSS})
    session = served.services.chat.create_session(
        actor, {"title": f"T {XSS}"[:200], "models": [f"openai:{model}", "openai:<img src=x>"]}
    )
    served.services.chat.add_message(actor, session.id, {"role": "user", "content": XSS})
    served.services.chat.add_message(
        actor, session.id, {"role": "assistant", "model": f"openai:{model}", "content": XSS}
    )

    pages = {
        "execution": ui(served, "/execution", id=execution.id),
        "project": ui(served, "/project", id=project.id),
        "projects": ui(served, "/projects"),
        "chat": ui(served, "/chat", session=session.id),
        "dashboard": ui(served, "/"),
    }
    for name, path in pages.items():
        page = open_page(user, path)
        expect(page.get_by_text('<img src="x" onerror=').first).to_be_visible()
        if name == "execution":
            expect(page.get_by_text("Completed", exact=True).first).to_be_visible()
        assert_no_markup_ran(page, name)
    shoot(page, "s9-escaped")


def test_s9_analysis_agent_editor_and_keys_show_markup_as_text(
    served, open_page, fake_provider
) -> None:
    user, actor, _, agent, _ = xss_agent(served, fake_provider, "xss-more")
    runner = served.dependencies.runner
    ids = [runner.start_execution(actor, agent.id, {"q": f"{XSS} {n}"}).id for n in (1, 2)]
    wait_tracked(served, actor, ids)
    served.services.keys.create_key(
        actor, {"provider": "google", "api_key": f"g-{secrets.token_hex(8)}", "label": XSS}
    )

    # Result analysis: the agent's name in the chooser and the runs, the outputs side by side.
    page = open_page(user, ui(served, "/analysis", agent=agent.id))
    expect(page.get_by_text('<img src="x" onerror=').first).to_be_visible()
    expect(page.get_by_role("link", name="Compare these runs in MLflow")).to_be_visible()
    page.get_by_role("button", name="Show differences").click()
    expect(page.get_by_text(re.compile(r"Step out: \d+ line\(s\) differ"))).to_be_visible()
    cells = page.locator(".tabulator-cell", has_text='<img src="x" onerror=')
    expect(cells.first).to_be_visible()
    assert cells.count() >= 2  # run A's and run B's output of a step
    assert_no_markup_ran(page, "analysis")
    shoot(page, "s9-analysis")

    # The agent editor: the project's name, and a model written as markup in the spec's problems.
    page = open_page(user, ui(served, "/agent", id=agent.id))
    expect(page.get_by_text('<img src="x" onerror=').first).to_be_visible()
    expect(page.get_by_text("The spec is valid.")).to_be_visible()
    model_box = page.get_by_placeholder("e.g. openai:gpt-4o-mini")
    model_box.fill(XSS)
    model_box.press("Enter")
    page.get_by_role("button", name="Apply to spec").click()
    expect(page.get_by_text("The spec has 1 problem(s):")).to_be_visible()
    expect(page.get_by_text(re.compile(r"defaults\.model: model '<script>window"))).to_be_visible()
    page.locator(".ace_gutter-cell.ace_error").first.hover()  # the gutter's tooltip
    expect(page.locator(".ace_tooltip", has_text="<script>window.__xss").first).to_be_visible()
    assert_no_markup_ran(page, "agent editor")
    shoot(page, "s9-agent-editor")

    # API keys: a key labelled with markup.
    page = open_page(user, ui(served, "/keys"))
    expect(page.get_by_text('<img src="x" onerror=').first).to_be_visible()
    page.get_by_text('<img src="x" onerror=').first.click()  # select it: its actions appear
    expect(page.get_by_role("button", name="Test key")).to_be_visible()
    assert_no_markup_ran(page, "API keys")
    shoot(page, "s9-keys")


JAPANESE_PAGES = [
    ("/", "ステータス別の実行数"),
    ("/projects", "新しいプロジェクト"),
    ("/chat", "新しいチャット"),
    ("/analysis", "まだプロジェクトがありません"),
    ("/keys", "プロバイダーのキーを追加"),
]


def test_switching_to_japanese_shows_every_page_in_japanese(served, open_page) -> None:
    page = open_page(new_user(served, "ja"), ui(served, "/"))
    page.get_by_role("link", name="日本語").click()
    for slug, japanese in JAPANESE_PAGES:
        if slug != "/":
            page.goto(served.server.url(ui(served, slug)))  # the choice is remembered
        expect(page.get_by_text(japanese).first).to_be_visible()
        expect(page.locator("#sidebar").get_by_role("link", name="ダッシュボード")).to_be_visible()
        shoot(page, f"ja{slug.replace('/', '-') if slug != '/' else '-dashboard'}")


def test_choosing_a_project_and_an_agent_opens_their_analysis(served, open_page) -> None:
    user = new_user(served, "chooser")
    actor = served.server.identity.actors[user]
    project = served.services.projects.create_project(actor, {"name": "Chosen"})
    served.services.agents.create_agent(
        actor,
        project.id,
        {
            "name": "picked",
            "configuration": {"defaults": {"model": "demo:x"}},
            "substeps": [{"id": "a", "prompt": "hello"}],
        },
    )
    page = open_page(user, ui(served, "/analysis"))
    expect(page.get_by_text("Choose a project (and")).to_be_visible()
    page.get_by_role("link", name="Chosen").click()
    page.wait_for_url(re.compile(r"analysis\?project="))
    page.get_by_role("link", name="picked").click()
    page.wait_for_url(re.compile(r"analysis\?agent="))
    expect(page.get_by_text("No tracked executions yet").first).to_be_visible()


def switch_to_japanese(page: Page) -> None:
    page.get_by_role("link", name="日本語").click()
    expect(page.locator("#sidebar").get_by_role("link", name="ダッシュボード")).to_be_visible()


def test_a_refused_action_is_explained_in_japanese(served, open_page) -> None:
    user = new_user(served, "refused")
    actor = served.server.identity.actors[user]
    served.services.projects.create_project(actor, {"name": "Taken"})
    page = open_page(user, ui(served, "/projects"))
    switch_to_japanese(page)
    name_box = page.get_by_placeholder("例: カスタマーサポートの返信")
    name_box.fill("Taken")
    name_box.press("Enter")
    page.get_by_role("button", name="プロジェクトを作成").click()
    expect(page.get_by_text(re.compile("^その名前は既に使われています。"))).to_be_visible()
    shown = page.locator("body").inner_text()
    assert "Traceback" not in shown and "Conflict" not in shown
    shoot(page, "ja-projects-error")


FAN_OUT_FAN_IN = {
    "name": "Panel of judges",
    "configuration": {"defaults": {"model": "demo:x"}, "inputs": {"question": {"type": "text"}}},
    "substeps": [
        {"id": "outline", "prompt": "{{ question }}"},
        {"id": "openai_view", "prompt": "{{ outline }}"},
        {"id": "anthropic_view", "prompt": "{{ outline }}"},
        {"id": "verdict", "prompt": "{{ openai_view }} {{ anthropic_view }}"},
    ],
}


def user_with_agent(served: ServedWorkbench, prefix: str, project_name: str, body: dict):
    """A new user owning a project named `project_name` with one agent made from `body`."""
    user = new_user(served, prefix)
    actor = served.server.identity.actors[user]
    project = served.services.projects.create_project(actor, {"name": project_name})
    return user, project, served.services.agents.create_agent(actor, project.id, body)


def test_the_project_agent_and_run_pages_speak_japanese(served, open_page) -> None:
    user, project, agent = user_with_agent(
        served, "ja-work", "日本語のプロジェクト", FAN_OUT_FAN_IN
    )
    page = open_page(user, ui(served, "/project", id=project.id))
    switch_to_japanese(page)
    expect(page.get_by_role("link", name="新しいエージェント")).to_be_visible()
    shoot(page, "ja-project")
    page.goto(served.server.url(ui(served, "/agent", id=agent.id)))
    expect(page.get_by_text("ステップと依存関係")).to_be_visible()
    expect(page.get_by_role("button", name="エージェントを保存")).to_be_visible()
    shoot(page, "ja-agent-editor")
    page.goto(served.server.url(ui(served, "/execution", agent=agent.id)))
    expect(page.get_by_role("button", name="実行する")).to_be_visible()
    shoot(page, "ja-execution-form")


def test_the_agent_editor_explains_spec_problems_in_japanese(served, open_page) -> None:
    user, _, agent = user_with_agent(served, "ja-problems", "仕様の確認", FAN_OUT_FAN_IN)
    page = open_page(user, ui(served, "/agent", id=agent.id))
    switch_to_japanese(page)
    expect(page.get_by_text("仕様は有効です。")).to_be_visible()

    model_box = page.get_by_placeholder("例: openai:gpt-4o-mini")
    model_box.fill("nope:x")
    model_box.press("Enter")
    page.get_by_role("button", name="仕様に反映").click()
    expect(page.get_by_text("仕様に 1 件の問題があります:")).to_be_visible()
    prompt_box = page.get_by_label("プロンプト", exact=True)
    prompt_box.fill("{{ questoin }}")
    prompt_box.blur()
    page.get_by_role("button", name="ステップを反映").click()
    expect(page.get_by_text("仕様に 2 件の問題があります:")).to_be_visible()
    expect(
        page.get_by_text(re.compile("defaults.model: プロバイダー 'nope' は不明です"))
    ).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"substeps\.0\.prompt: 'questoin' を参照していますが"))
    ).to_be_visible()
    shown = page.locator("body").inner_text()
    assert "which is neither an input" not in shown and "is unknown (known" not in shown
    shoot(page, "ja-agent-editor-problems")

    page.locator(".ace_gutter-cell.ace_error").first.hover()  # the gutter's tooltip
    expect(page.locator(".ace_tooltip", has_text="不明です").first).to_be_visible()
    shoot(page, "ja-agent-editor-problem-tooltip")
