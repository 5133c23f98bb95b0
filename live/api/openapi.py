"""The OpenAPI 3.1 document, generated from the endpoint declarations and their pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from live import __version__
from live.api.routing import Endpoint

_PATH_PARAM = re.compile(r"{(\w+)(?::[^}]*)?}")
_REF = "#/components/schemas/{model}"
_ERROR_TEXT = {
    400: "Malformed request",
    401: "Not signed in, or the token is invalid or expired",
    403: "Signed in, but not allowed to do this",
    404: "Not found",
    409: "Conflicts with the current state",
    412: "The If-Match ETag does not match",
    413: "The body is too large",
    415: "The body has the wrong content type",
    422: "The body or query failed validation",
}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    """Every error answer has this shape (some codes add fields, e.g. ``remaining``)."""

    error: ErrorDetail


def _schemas(endpoints: list[Endpoint]) -> tuple[dict[Any, Any], dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], Any]] = [(ErrorResponse, "serialization")]
    for ep in endpoints:
        for model, mode in ((ep.body, "validation"), (ep.query, "validation"), (ep.response, "serialization")):
            if model is not None and (model, mode) not in wanted:
                wanted.append((model, mode))
    refs, top = models_json_schema(wanted, ref_template=_REF)
    return refs, top.get("$defs", {})


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=_REF)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(ep: Endpoint, refs: dict[Any, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": ep.summary,
        "operationId": ep.handler.__name__,
        "tags": [ep.tag],
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PATH_PARAM.findall(ep.path)
        ],
        "responses": {},
    }
    if ep.query is not None:
        op["parameters"] += _query_parameters(ep.query)
    if ep.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(ep.body, "validation")]}},
        }
    elif ep.request_type is not None:
        op["requestBody"] = {"required": True, "content": {ep.request_type: {"schema": {"type": "string"}}}}
    if ep.roles is not None:
        op["security"] = [{"bearer": []}, {"cookie": []}]
    success: dict[str, Any] = {"description": "Success"}
    if ep.response is not None:
        success["content"] = {ep.content_type: {"schema": refs[(ep.response, "serialization")]}}
    elif ep.content_type != "application/json":
        success["content"] = {ep.content_type: {"schema": {"type": "string"}}}
    op["responses"][str(ep.status)] = success
    for status, text in ep.extra_responses.items():
        op["responses"][str(status)] = {"description": text}
    error_ref = {"application/json": {"schema": refs[(ErrorResponse, "serialization")]}}
    statuses = set(ep.errors) | ({401, 403} if ep.roles is not None else set())
    if ep.body is not None or ep.query is not None or ep.request_type is not None:
        statuses |= {400, 422}
    if "{" in ep.path:
        statuses.add(404)
    for status in sorted(statuses):
        op["responses"][str(status)] = {"description": _ERROR_TEXT.get(status, "Error"), "content": error_ref}
    return op


def build_openapi(endpoints: list[Endpoint], server_url: str) -> dict[str, Any]:
    refs, components = _schemas(endpoints)
    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        path = _PATH_PARAM.sub(r"{\1}", ep.path)
        paths.setdefault(path, {})[ep.method.lower()] = _operation(ep, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Live shopping server",
            "version": __version__,
            "description": "Shows, product cards, one-tap orders, payments and webhooks. "
            "Errors are always {\"error\": {\"code\", \"message\"}}.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "live_token"},
            },
        },
    }
