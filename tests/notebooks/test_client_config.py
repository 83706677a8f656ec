"""Where the client finds the workbench and its token: arguments, or the hub's environment."""

from __future__ import annotations

import pytest

from tests.fixtures.hub import HubUser, RunningHub
from workbench.client import Client, ConfigurationError, connect
from workbench.client.config import resolve, service_url_of

HUB_VARIABLES = (
    "WORKBENCH_API_URL",
    "JUPYTERHUB_API_TOKEN",
    "JUPYTERHUB_PUBLIC_HUB_URL",
    "JUPYTERHUB_HOST",
    "JUPYTERHUB_BASE_URL",
)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in HUB_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def hub_environment(hub: RunningHub, how: str) -> dict[str, str]:
    """What a notebook server spawned by `hub` has, in three shapes a hub may give it."""
    if how == "workbench-api-url":  # the workbench's own hub configuration sets it
        return {"WORKBENCH_API_URL": hub.api_url}
    if how == "public-hub-url":  # a hub with `public_url` configured
        return {"JUPYTERHUB_PUBLIC_HUB_URL": hub.url + "/hub/", "JUPYTERHUB_BASE_URL": "/"}
    return {"JUPYTERHUB_HOST": hub.url, "JUPYTERHUB_BASE_URL": "/"}  # subdomain-style host


@pytest.mark.hub
@pytest.mark.parametrize("how", ["workbench-api-url", "public-hub-url", "host-and-base-url"])
def test_connect_without_arguments_uses_the_hub_environment(
    hub: RunningHub, notebook_user: HubUser, clean_environment: pytest.MonkeyPatch, how: str
) -> None:
    clean_environment.setenv("JUPYTERHUB_API_TOKEN", notebook_user.token)
    for name, value in hub_environment(hub, how).items():
        clean_environment.setenv(name, value)
    with connect() as client:
        assert client.service_url == hub.service_url
        assert client.me().name == notebook_user.name


@pytest.mark.hub
def test_arguments_win_over_the_environment(
    hub: RunningHub, notebook_user: HubUser, clean_environment: pytest.MonkeyPatch
) -> None:
    clean_environment.setenv("WORKBENCH_API_URL", "http://127.0.0.1:9/services/workbench/api/")
    clean_environment.setenv("JUPYTERHUB_API_TOKEN", "someone-elses-token")
    with Client(hub.api_url, token=notebook_user.token) as client:
        assert client.me().name == notebook_user.name


def test_without_a_token_the_error_names_the_variable(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("WORKBENCH_API_URL", "http://127.0.0.1:9/services/workbench/api/")
    with pytest.raises(ConfigurationError, match="JUPYTERHUB_API_TOKEN"):
        Client()


def test_without_a_url_the_error_names_the_variable(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("JUPYTERHUB_API_TOKEN", "a-token")
    with pytest.raises(ConfigurationError, match="WORKBENCH_API_URL"):
        Client()


@pytest.mark.parametrize(
    "given",
    [
        "https://hub.example.org/services/workbench/",
        "https://hub.example.org/services/workbench",
        "https://hub.example.org/services/workbench/api/",
        "https://hub.example.org/services/workbench/api",
    ],
)
def test_service_and_api_urls_give_the_same_service(given: str) -> None:
    assert service_url_of(given) == "https://hub.example.org/services/workbench/"


@pytest.mark.parametrize(
    "bad", ["hub.example.org/services/workbench", "ftp://h/x", "http://h/?q=1"]
)
def test_a_url_that_is_not_a_service_url_is_refused(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="url"):
        service_url_of(bad)


def test_public_hub_url_under_a_base_url_keeps_it() -> None:
    environ = {
        "JUPYTERHUB_PUBLIC_HUB_URL": "https://example.org/jupyter/hub/",
        "JUPYTERHUB_API_TOKEN": "t",
    }
    assert resolve(environ=environ).service_url == "https://example.org/jupyter/services/workbench/"


def test_the_token_is_never_shown() -> None:
    connection = resolve("https://hub.example.org/services/workbench/", "secret-token-1234")
    assert "secret-token-1234" not in repr(connection)
    with Client(connection.service_url, token=connection.token) as client:
        assert "secret-token-1234" not in repr(client)
