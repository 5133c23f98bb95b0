"""The browser pages and static files.

Pages are plain HTML files in ``static/`` (ES modules, no build step). The watch page may be framed by the
sites in ``embed_allowed_origins`` (the embeddable player); the studio and the dashboard never are.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from live.keys import sessionmaker_key, settings_key
from live.reach import product_page

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"


def page_headers(frame_ancestors: str = "'none'") -> dict[str, str]:
    return {
        "Cache-Control": "no-cache",
        "Content-Security-Policy": f"frame-ancestors {frame_ancestors}",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    }


def page(name: str, frame_ancestors: str = "'none'") -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / name, headers=page_headers(frame_ancestors))


def html_page(name: str, head: str, slots: dict[str, str] | None = None, frame_ancestors: str = "'none'"
              ) -> web.Response:
    """A page whose head gets server-made tags (link previews run no script) before ``</head>``, and whose
    ``<!--slot:NAME-->`` markers get ready-made (escaped) HTML."""
    text = (STATIC_DIR / name).read_text()
    text = text.replace("</head>", f"  {head}\n</head>", 1) if head else text
    for slot, html in (slots or {}).items():
        text = text.replace(f"<!--slot:{slot}-->", html)
    return web.Response(text=text, content_type="text/html", headers=page_headers(frame_ancestors))


async def index(request: web.Request) -> web.FileResponse:
    return page("index.html")


async def watch(request: web.Request) -> web.Response:
    """The viewer's page; the merchants' own sites (the allow-list) may frame it."""
    settings = request.app[settings_key]
    origins = " ".join(settings.embed_allowed_origins)
    async with request.app[sessionmaker_key]() as session:
        head = await product_page.watch_head(session, request.match_info["show_id"], settings.public_url)
    return html_page("watch.html", head, frame_ancestors=f"'self' {origins}".strip())


async def studio(request: web.Request) -> web.FileResponse:
    return page("studio.html")


async def merchant(request: web.Request) -> web.FileResponse:
    return page("merchant.html")


async def affiliate(request: web.Request) -> web.FileResponse:
    return page("affiliate.html")


async def me(request: web.Request) -> web.FileResponse:
    """A viewer's own page: orders, reviews to write, problems reported, questions and answers."""
    return page("me.html")


async def embed_script(request: web.Request) -> web.FileResponse:
    """``<script src="https://live.example/embed.js" data-show="ID">`` on a merchant's site."""
    response = web.FileResponse(STATIC_DIR / "embed.js", headers={"Cache-Control": "no-cache"})
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/watch/{show_id}", watch)
    app.router.add_get("/studio/{show_id}", studio)
    app.router.add_get("/merchant", merchant)
    app.router.add_get("/embed.js", embed_script)
    app.router.add_get("/affiliate", affiliate)
    app.router.add_get("/me", me)
    app.router.add_static("/static/", STATIC_DIR, append_version=False)
