"""Fixture plugins, one per area of the project (see docs/architecture.md, "Tests")."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.providers",
    "tests.fixtures.engine",
    "tests.fixtures.mlflow",
    "tests.fixtures.hub",
    "tests.fixtures.browser",
    "tests.fixtures.redis_server",
]
