"""A real server process is killed with SIGKILL in the middle of a spike and started again: every order that
got a 201 is in SQL exactly once, nothing is oversold, and reconcile is clean."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import aiohttp
from sqlalchemy import select

from db.models import Order
from db.session import make_engine, make_sessionmaker
from live.commerce.reconcile import reconcile
from live.redis_clients import make_redis
from live.rediskeys import RedisKeys
from tests.conftest import delete_prefixed, free_port
from tests.helpers import eventually, unique_email
from tests.processes import ServerProcess, new_prefix, server_env

STOCK, LIMIT, VIEWERS, TAPS, KILL_AFTER = 600, 3, 300, 2400, 250


async def _json(http: aiohttp.ClientSession, method: str, url: str, token: str | None = None,
                body: object = None, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    all_headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    async with http.request(method, url, json=body, headers=all_headers) as response:
        return response.status, await response.json()


async def _setup(http: aiohttp.ClientSession, base: str) -> tuple[str, str, list[str]]:
    _, signup = await _json(http, "POST", f"{base}/api/merchants",
                            body={"name": "Crash", "email": unique_email("c"), "password": "password-123"})
    token = signup["token"]
    _, product = await _json(http, "POST", f"{base}/api/products", token, {
        "sku": "CRASH", "title": "Crash", "price_cents": 100, "currency": "USD", "inventory": STOCK})
    _, show = await _json(http, "POST", f"{base}/api/shows", token, {
        "title": "Crash", "starts_at": "2030-01-01T00:00:00Z", "host_id": signup["user"]["id"]})
    _, created = await _json(http, "POST", f"{base}/api/shows/{show['id']}/offers", token, {
        "product_id": product["id"], "price_cents": 100, "stock": STOCK, "per_buyer_limit": LIMIT})
    await _json(http, "POST", f"{base}/api/shows/{show['id']}/start", token)
    viewers = await asyncio.gather(*[
        _json(http, "POST", f"{base}/api/viewers", body={"display_name": f"v{i}", "payment_method": "pm_card_async"})
        for i in range(VIEWERS)])
    return show["id"], created["offer"]["id"], [body["token"] for _, body in viewers]


async def test_sigkill_mid_spike_loses_no_acknowledged_order(services, tmp_path: Path) -> None:
    await _sigkill_mid_spike(services, tmp_path, workers=1)


async def test_sigkill_mid_spike_loses_no_acknowledged_order_with_two_workers(
        services, tmp_path: Path) -> None:
    """The same with ``--workers 2``: the taps spread over two web processes, all of them killed at once."""
    await _sigkill_mid_spike(services, tmp_path, workers=2)


async def _sigkill_mid_spike(services, tmp_path: Path, workers: int) -> None:
    prefix, secret = new_prefix(), "crash-test-secret-" + secrets.token_hex(16)
    # Async payments take longer than the test, so orders stay 'reserved' and the count is about the spike.
    env = server_env(services, tmp_path / "data", prefix, secret, LIVE_PAYMENT_ASYNC_DELAY_SECONDS="120")
    first = ServerProcess(env, free_port(), workers=workers).start()
    acknowledged: dict[str, int] = {}
    try:
        async with aiohttp.ClientSession() as http:
            show_id, offer_id, tokens = await _setup(http, first.url)
            killed = asyncio.Event()

            async def tap(i: int) -> None:
                if killed.is_set():
                    return
                try:
                    status, body = await _json(http, "POST", f"{first.url}/api/shows/{show_id}/orders",
                                               tokens[i % VIEWERS], {"offer_id": offer_id},
                                               {"Idempotency-Key": f"tap-{i}"})
                except (TimeoutError, aiohttp.ClientError):
                    return  # in flight when the process died: never acknowledged
                if status == 201:
                    acknowledged[body["order"]["id"]] = body["order"]["quantity"]
                    if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                        killed.set()
                        first.kill()

            await asyncio.gather(*[tap(i) for i in range(TAPS)])
        assert killed.is_set() and len(acknowledged) >= KILL_AFTER
    finally:
        first.kill()

    # A new process: it claims what the dead one left pending.
    second = ServerProcess(env, free_port(), workers=workers).start()
    engine = make_engine(services.database_url)
    redis = make_redis(services.redis_url)
    redis_keys = RedisKeys(prefix)
    try:
        async def drained() -> bool:
            return await redis.xlen(redis_keys.show(show_id).stream) == 0

        await eventually(drained, timeout=60)
        async with make_sessionmaker(engine)() as session:
            rows = list(await session.scalars(select(Order).where(Order.show_id == show_id)))
            found = await reconcile(session, redis, redis_keys, show_id)
        in_sql = {row.id for row in rows}
        assert set(acknowledged) <= in_sql, f"{len(set(acknowledged) - in_sql)} acknowledged orders lost"
        assert len(rows) == len(in_sql)
        assert sum(row.quantity for row in rows) <= STOCK, "oversold"
        (balance,) = found
        assert balance.ok, balance.problems
        assert balance.remaining + balance.reserved == STOCK
    finally:
        second.stop()
        await redis.aclose()
        await engine.dispose()
        await delete_prefixed(services.redis_url, prefix)
