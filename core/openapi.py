"""The OpenAPI document of /api/v1, assembled from what each feature package contributes."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


TIME = {"type": "string", "format": "date-time"}
ERRORS = {
    "400": json_response(ref("Error"), "The body is not what the operation reads"),
    "401": json_response(ref("Error"), "Not authenticated"),
    "403": json_response(ref("Error"), "Role too low"),
    "404": json_response(ref("Error"), "Not found, or not a brand you belong to"),
    "422": json_response(ref("Error"), "Invalid input, with every reason"),
}


def operation(
    summary: str,
    response: dict[str, Any],
    *,
    body: str | None = None,
    params: list[dict[str, Any]] | None = None,
    code: str = "200",
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """An operation object: its success response, the shared errors, parameters and body."""
    op: dict[str, Any] = {"summary": summary, "responses": {code: response, **ERRORS}}
    if tags:
        op["tags"] = tags
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    return op


_paths: dict[str, Any] = {}
_schemas: dict[str, Any] = {}


def contribute(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    _paths.update(paths)
    _schemas.update(schemas or {})


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "string"}},
        "field": {"type": "string", "description": "The input that could not be read"},
    },
    "required": ["error"],
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PageOne API",
            "version": "1",
            "description": (
                "Bearer tokens come from `flask --app app users token EMAIL` or the account page. "
                "Times are ISO 8601 with an offset and are returned in UTC. Errors are JSON: "
                "{error, errors[]}."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA, **_schemas},
        },
        "security": [{"bearer": []}],
        "paths": dict(sorted(_paths.items())),
    }
