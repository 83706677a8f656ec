"""The hub's sign-up and login pages, as a person uses them in headless Chromium.

Screenshots of each page land in test-output/screenshots/ (hub-*.png).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.fixtures.hub import RunningHub

pytestmark = [pytest.mark.hub, pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"hub-{name}.png"), full_page=True)


def test_sign_up_wait_for_approval_then_sign_in(hub: RunningHub, browser: Browser) -> None:
    name = f"newcomer-{secrets.token_hex(2)}"
    password = "a-long-enough-passphrase"
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(f"{hub.url}/hub/signup")
    assert "Multi-LLM Workbench" in page.title()
    assert page.get_by_role("heading", name="Create your account").is_visible()
    shoot(page, "signup")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.fill("#password_confirmation_input", password)
    page.click("#signup_submit")
    # The form posts and the page reloads: wait for the new page's text, not the old page's.
    expect(page.locator("#signup-result")).to_contain_text("sent to the admin")
    shoot(page, "signup-done")

    page.goto(f"{hub.url}/hub/login")
    shoot(page, "login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    expect(page.locator("#login-error")).to_contain_text("not been authorized")
    shoot(page, "login-unapproved")

    hub.approve(hub.admin, name)
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(f"{hub.service_url}ui/**", timeout=60_000)
    # The dashboard's session comes over a WebSocket through the hub: its navigation appears.
    page.get_by_role("link", name="API keys", exact=True).wait_for(timeout=60_000)
    shoot(page, "after-login")
    context.close()


def test_pages_speak_japanese_to_a_japanese_browser(hub: RunningHub, browser: Browser) -> None:
    context = browser.new_context(locale="ja-JP", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    assert page.get_by_role("heading", name="ログイン").is_visible()
    shoot(page, "login-ja")
    page.goto(f"{hub.url}/hub/signup")
    assert page.get_by_role("heading", name="アカウント作成").is_visible()
    shoot(page, "signup-ja")
    context.close()
