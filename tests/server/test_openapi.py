"""The served OpenAPI document says what the server does: every route and method, nothing else."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tornado.web import RequestHandler

from tests.fixtures.hub import RunningHub, error_of
from workbench.extensions.app import HANDLER_MODULES
from workbench.extensions.openapi import build_document, iter_routes

pytestmark = pytest.mark.hub


def implemented_methods(handler: type[RequestHandler]) -> set[str]:
    # OPTIONS is jupyter-server's CORS preflight on every API handler: no data, not an operation.
    return {
        method.lower()
        for method in handler.SUPPORTED_METHODS
        if method != "OPTIONS"
        and getattr(handler, method.lower()) is not RequestHandler._unimplemented_method
    }


@pytest.fixture(scope="module")
def document(hub: RunningHub) -> dict[str, Any]:
    with hub.api(hub.user("alice")) as api:
        response = api.get("openapi.json")
    assert response.status_code == 200
    return response.json()


def test_served_document_is_the_one_built_from_the_routes(document: dict[str, Any]) -> None:
    assert document == build_document(HANDLER_MODULES, "/services/workbench/")


def test_every_route_and_method_is_documented_and_nothing_else(document: dict[str, Any]) -> None:
    routes = {path: implemented_methods(handler) for path, handler in iter_routes(HANDLER_MODULES)}
    documented = {path: set(item) for path, item in document["paths"].items()}
    assert documented == routes


def test_every_documented_operation_is_served(hub: RunningHub, document: dict[str, Any]) -> None:
    """No documented path falls through to the API's 404 or answers 405."""
    missing = []
    with httpx.Client(headers=hub.user("alice").headers, timeout=30) as client:
        for path, item in document["paths"].items():
            url = hub.service_url.rstrip("/") + path.replace("{", "").replace("}", "")
            for method in item:
                response = client.request(method.upper(), url)
                fell_through = response.status_code == 404 and "no API endpoint" in (
                    error_of(response)["error"]
                    if response.headers.get("content-type", "").startswith("application/json")
                    else response.text
                )
                if fell_through or response.status_code == 405:
                    missing.append((method, path, response.status_code))
    assert missing == []


def test_every_operation_documents_its_errors(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            assert {"401", "403"} <= statuses, (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
            if method in ("post", "put", "patch"):
                assert {"400", "413"} <= statuses, (method, path)
