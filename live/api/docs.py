"""The OpenAPI document and an offline docs page (Swagger UI vendored in static/vendor)."""

from __future__ import annotations

from aiohttp import web

from live import keys
from live.api.openapi import build_openapi
from live.api.routing import Endpoint

DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Live shopping API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="docs"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/api-docs.js"></script>
</body></html>"""

endpoints_key = web.AppKey("endpoints", list[Endpoint])


async def openapi_json(request: web.Request) -> web.Response:
    settings = request.app[keys.settings_key]
    return web.json_response(build_openapi(request.app[endpoints_key], settings.public_url))


async def docs_page(request: web.Request) -> web.Response:
    return web.Response(text=DOCS_HTML, content_type="text/html")


def add_routes(app: web.Application, endpoints: list[Endpoint]) -> None:
    app[endpoints_key] = endpoints
    app.router.add_get("/api/openapi.json", openapi_json)
    app.router.add_get("/api/docs", docs_page)
