"""The server the order benchmark talks to: the real app (``create_app``) plus two comparison routes that
exist only here, so they run in the same process, on the same database, in the same run:

- ``POST /bench/naive/shows/{show_id}/orders``: the naive SQL tap path, a row-locked conditional UPDATE of
  the offer's stock plus an INSERT of the order in one transaction (with the same idempotency and per-buyer
  checks as ours).
- ``POST /bench/ceiling``: a trivial JSON handler, the most this server can answer.

``--workers N`` runs N such processes on the port, supervised as ``live serve --workers N`` does, so ours,
naive and ceiling are measured on the same processes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from aiohttp import web
from sqlalchemy import func, select, update

from db.models import Offer, Order, utcnow
from live import keys
from live.api.orders import idempotency_key
from live.api.routing import parse_body
from live.app import create_app
from live.auth import Principal, optional_principal
from live.config import Settings
from live.errors import Conflict, Unauthorized, error_middleware
from live.heap import freeze_on_startup
from live.ids import new_order_id
from live.schemas.orders import OrderIn
from live.web_processes import Supervisor, serve_worker


def _viewer(request: web.Request) -> Principal:
    """The signed-in viewer, as the app's routes ask for one (live.api.routing)."""
    principal = optional_principal(request.app[keys.tokens_key], request, request.app[keys.settings_key])
    if principal is None:
        raise Unauthorized("sign in first: send 'Authorization: Bearer <token>'")
    return principal.require_role("viewer")


async def naive_order(request: web.Request) -> web.Response:
    principal = _viewer(request)
    key = idempotency_key(request)
    body: OrderIn = await parse_body(request, OrderIn)
    show_id = request.match_info["show_id"]
    async with request.app[keys.sessionmaker_key]() as session, session.begin():
        taken = await session.execute(
            update(Offer)
            .where(Offer.id == body.offer_id, Offer.show_id == show_id, Offer.stock >= body.quantity)
            .values(stock=Offer.stock - body.quantity)
            .returning(Offer.price_cents, Offer.currency, Offer.per_buyer_limit)
        )
        terms = taken.first()
        existing = await session.scalar(
            select(Order.id).where(Order.show_id == show_id, Order.buyer_id == principal.user_id,
                                   Order.idempotency_key == key)
        )
        if existing:
            await session.rollback()
            return web.json_response({"order": {"id": existing}}, status=200)
        if terms is None:
            raise Conflict("sold out", code="sold_out")
        held = await session.scalar(
            select(func.coalesce(func.sum(Order.quantity), 0))
            .where(Order.offer_id == body.offer_id, Order.buyer_id == principal.user_id,
                   Order.status.in_(("reserved", "paid")))
        )
        if int(held or 0) + body.quantity > terms.per_buyer_limit:
            raise Conflict("limit", code="limit_reached")
        now = utcnow()
        order_id = new_order_id(show_id)
        session.add(Order(
            id=order_id, show_id=show_id, offer_id=body.offer_id, buyer_id=principal.user_id, idempotency_key=key,
            quantity=body.quantity, price_cents=terms.price_cents, currency=terms.currency, status="reserved",
            created_at=now, expires_at=now, updated_at=now,
        ))
    return web.json_response({"order": {"id": order_id, "quantity": body.quantity}}, status=201)


async def ceiling(request: web.Request) -> web.Response:
    data = await request.json()
    return web.json_response({"ok": True, "fields": len(data)}, status=201)


def bench_app(settings: Settings) -> web.Application:
    app = create_app(settings)
    assert error_middleware in app.middlewares
    app.router.add_post("/bench/naive/shows/{show_id}/orders", naive_order)
    app.router.add_post("/bench/ceiling", ceiling)
    return app


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-workers", action="store_true", help="isolate the tap path from background work")
    parser.add_argument("--workers", type=int, default=1, help="web processes on the port, as `live serve --workers`")
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # one of --workers N
    parser.add_argument("--media-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    if args.reuse_port:  # a worker: LIVE_RUN_WORKERS and the shared Redis come from the supervising parent
        settings = Settings(port=args.port)
        asyncio.run(serve_worker(bench_app(settings), settings, args.media_port, access_log=False))
        return 0
    settings = Settings(port=args.port, run_workers=not args.no_workers)
    if args.workers > 1:
        return Supervisor(settings, args.workers, ("-m", "bench.server", "--port", str(args.port))).run()
    app = bench_app(settings)
    app.on_startup.append(freeze_on_startup)  # as live serve does
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
