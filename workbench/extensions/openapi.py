"""The OpenAPI 3.1 document of the REST API, built from the routes and their `Operation`s.

Request schemas come from the service layer's pydantic input models and response schemas from
the entities the handlers serialise, through the same pydantic adapters, so the document says
what the code does. `tests/server/test_openapi.py` checks that every served route and method is
in it and nothing else is.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import TypeAdapter

from workbench import __version__
from workbench.extensions.routes import Listing, Operation, path_parameters

REF = "#/components/schemas/{model}"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "field", "code", "errors"],
    "properties": {
        "error": {"type": "string", "description": "what went wrong, and what to do"},
        "field": {
            "type": ["string", "null"],
            "description": "the first input field at fault (dotted path), if any",
        },
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

_ERROR_DESCRIPTIONS = {
    400: "invalid input; `field` names the offending field",
    401: "no valid hub credentials",
    403: "not allowed",
    404: "no such resource, or not yours",
    409: "conflicts with the current state",
    413: "request body too large",
    422: "the input is well-formed but cannot be used",
}


def iter_routes(modules: Iterable[str]) -> Iterator[tuple[str, type]]:
    """(OpenAPI path, handler class) of every route the handler modules register."""
    for module_name in modules:
        module = importlib.import_module(module_name)
        for _pattern, handler, *options in module.default_handlers:
            if options and "route_path" in options[0]:  # API routes; pages are not in it
                yield options[0]["route_path"], handler


def _schema_types(operations: Iterable[Operation]) -> list[type]:
    types: list[type] = []
    for operation in operations:
        if operation.body is not None:
            types.append(operation.body)
        response = operation.response
        if isinstance(response, Listing):
            response = response.item
        if isinstance(response, type):
            types.append(response)
    return list(dict.fromkeys(types))


def _components(types: list[type]) -> tuple[dict[type, dict[str, Any]], dict[str, Any]]:
    inputs = [(cls, "validation", TypeAdapter(cls)) for cls in types]
    outputs = [(cls, "serialization", TypeAdapter(cls)) for cls in types]
    refs, definitions = TypeAdapter.json_schemas([*inputs, *outputs], ref_template=REF)
    schemas = dict(definitions.get("$defs", {}))
    by_type: dict[type, dict[str, Any]] = {}
    for cls in types:
        # Bodies are read as input, entities written as output.
        mode = "validation" if hasattr(cls, "model_fields") else "serialization"
        by_type[cls] = refs[(cls, mode)]
    return by_type, schemas


def _json(schema: dict[str, Any], content_type: str = "application/json") -> dict[str, Any]:
    return {content_type: {"schema": schema}}


def _listing_schema(item_schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "total", "offset", "limit"],
        "properties": {
            "items": {"type": "array", "items": item_schema},
            "total": {"type": "integer", "minimum": 0},
            "offset": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 1},
        },
    }


def _operation(
    path: str, method: str, operation: Operation, refs: dict[type, dict[str, Any]]
) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in path_parameters(path)
    ]
    parameters += [
        {
            "name": q.name,
            "in": "query",
            "required": False,
            "schema": q.schema,
            "description": q.description,
        }
        for q in operation.query
    ]
    spec: dict[str, Any] = {
        "summary": operation.summary,
        "operationId": method + "_" + re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_"),
        "tags": [operation.tag],
        "parameters": parameters,
    }
    if operation.description:
        spec["description"] = operation.description
    if operation.body is not None:
        spec["requestBody"] = {"required": True, "content": _json(refs[operation.body])}
    responses: dict[str, Any] = {}
    if operation.response is None:
        responses[str(operation.status)] = {"description": "done"}
    elif isinstance(operation.response, Listing):
        responses[str(operation.status)] = {
            "description": "one page",
            "content": _json(_listing_schema(refs[operation.response.item])),
        }
    elif isinstance(operation.response, dict):
        responses[str(operation.status)] = {
            "description": "the answer",
            "content": _json(operation.response, operation.content_type),
        }
    else:
        responses[str(operation.status)] = {
            "description": "the resource",
            "content": _json(refs[operation.response]),
        }
    errors = {401, 403, *operation.errors}
    if path_parameters(path):
        errors.add(404)
    if method in {"post", "put", "patch"}:
        errors |= {400, 413}
    for status in sorted(errors):
        responses[str(status)] = {
            "description": _ERROR_DESCRIPTIONS.get(status, "error"),
            "content": _json({"$ref": REF.format(model="Error")}),
        }
    spec["responses"] = responses
    return spec


@functools.cache
def build_document(modules: tuple[str, ...], base_url: str) -> dict[str, Any]:
    """The whole document for the handler `modules`, served under `base_url`."""
    routes = list(iter_routes(modules))
    operations = [op for _path, handler in routes for op in handler.operations.values()]
    refs, schemas = _components(_schema_types(operations))
    schemas["Error"] = ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for path, handler in routes:
        item = paths.setdefault(path, {})
        for method, operation in handler.operations.items():
            item[method] = _operation(path, method, operation, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Multi-LLM Workbench API",
            "version": __version__,
            "description": (
                "Projects, task agents, executions, API keys and chat sessions of the "
                "workbench. Authenticate with a JupyterHub API token "
                "(`Authorization: token <token>`); browsers use the hub login."
            ),
        },
        "servers": [{"url": base_url.rstrip("/") or "/"}],
        "security": [{"hubToken": []}],
        "components": {
            "securitySchemes": {
                "hubToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`token <JupyterHub API token>`",
                }
            },
            "schemas": schemas,
        },
        "paths": paths,
    }
