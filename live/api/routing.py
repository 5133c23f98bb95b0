"""A thin declarative layer over aiohttp routes: each endpoint names its body, query and response pydantic
models and who may call it. The same declarations validate requests and generate the OpenAPI document, so
the document cannot drift from what the handlers accept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from live import keys
from live.auth import Principal, Role, optional_principal
from live.config import Settings
from live.errors import DomainError, Forbidden, NotFound, Unauthorized, validation_error
from live.limits import Limiter
from live.rediskeys import RedisKeys

B = TypeVar("B")
Q = TypeVar("Q")


class Reply:
    """A handler's answer when it is not the endpoint's default status, or needs headers."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, body: Any, status: int = 200, headers: dict[str, str] | None = None):
        self.body, self.status, self.headers = body, status, headers or {}


@dataclass(slots=True)
class Call(Generic[B, Q]):
    """What a handler gets: the request, the caller, the validated body and query, and the app's resources."""

    request: web.Request
    principal: Principal | None
    body: B
    query: Q

    @property
    def user(self) -> Principal:
        if self.principal is None:  # only reachable on endpoints declared public
            raise Unauthorized("sign in first: send 'Authorization: Bearer <token>'")
        return self.principal

    def path(self, name: str) -> str:
        value = self.request.match_info[name]
        if "\x00" in value:  # no id has one, and PostgreSQL cannot even compare one
            raise NotFound(f"no such {name.removesuffix('_id')}")
        return value

    @property
    def app(self) -> web.Application:
        return self.request.app

    @property
    def settings(self) -> Settings:
        return self.request.app[keys.settings_key]

    @property
    def redis(self) -> Redis:
        return self.request.app[keys.redis_key]

    @property
    def redis_keys(self) -> RedisKeys:
        return self.request.app[keys.redis_keys_key]

    def session(self) -> AsyncSession:
        return self.request.app[keys.sessionmaker_key]()

    @property
    def limiter(self) -> Limiter:
        return self.request.app[keys.limiter_key]

    @property
    def client_address(self) -> str:
        """The caller's address (``X-Forwarded-For`` counts only from ``LIVE_TRUSTED_PROXIES``)."""
        return self.limiter.address(self.request.remote, self.request.headers.get("X-Forwarded-For"))


HandlerFn = Callable[[Call[Any, Any]], Awaitable[Any]]
PUBLIC: tuple[Role, ...] = ()


@dataclass(frozen=True, slots=True)
class HeaderParam:
    name: str
    description: str
    required: bool = True
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True, slots=True)
class Created:
    """What a success creates: the path parameter that names it and where its id is in the answer (a JSON
    pointer), so the document links it to the operations on it."""

    parameter: str
    pointer: str = "/id"


@dataclass(slots=True)
class Endpoint:
    method: str
    path: str
    handler: HandlerFn
    summary: str
    tag: str
    roles: tuple[Role, ...] | None  # None: anyone; (): any signed-in user; else these roles
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: Sequence[int] = ()
    content_type: str = "application/json"
    extra_responses: dict[int, str] = field(default_factory=dict)
    request_type: str | None = None  # a non-JSON body the handler reads itself (e.g. application/sdp)
    headers: Sequence[HeaderParam] = ()  # request headers the handler reads itself (documented, not validated)
    creates: Created | None = None  # the resource a success creates, for the document's links


class ApiRouter:
    """Collects endpoint declarations (``@router.post(...)``) and installs them on an application."""

    def __init__(self, tag: str):
        self.tag = tag
        self.endpoints: list[Endpoint] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        roles: tuple[Role, ...] | None,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: Sequence[int] = (),
        content_type: str = "application/json",
        extra_responses: dict[int, str] | None = None,
        request_type: str | None = None,
        headers: Sequence[HeaderParam] = (),
        creates: Created | None = None,
    ) -> Callable[[HandlerFn], HandlerFn]:
        def register(handler: HandlerFn) -> HandlerFn:
            self.endpoints.append(
                Endpoint(
                    method, path, handler, summary, self.tag, roles, body, query, response, status,
                    errors, content_type, extra_responses or {}, request_type, headers, creates,
                )
            )
            return handler

        return register

    def get(self, path: str, **kw: Any) -> Callable[[HandlerFn], HandlerFn]:
        return self.route("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[HandlerFn], HandlerFn]:
        return self.route("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[HandlerFn], HandlerFn]:
        return self.route("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[HandlerFn], HandlerFn]:
        return self.route("DELETE", path, **kw)


def install(app: web.Application, routers: Sequence[ApiRouter]) -> list[Endpoint]:
    endpoints = [ep for router in routers for ep in router.endpoints]
    for ep in endpoints:
        app.router.add_route(ep.method, _matching(ep.path), _aiohttp_handler(ep))
    return endpoints


def _matching(path: str) -> str:
    """Ids never hold a dot, so ``/affiliates/{affiliate_id}`` does not also match ``/affiliates/payouts.csv``
    (whose OPTIONS would otherwise advertise the id route's methods)."""
    return re.sub(r"\{(\w+_id)\}", r"{\1:[^/.]+}", path)


async def parse_body(request: web.Request, model: type[BaseModel]) -> Any:
    """Validate a JSON body; malformed JSON is a 400, a wrong shape a 422, a non-JSON type a 415."""
    raw = await request.read()
    if raw.strip() and request.content_type not in ("application/json", ""):
        raise DomainError("send the body as application/json", code="unsupported_media_type", status=415)
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        if any(err["type"] == "json_invalid" for err in exc.errors()):
            raise DomainError("request body is not valid JSON", code="invalid_json") from exc
        raise validation_error(exc) from exc


def _authorize(ep: Endpoint, request: web.Request) -> Principal | None:
    try:
        principal = optional_principal(request.app[keys.tokens_key], request, request.app[keys.settings_key])
    except Unauthorized:
        if ep.roles is not None or "Authorization" in request.headers:
            raise
        # An expired page cookie on a public endpoint: anonymous, so the page still loads, signs up or out.
        return None
    if ep.roles is None:
        return principal
    if principal is None:
        raise Unauthorized("sign in first: send 'Authorization: Bearer <token>'")
    if ep.roles and principal.role not in ep.roles:
        raise Forbidden(f"this needs a {' or '.join(ep.roles)} account")
    return principal


def _aiohttp_handler(ep: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        principal = _authorize(ep, request)
        body = await parse_body(request, ep.body) if ep.body else None
        query = None
        if ep.query:
            try:
                query = ep.query.model_validate(dict(request.query))
            except ValidationError as exc:
                raise validation_error(exc, "query") from exc
        result = await ep.handler(Call(request, principal, body, query))
        return render(result, ep.status)

    handle.__name__ = ep.handler.__name__
    return handle


def render(result: Any, default_status: int) -> web.StreamResponse:
    if isinstance(result, web.StreamResponse):
        return result
    status, headers = default_status, {}
    if isinstance(result, Reply):
        status, headers, result = result.status, result.headers, result.body
    if isinstance(result, BaseModel):
        text = result.model_dump_json()
    else:
        text = json.dumps(result, separators=(",", ":"), default=str)
    return web.Response(text=text, status=status, headers=headers, content_type="application/json")

