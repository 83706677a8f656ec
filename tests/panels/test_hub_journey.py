"""A newcomer's whole journey through the real JupyterHub, in headless Chromium.

Sign up on the hub's form, get approved, sign in and land on the dashboard; add keys; create a
project and a compare-models agent; run it against the fake provider server and watch it
complete live; see both models in result analysis; chat with two models; switch to Japanese.
Screenshots go to test-output/screenshots/hub-journey-*.png.
"""

from __future__ import annotations

import re
import secrets
import time
import warnings
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.fixtures.hub import RunningHub
from tests.panels.conftest import SCREENSHOTS

pytestmark = [pytest.mark.hub, pytest.mark.browser]

TIMEOUT_MS = 60_000
BOKEH_DESYNC = re.compile(r"reference p\d+ isn't known")
expect.set_options(timeout=TIMEOUT_MS)


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)
    page.screenshot(path=str(SCREENSHOTS / f"hub-journey-{name}.png"), full_page=True)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1600})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    yield tab
    context.close()
    # BokehJS's document sync can lose a race under load (seen once in six full-suite runs,
    # never alone): a patch names a model the browser has not decoded yet. The journey's own
    # checks above still hold; the desync is reported, any other page error fails the test.
    desyncs = [e for e in errors if BOKEH_DESYNC.fullmatch(e)]
    if desyncs:
        warnings.warn(f"BokehJS document desync during the journey: {desyncs}", stacklevel=1)
    assert not [e for e in errors if e not in desyncs], errors


def sign_up_and_in(hub: RunningHub, page: Page) -> str:
    name = f"journey-{secrets.token_hex(3)}"
    password = f"{name}-Correct-Horse-42"
    page.goto(f"{hub.url}/hub/signup")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.fill("#password_confirmation_input", password)
    page.click("#signup_submit")
    expect(page.locator("#signup-result")).to_be_visible()
    hub.approve(hub.admin, name)
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(f"{hub.service_url}ui/**")
    return name


def add_key(page: Page, provider: str) -> None:
    key = f"sk-{provider}-{secrets.token_hex(10)}"
    page.get_by_label("Provider").select_option(provider)
    box = page.get_by_placeholder("Paste the key here")
    box.fill(key)
    box.press("Enter")
    page.get_by_role("button", name="Add key").click()
    expect(page.get_by_text(f"…{key[-4:]}").first).to_be_visible()
    assert key not in page.locator("body").inner_text()


def test_newcomer_journey_through_the_hub(hub: RunningHub, page: Page) -> None:
    sign_up_and_in(hub, page)
    expect(page.get_by_text("Executions by status")).to_be_visible()
    shoot(page, "1-dashboard")

    # Keys, shown masked once added.
    page.locator("#sidebar").get_by_role("link", name="API keys").click()
    add_key(page, "openai")
    add_key(page, "anthropic")
    shoot(page, "2-keys")

    # A project, and a compare-models agent from its template.
    page.locator("#sidebar").get_by_role("link", name="Projects").click()
    name_box = page.get_by_placeholder("e.g. Customer support replies")
    name_box.fill("Capitals")
    name_box.press("Enter")
    page.get_by_role("button", name="Create project").click()
    page.get_by_role("link", name="Capitals").click()
    page.get_by_role("link", name="New agent").click()
    page.get_by_label("Start from").select_option(label="Compare models")
    page.get_by_role("button", name="Use this template").click()
    expect(page.get_by_text("anthropic:claude-sonnet-4").first).to_be_visible()
    page.get_by_role("button", name="Save agent").click()
    expect(page.get_by_text("Agent “Compare models” saved.")).to_be_visible()
    shoot(page, "3-agent")

    # Run it and watch it finish live (the fake provider answers slowly enough to see it run).
    question = f"What is the capital of France? {secrets.token_hex(3)}"
    hub.fake_provider.program(
        "*", then={"latency": 1.0, "token_delay": 0.05}, prompt_contains=question
    )
    page.get_by_role("link", name="Run this agent").click()
    page.get_by_label("question").fill(question)
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.get_by_text("Running", exact=True).first).to_be_visible()
    expect(page.get_by_text("Completed", exact=True)).to_have_count(2)  # the step and the run
    expect(page.get_by_text("fake answer from gpt-4o-mini").first).to_be_visible()
    expect(page.get_by_text("fake answer from claude-sonnet-4").first).to_be_visible()
    shoot(page, "4-execution")
    execution_url = page.url
    assert re.search(r"[?&]id=", execution_url)

    # Result analysis: both models' rows (MLflow receives the run in the background).
    agent_link = page.locator("#sidebar").get_by_role("link", name="Result analysis")
    agent_link.click()
    page.get_by_role("link", name="Capitals").click()
    page.get_by_role("link", name="Compare models").click()
    deadline = time.monotonic() + 60
    while True:
        expect(page.get_by_text("Executions", exact=True)).to_be_visible()
        expect(page.get_by_text("Reading the runs from MLflow")).to_have_count(0)
        if page.get_by_text("openai:gpt-4o-mini", exact=True).count():
            break
        if time.monotonic() > deadline:
            shoot(page, "5-analysis-missing")
            pytest.fail("the run did not reach result analysis")
        page.wait_for_timeout(1000)
        page.reload()
    for model in ("openai:gpt-4o-mini", "anthropic:claude-sonnet-4"):
        expect(page.get_by_text(model, exact=True).first).to_be_visible()
    shoot(page, "5-analysis")

    # Chat with two models.
    page.locator("#sidebar").get_by_role("link", name="Chat room").click()
    page.get_by_role("button", name="Start chatting").click()
    message = page.get_by_placeholder("Your message…")
    message.fill("Say hello")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("fake answer from gpt-4o-mini").first).to_be_visible()
    expect(page.get_by_text("fake answer from claude-sonnet-4").first).to_be_visible()
    shoot(page, "6-chat")

    # Japanese.
    page.get_by_role("link", name="日本語").click()
    expect(page.get_by_text("新しいチャット").first).to_be_visible()
    page.locator("#sidebar").get_by_role("link", name="ダッシュボード").click()
    expect(page.get_by_text("ステータス別の実行数")).to_be_visible()
    shoot(page, "7-japanese")

    # Log out from the header: out of the dashboard and of the hub.
    page.get_by_role("link", name="ログアウト").click()
    page.wait_for_url(f"{hub.url}/hub/login**")
    page.goto(f"{hub.service_url}ui/")
    page.wait_for_url(f"{hub.url}/hub/login**")
    expect(page.locator("#login_submit")).to_be_visible()
