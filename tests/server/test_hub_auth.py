"""Signing up, logging in and reaching the workbench through the real hub (S3, S4, S6)."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.hub import ADMIN_GROUP, RunningHub, error_of

pytestmark = pytest.mark.hub


def test_signed_up_user_reaches_the_workbench_as_a_user(hub: RunningHub) -> None:
    alice = hub.user("alice")
    with hub.api(alice) as api:
        response = api.get("me")
    assert response.status_code == 200
    assert response.json()["name"] == "alice"
    assert response.json()["role"] == "USER"


def test_hub_admin_is_a_workbench_admin(hub: RunningHub) -> None:
    with hub.api(hub.admin) as api:
        assert api.get("me").json()["role"] == "ADMIN"


def test_member_of_the_admin_group_is_a_workbench_admin(hub: RunningHub) -> None:
    user = hub.new_user("grouped")
    with hub.api(hub.admin) as hub_api:
        hub_api.base_url = httpx.URL(hub.hub_api_url)
        hub_api.post(f"groups/{ADMIN_GROUP}")  # 201, or 409 when another test made it
        added = hub_api.post(f"groups/{ADMIN_GROUP}/users", json={"users": [user.name]})
    assert added.status_code == 200, added.text
    with hub.api(user) as api:
        assert api.get("me").json()["role"] == "ADMIN"


def test_request_without_credentials_is_401(hub: RunningHub) -> None:
    with hub.api() as api:
        response = api.get("projects")
    assert response.status_code == 401
    assert "token" in error_of(response)["error"]


def test_unknown_token_is_401(hub: RunningHub) -> None:
    with hub.api(token="not-a-real-token") as api:
        response = api.get("projects")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_signup_refuses_a_short_password(hub: RunningHub) -> None:
    with httpx.Client(timeout=30) as client:
        hub.sign_up(client, "shortpw", "short")
        response = hub.log_in(client, "shortpw", "short")
    assert response.status_code == 200  # the login page again, not a redirect into the hub
    assert "Invalid username or password" in response.text


def test_unapproved_user_cannot_log_in(hub: RunningHub) -> None:
    password = "waiting-for-approval-1"
    with httpx.Client(timeout=30) as client:
        hub.sign_up(client, "unapproved", password)
        response = hub.log_in(client, "unapproved", password)
    assert response.status_code == 200
    assert "has not been authorized by an administrator" in response.text


def test_failed_logins_lock_the_account_for_a_while(hub: RunningHub) -> None:
    user = hub.new_user("guessed")
    with httpx.Client(timeout=30) as client:
        for _ in range(5):
            assert hub.log_in(client, user.name, "wrong-password-000").status_code == 200
        # The right password is refused too until seconds_before_next_try has passed.
        response = hub.log_in(client, user.name, user.password)
    assert response.status_code == 200
    assert "Invalid username or password" in response.text


# ---- S3: hub scopes ----------------------------------------------------------------------


def test_s3_token_without_workbench_scope_gets_403(hub: RunningHub) -> None:
    alice = hub.user("alice")
    token = hub.token(alice, ["read:users:name!user"])
    with hub.api(token=token) as api:
        response = api.get("projects")
    assert response.status_code == 403
    assert "access:services!service=workbench" in error_of(response)["error"]


def test_s3_identify_only_token_cannot_change_anything(hub: RunningHub) -> None:
    alice = hub.user("alice")
    token = hub.token(alice, ["read:users:name!user", "read:users:groups!user"])
    name = "made-with-identify-only"
    with hub.api(token=token) as api:
        created = api.post("projects", json={"name": name})
    assert created.status_code == 403
    with hub.api(alice) as api:
        names = [p["name"] for p in api.get("projects", params={"limit": 200}).json()["items"]]
    assert name not in names


def test_s3_another_hub_service_is_not_a_user(hub: RunningHub) -> None:
    with hub.api(token=hub.service_token("other-service")) as api:
        response = api.get("projects")
    assert response.status_code == 403
    assert "user" in error_of(response)["error"]


# ---- S4: CSRF ----------------------------------------------------------------------------


def test_s4_cookie_post_without_xsrf_is_rejected(hub: RunningHub) -> None:
    alice = hub.user("alice")
    with hub.browser(alice) as browser:
        assert browser.get(hub.api_url + "projects").status_code == 200  # cookie GET works
        response = browser.post(
            hub.api_url + "projects",
            json={"name": "csrf-attempt"},
            headers={"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "cross-site"},
        )
    assert response.status_code in (401, 403)
    with hub.api(alice) as api:
        names = [p["name"] for p in api.get("projects", params={"limit": 200}).json()["items"]]
    assert "csrf-attempt" not in names


def test_s4_cookie_post_with_the_xsrf_token_is_accepted(hub: RunningHub) -> None:
    alice = hub.user("alice")
    with hub.browser(alice) as browser:
        xsrf = browser.cookies.get("_xsrf", path="/services/workbench/")
        assert xsrf, "the workbench's front door sets the XSRF cookie"
        response = browser.post(
            hub.api_url + "projects",
            json={"name": "made-in-the-browser"},
            headers={
                "X-XSRFToken": xsrf,
                "Sec-Fetch-Mode": "cors",
                "Sec-Fetch-Site": "same-origin",
            },
        )
    assert response.status_code == 201, response.text


def test_s4_token_post_needs_no_xsrf(hub: RunningHub) -> None:
    with hub.api(hub.user("alice")) as api:
        response = api.post("projects", json={"name": "made-with-a-token"})
    assert response.status_code == 201, response.text


# ---- S6: the service is not a notebook server --------------------------------------------

NOTEBOOK_ROUTES = [
    ("GET", "api/kernels"),
    ("POST", "api/kernels"),
    ("GET", "api/sessions"),
    ("POST", "api/sessions"),
    ("GET", "api/contents"),
    ("GET", "api/contents/etc/passwd"),
    ("GET", "files/secret.key"),
    ("GET", "api/terminals"),
    ("POST", "api/terminals"),
    ("GET", "terminals/websocket/1"),
    ("GET", "api/kernelspecs"),
    ("GET", "kernelspecs/python3/kernel.json"),
    ("GET", "proxy/8000/"),
    ("GET", "proxy/absolute/8000/"),
    ("GET", "api/config/notebook"),
    ("POST", "api/shutdown"),
    ("GET", "api/nbconvert"),
    ("GET", "api/events"),
    ("GET", "lab"),
    ("GET", "tree"),
    ("GET", "view/secret.key"),
    ("GET", "edit/secret.key"),
    ("GET", "panel-preview/render/secret.key"),
    ("GET", "panel-preview/run"),
]


@pytest.mark.parametrize(("method", "path"), NOTEBOOK_ROUTES)
def test_s6_notebook_server_routes_are_absent(hub: RunningHub, method: str, path: str) -> None:
    # Redirects are followed: "x/" only redirects to "x", which must not exist either.
    with httpx.Client(headers=hub.admin.headers, timeout=30, follow_redirects=True) as client:
        response = client.request(method, hub.service_url + path)
    assert response.status_code in (403, 404), (method, path, response.status_code)
