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
    429: "Too many requests: wait for Retry-After seconds",
    503: "Temporarily unavailable on our side (storage): retry after Retry-After seconds",
}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    """Every error answer has this shape (some codes add fields, e.g. ``remaining``)."""

    error: ErrorDetail


def path_parameters(path: str) -> list[str]:
    return _PATH_PARAM.findall(path)


def links_from(source: Endpoint, endpoints: list[Endpoint]) -> dict[str, Any]:
    """OpenAPI links from an operation that creates something to every operation on it whose other path
    parameters the creating request already had (e.g. a new offer of show S -> its deal on show S)."""
    if source.creates is None:
        return {}
    known = set(path_parameters(source.path))
    links: dict[str, Any] = {}
    for target in endpoints:
        wanted = path_parameters(target.path)
        if source.creates.parameter not in wanted or not set(wanted) - {source.creates.parameter} <= known:
            continue
        links[target.handler.__name__] = {
            "operationId": target.handler.__name__,
            "parameters": {
                name: f"$response.body#{source.creates.pointer}" if name == source.creates.parameter
                else f"$request.path.{name}"
                for name in wanted
            },
        }
    return links


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


def _parameters(ep: Endpoint) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in path_parameters(ep.path)
    ]
    params += [
        {"name": h.name, "in": "header", "required": h.required, "description": h.description, "schema": h.schema}
        for h in ep.headers
    ]
    if ep.query is not None:
        params += _query_parameters(ep.query)
    return params


def _error_statuses(ep: Endpoint) -> set[int]:
    """Every error an operation can answer: its own, and those the routing layer gives any operation."""
    statuses = set(ep.errors) | {401, 503}  # a token that is sent is checked even where none is needed
    if ep.roles is not None:
        statuses.add(403)
    if ep.body is not None or ep.request_type is not None:
        statuses |= {400, 413, 415, 422}
    if ep.query is not None:
        statuses |= {400, 422}
    if "{" in ep.path:
        statuses.add(404)
    return statuses


def _error_response(status: int, error_ref: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": _ERROR_TEXT.get(status, "Error"), "content": error_ref}
    if status in (429, 503):
        answer["headers"] = {"Retry-After": {"description": "Seconds to wait before trying again",
                                             "required": True, "schema": {"type": "integer", "minimum": 0}}}
    return answer


def _operation(ep: Endpoint, refs: dict[Any, Any], links: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": ep.summary,
        "operationId": ep.handler.__name__,
        "tags": [ep.tag],
        "parameters": _parameters(ep),
        "responses": {},
    }
    if ep.body is not None:
        op["requestBody"] = {
            "required": bool(ep.body.model_json_schema().get("required")),  # no body reads as {}
            "content": {"application/json": {"schema": refs[(ep.body, "validation")]}},
        }
    elif ep.request_type is not None:
        op["requestBody"] = {"required": True, "content": {ep.request_type: {"schema": {"type": "string"}}}}
    if ep.roles is not None:
        op["security"] = [{"bearer": []}, {"cookie": []}]
    content: dict[str, Any] | None = None
    if ep.response is not None:
        content = {ep.content_type: {"schema": refs[(ep.response, "serialization")]}}
    elif ep.content_type != "application/json":
        content = {ep.content_type: {"schema": {"type": "string"}}}
    success: dict[str, Any] = {"description": "Success", **({"content": content} if content else {})}
    if links:
        success["links"] = links
    op["responses"][str(ep.status)] = success
    for status, text in ep.extra_responses.items():
        op["responses"][str(status)] = {"description": text, **({"content": content} if content else {})}
    error_ref = {"application/json": {"schema": refs[(ErrorResponse, "serialization")]}}
    for status in sorted(_error_statuses(ep)):
        op["responses"][str(status)] = _error_response(status, error_ref)
    return op


def build_openapi(endpoints: list[Endpoint], server_url: str) -> dict[str, Any]:
    refs, components = _schemas(endpoints)
    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        path = _PATH_PARAM.sub(r"{\1}", ep.path)
        paths.setdefault(path, {})[ep.method.lower()] = _operation(ep, refs, links_from(ep, endpoints))
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
