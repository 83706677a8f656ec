"""The suite finds PostgreSQL, or starts its own: proof that a machine without a server works.

`make test` on a machine with no PostgreSQL running goes through `throwaway_postgres_server`;
this runs that path on every machine, whatever the local server does.
"""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import inspect

from tests.fixtures.database import find_postgres_server, throwaway_postgres_server
from workbench.db import Database, check_schema, upgrade
from workbench.keyvault import KeyVault, generate_master_key
from workbench.services import Services


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_configured_url_wins() -> None:
    url = "postgresql+psycopg://ci:ci@db.internal:5432/test"
    server = find_postgres_server({"WORKBENCH_TEST_DATABASE_URL": url})
    assert server is not None and (server.url, server.origin) == (url, "configured")


def test_no_configured_and_no_local_server_means_start_one() -> None:
    assert find_postgres_server({}, local=("127.0.0.1", closed_port())) is None


@pytest.mark.postgres
def test_throwaway_server_serves_migrated_databases_and_goes_away() -> None:
    with throwaway_postgres_server() as server:
        url = server.create_database()
        upgrade(url)
        database = Database.from_url(url)
        try:
            check_schema(database.engine)
            services = Services(database.session_factory, KeyVault([generate_master_key()]))
            user = services.users.ensure_user("erin", admin=False)
            assert services.users.get_user(services.users.actor_for(user), user.id).name == "erin"
            with database.engine.connect() as connection:
                assert "executions" in inspect(connection).get_table_names()
        finally:
            database.dispose()
        server.drop_database(url)
        port = int(server.url.split(":")[-1].split("/")[0])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
