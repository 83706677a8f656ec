"""Trying a stored key with the provider's cheapest call (listing its models).

The provider is the session's fake provider server, which answers the three providers'
list-models calls and refuses a key it was told is revoked (`reject_key`). First `probe_key`
on its own, then the whole way: a key stored through the hub's API, checked by the service.
"""

from __future__ import annotations

import concurrent.futures
import secrets
import socket
import time

import httpx
import pytest

from tests.fakes.provider_server import FakeProvider
from tests.fixtures.hub import RunningHub, error_of
from tests.server.helpers import store_key
from workbench.runner import KEY_CHECK_TIMEOUT_S, probe_key

PROVIDERS = ["openai", "anthropic", "google", "openai-compatible"]


def new_key() -> str:
    return "sk-test-" + secrets.token_hex(16)


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_good_key_is_accepted(fake_provider: FakeProvider, name: str) -> None:
    check = probe_key(name, new_key(), fake_provider.base_url(name), hint="sk-…1111")
    assert check.ok, check.message
    assert "sk-…1111" in check.message


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_refused_key_says_so_without_the_key(fake_provider: FakeProvider, name: str) -> None:
    key = new_key()
    fake_provider.reject_key(key)
    check = probe_key(name, key, fake_provider.base_url(name), hint="sk-…2222")
    assert not check.ok
    assert "refused" in check.message and "sk-…2222" in check.message
    assert key not in check.message


@pytest.mark.parametrize(
    ("name", "path", "header"),
    [
        ("openai", "/v1/models", "authorization"),
        ("anthropic", "/v1/models", "x-api-key"),
        ("google", "/v1beta/models", "x-goog-api-key"),
    ],
)
def test_each_provider_is_asked_its_own_way(
    fake_provider: FakeProvider, name: str, path: str, header: str
) -> None:
    key = new_key()
    probe_key(name, key, fake_provider.base_url(name), hint="h")
    (seen,) = [
        r for r in fake_provider.requests() if key in str(r["headers"]) and r["path"] == path
    ]
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert key in headers[header]
    assert seen["protocol"] == name
    if name == "anthropic":
        assert headers["anthropic-version"]


def test_an_unreachable_provider_is_not_ok() -> None:
    key = new_key()
    check = probe_key("openai", key, "http://127.0.0.1:9/v1", hint="h")
    assert not check.ok
    assert "could not reach" in check.message
    assert key not in check.message


# ---- through the hub: POST apikeys/{id}/check --------------------------------------------------


@pytest.mark.hub
@pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])
def test_checking_a_stored_key_reports_the_provider_accepting_it(
    hub: RunningHub, provider: str
) -> None:
    with hub.api(hub.user("alice")) as api:
        stored = store_key(api, provider, new_key())
        response = api.post(f"apikeys/{stored['id']}/check")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "ok": True,
        "message": f"{provider} accepted the key {stored['hint']}",
    }


@pytest.mark.hub
@pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])
def test_checking_a_revoked_key_reports_the_refusal_without_the_key(
    hub: RunningHub, provider: str
) -> None:
    assert hub.fake_provider is not None
    key = new_key()
    hub.fake_provider.reject_key(key)
    with hub.api(hub.user("alice")) as api:
        stored = store_key(api, provider, key)
        response = api.post(f"apikeys/{stored['id']}/check")
    assert response.status_code == 200, response.text
    verdict = response.json()
    assert verdict["ok"] is False
    assert f"{provider} refused the key {stored['hint']} (401)" in verdict["message"]
    assert key not in response.text


@pytest.mark.hub
def test_s1_another_users_key_cannot_be_checked(hub: RunningHub) -> None:
    assert hub.fake_provider is not None
    key = new_key()
    with hub.api(hub.user("alice")) as api:
        stored = store_key(api, "openai", key)
    with hub.api(hub.user("bob")) as api:
        response = api.post(f"apikeys/{stored['id']}/check")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    # The provider was never asked with alice's key.
    assert not [r for r in hub.fake_provider.requests() if key in str(r["headers"])]


@pytest.mark.hub
def test_key_checks_waiting_on_a_silent_provider_do_not_hold_up_other_requests(
    hub: RunningHub,
) -> None:
    """More checks hang than the service has database threads; reads still answer at once."""
    hanging = 12  # the service's database threads: 4 (8 before they had threads of their own)
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(hanging + 4)
        base_url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        with hub.api(hub.user("alice")) as api:
            created = api.post(
                "apikeys",
                json={"provider": "openai-compatible", "api_key": new_key(), "base_url": base_url},
            )
            assert created.status_code == 201, created.text
            key_id = created.json()["id"]

        def check() -> httpx.Response:
            with hub.api(hub.user("alice")) as client:
                return client.post(f"apikeys/{key_id}/check", timeout=KEY_CHECK_TIMEOUT_S + 30)

        with concurrent.futures.ThreadPoolExecutor(hanging) as pool:
            checks = [pool.submit(check) for _ in range(hanging)]
            time.sleep(2)  # every check is now waiting on the silent provider
            assert not any(c.done() for c in checks)
            with hub.api(hub.user("alice")) as api:
                started = time.monotonic()
                listed = api.get("apikeys")
                waited = time.monotonic() - started
            assert listed.status_code == 200
            assert waited < KEY_CHECK_TIMEOUT_S / 3, f"a read waited {waited:.1f} s behind them"
            verdicts = [c.result() for c in checks]
    assert all(v.status_code == 200 and v.json()["ok"] is False for v in verdicts)
