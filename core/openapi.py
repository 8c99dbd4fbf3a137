"""The OpenAPI document of /api/v1, assembled from what each feature package contributes."""

from __future__ import annotations

from typing import Any

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
