"""Fixtures of the notebook tests: clients of the session's real hub, as notebook users.

Every test here talks to the workbench the way a notebook does: `workbench.Client` with a hub
API token, through the hub's proxy (`hub` from `tests/fixtures/hub.py`). Names are unique per
test so the session's users can be shared.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

import pytest

from tests.fixtures.hub import HubUser, RunningHub
from workbench.client import Client, NotFound, Project


@pytest.fixture(scope="session")
def notebook_user(hub: RunningHub) -> HubUser:
    return hub.new_user("nb")


@pytest.fixture(scope="session")
def client(hub: RunningHub, notebook_user: HubUser) -> Iterator[Client]:
    with Client(hub.service_url, token=notebook_user.token) as connected:
        yield connected


@pytest.fixture(scope="session")
def other_client(hub: RunningHub) -> Iterator[Client]:
    with Client(hub.service_url, token=hub.new_user("other").token) as connected:
        yield connected


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


@pytest.fixture
def project(client: Client) -> Iterator[Project]:
    created = client.projects.create(unique("proj"), "made by a notebook test")
    yield created
    with contextlib.suppress(NotFound):
        client.projects.delete(created)
