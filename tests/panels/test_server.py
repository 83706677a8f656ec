"""The dashboard inside the workbench's jupyter-server: login, signed sessions, origins (S5)."""

from __future__ import annotations

import json
import re
from contextlib import closing

import httpx
import pytest
from bokeh.util.token import generate_jwt_token, get_token_payload
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.panels.conftest import ServedWorkbench
from tests.panels.harness import STUB_COOKIE
from workbench.panels.server import websocket_allowlist

TOKEN = re.compile(r'"token":"([^"]+)"')


def logged_in(served: ServedWorkbench, user: str) -> httpx.Client:
    client = httpx.Client(follow_redirects=True, timeout=30)
    client.get(served.server.login_url(user)).raise_for_status()
    return client


def session_token(served: ServedWorkbench, user: str, slug: str = "/") -> tuple[str, str]:
    """A fresh page's Bokeh session token, and the cookie header of its visitor."""
    with closing(logged_in(served, user)) as client:
        response = client.get(served.server.url(served.server.dashboard.urls.page(slug)))
        response.raise_for_status()
        cookie = f"{STUB_COOKIE}={client.cookies[STUB_COOKIE]}"
    return TOKEN.search(response.text).group(1), cookie


def open_websocket(
    served: ServedWorkbench, token: str, *, cookie: str | None, origin: str | None = None
) -> ClientConnection:
    url = served.server.url(served.server.dashboard.urls.page("/") + "ws").replace("http", "ws", 1)
    return connect(
        url,
        subprotocols=["bokeh", token],  # type: ignore[list-item]
        origin=origin or served.server.origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie} if cookie else None,
        open_timeout=10,
    )


def refused_status(served: ServedWorkbench, token: str, **kwargs) -> int:
    with pytest.raises(InvalidStatus) as refused:
        open_websocket(served, token, **kwargs)
    return refused.value.response.status_code


def test_s5_page_without_login_redirects_to_the_hub_login(served: ServedWorkbench) -> None:
    page = served.server.url(served.server.dashboard.urls.page("/"))
    response = httpx.get(page, follow_redirects=False)
    assert response.status_code == 302
    assert "stub-login" in response.headers["location"]


def test_s5_page_of_a_logged_in_user_names_them(served: ServedWorkbench) -> None:
    with closing(logged_in(served, "alice")) as client:
        response = client.get(served.server.url(served.server.dashboard.urls.page("/")))
    assert response.status_code == 200
    token = TOKEN.search(response.text).group(1)
    assert get_token_payload(token)["workbench_user"] == str(served.actors["alice"].id)


def test_s5_websocket_of_the_sessions_owner_opens(served: ServedWorkbench) -> None:
    token, cookie = session_token(served, "alice")
    with open_websocket(served, token, cookie=cookie) as connection:
        header = json.loads(connection.recv(timeout=10))
    assert header["msgtype"] == "ACK"


def test_s5_websocket_without_login_is_refused_before_the_handshake(
    served: ServedWorkbench,
) -> None:
    token, _ = session_token(served, "alice")
    assert refused_status(served, token, cookie=None) == 403


def test_s5_websocket_from_a_foreign_origin_is_refused(served: ServedWorkbench) -> None:
    token, cookie = session_token(served, "alice")
    assert refused_status(served, token, cookie=cookie, origin="http://evil.example") == 403


def test_s5_websocket_into_another_users_session_is_refused(served: ServedWorkbench) -> None:
    alices_token, _ = session_token(served, "alice")
    _, bobs_cookie = session_token(served, "bob")
    assert refused_status(served, alices_token, cookie=bobs_cookie) == 403


def test_s5_websocket_with_an_unsigned_session_token_is_closed(served: ServedWorkbench) -> None:
    _, cookie = session_token(served, "alice")
    forged = generate_jwt_token(
        "forged-session-id",
        signed=False,
        extra_payload={"workbench_user": str(served.actors["alice"].id)},
    )
    with (
        open_websocket(served, forged, cookie=cookie) as connection,
        pytest.raises(ConnectionClosed),
    ):
        connection.recv(timeout=10)  # closed without an ACK


def test_s5_session_tokens_carry_no_hub_cookie(served: ServedWorkbench) -> None:
    token, _ = session_token(served, "alice")
    payload = json.dumps(get_token_payload(token))
    assert STUB_COOKIE not in payload
    assert "Cookie" not in payload


def test_language_switch_remembers_the_choice_and_returns(served: ServedWorkbench) -> None:
    urls = served.server.dashboard.urls
    with closing(logged_in(served, "alice")) as client:
        response = client.get(
            served.server.url(urls.language("ja", urls.page("/keys"))), follow_redirects=False
        )
    assert response.status_code == 302
    assert response.headers["location"] == urls.page("/keys")
    assert response.cookies["workbench-lang"] == "ja"


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example/x", "/hub/admin", "/services/x"]
)
def test_language_switch_never_redirects_off_the_dashboard(
    served: ServedWorkbench, next_path: str
) -> None:
    urls = served.server.dashboard.urls
    response = httpx.get(served.server.url(urls.language("en", next_path)), follow_redirects=False)
    assert response.headers["location"] == urls.page("/")


def test_language_switch_refuses_an_unknown_language(served: ServedWorkbench) -> None:
    urls = served.server.dashboard.urls
    response = httpx.get(served.server.url(urls.language("xx", urls.page("/"))))
    assert response.status_code == 400
    assert "to:" in response.text


@pytest.mark.parametrize("origin", ["*", "http://*.example.org", "", "http://"])
def test_allowed_origins_must_be_exact(origin: str) -> None:
    with pytest.raises(ValueError, match="allowed_origins"):
        websocket_allowlist([origin])


def test_allowed_origins_are_normalised_to_bokehs_host_port_form() -> None:
    assert websocket_allowlist(["http://127.0.0.1:8000", "https://Workbench.example.org"]) == [
        "127.0.0.1:8000",
        "workbench.example.org:80",
    ]
