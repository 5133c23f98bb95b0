"""The purchase spike: many buyers tap Buy in the same second.

Starts the server as a separate process (bench/server.py: the real app plus the comparison routes), creates
a live show with one hot offer, and fires the workload at three targets in the same run, on the same
database: our tap path, the naive SQL path, and a trivial JSON handler (the ceiling). Two workloads:

- spike: 5,000 taps from 1,000 buyers (one connection each) arriving within one second (open loop: latency is
  counted from each tap's due time), stock 1,000, per-buyer limit 2, 5% of taps are retries of an earlier
  Idempotency-Key. Checked afterwards: oversold (must be 0) and lost (answered 201 but missing in SQL once
  the workers drained: must be 0).
- burst: the same taps with no schedule, every buyer firing back to back: the capacity on this mix.
- throughput: 256 connections sending back to back, every tap a sale (ample stock): requests per second.

Runs against the embedded defaults (SQLite + embedded Redis) and against PostgreSQL + Redis. One JSON line per
figure. Flags: --backend=embedded|services|both, --taps=N, --viewers=N, --stock=N, --quick,
--topology=single|split (split: the web process without workers beside a ``live worker`` process),
--workers=N (the bench server's web processes, as ``live serve --workers N``; the same for every target),
--targets=ours,naive,ceiling (fewer only to iterate: the ratios need all three),
--durability=always,everysec (Redis fsync modes to run our path under, in the same run: ``always`` is the
durable default, ``everysec`` the non-durable mode for the cost; naive and ceiling run with the first one).
The services backend gets a redis-server of its own configured like production (AOF on a temp folder), unless
LIVE_BENCH_REDIS_URL names one (then run as non-durable).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.common import free_port, stop_process, wait_healthy
from bench.cpu import CpuMeter
from bench.loadgen import Buyer, Result, build_request, percentile, run
from db.models import Order
from db.session import make_engine
from live.commerce.reconcile import wait_quiescent
from live.rediskeys import RedisKeys

PG_URL = os.environ.get("LIVE_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("LIVE_BENCH_REDIS_URL")


def emit(**figure: Any) -> None:
    print(json.dumps({"bench": "orders", **figure}), flush=True)


@dataclass
class Config:
    backend: str
    taps: int = 5000
    viewers: int = 1000
    stock: int = 1000
    limit: int = 2
    retry_share: float = 0.05
    window_s: float = 1.0
    throughput_connections: int = 256
    throughput_requests: int = 10240
    split: bool = False  # web process without workers + a separate ``live worker`` process
    targets: tuple[str, ...] = ("ours", "naive", "ceiling")  # fewer only to iterate (no ratios then)
    durability: tuple[str, ...] = ("always", "everysec")  # Redis appendfsync modes for our path
    workers: int = 1  # web processes of the bench server (--workers=N), the same for every target



@dataclass
class BenchServer:
    base: str
    port: int
    pid: int
    database_url: str
    redis_url: str
    prefix: str
    redis_pid: int | None = None  # a redis-server of the bench's own (the embedded one is the server's child)


async def start_redis(workdir: Path, appendfsync: str) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server configured as in production (AOF with this fsync mode) on a free port, and its URL."""
    port = free_port()
    (workdir / "redis").mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir",
                             str(workdir / "redis"), "--appendonly", "yes", "--appendfsync", appendfsync,
                             "--save", "", "--logfile", str(workdir / "redis" / "redis.log")])
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url)
    try:
        for _ in range(200):
            try:
                await client.ping()
                break
            except RedisConnectionError:
                await asyncio.sleep(0.05)
    finally:
        await client.aclose()
    return proc, url


@asynccontextmanager
async def server(backend: str, workdir: Path, extra_args: tuple[str, ...] = (), split: bool = False,
                 appendfsync: str = "always", workers: int = 1) -> Any:
    """Migrate, then run bench/server.py as its own process (and with ``split``, the workers in another)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")}
    prefix = f"bench{secrets.token_hex(3)}:"
    env.update(LIVE_DATA_DIR=str(workdir / "data"), LIVE_LOG_LEVEL="WARNING", LIVE_REDIS_PREFIX=prefix,
               LIVE_SECRET_KEY=secrets.token_urlsafe(32), LIVE_REDIS_APPENDFSYNC=appendfsync,
               # every simulated buyer comes from 127.0.0.1, and the throughput run taps without pause
               LIVE_LIMIT_VIEWERS_PER_ADDRESS="100000/minute", LIVE_LIMIT_TAPS_PER_BUYER="100000/second")
    if appendfsync != "always" or (backend == "services" and REDIS_URL):
        env["LIVE_REDIS_DURABILITY"] = "unsafe"  # measuring the non-durable mode on purpose
    db_name = None
    redis_server = None
    if backend == "services":
        db_name = f"live_bench_{secrets.token_hex(3)}"
        admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        await admin.dispose()
        env["LIVE_DATABASE_URL"] = make_url(PG_URL).set(database=db_name).render_as_string(hide_password=False)
        if REDIS_URL:
            env["LIVE_REDIS_URL"] = REDIS_URL
        else:
            redis_server, env["LIVE_REDIS_URL"] = await start_redis(workdir, appendfsync)
    subprocess.run([sys.executable, "-m", "live", "migrate"], env=env, check=True, capture_output=True)
    port = free_port()
    env["LIVE_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    if split:
        extra_args = (*extra_args, "--no-workers")
    proc = subprocess.Popen([sys.executable, "-m", "bench.server", "--port", str(port), "--workers", str(workers),
                             *extra_args], env=env)
    worker = None
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_healthy(base, proc)
        if split:  # after the server: it owns the embedded Redis, the worker adopts it
            worker = subprocess.Popen([sys.executable, "-m", "live", "worker"], env=env)
        database_url = env.get("LIVE_DATABASE_URL") or f"sqlite+aiosqlite:///{workdir / 'data' / 'live.db'}"
        redis_url = env.get("LIVE_REDIS_URL") or f"unix://{(workdir / 'data' / 'redis.sock').resolve()}"
        yield BenchServer(base, port, proc.pid, database_url, redis_url, prefix,
                          redis_server.pid if redis_server is not None else None)
    finally:
        if worker is not None:
            stop_process(worker)
        stop_process(proc)
        if db_name:
            admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            await admin.dispose()
        if redis_server is not None:
            stop_process(redis_server)


async def call(http: aiohttp.ClientSession, method: str, url: str, token: str | None = None, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(method, url, json=body, headers=headers) as response:
        answer = await response.json()
        assert response.status < 300, (url, response.status, answer)
        return answer


async def live_offer(http: aiohttp.ClientSession, base: str, token: str, host_id: str, stock: int, limit: int
                     ) -> tuple[str, str]:
    product = await call(http, "POST", f"{base}/api/products", token, {
        "sku": f"HOT-{secrets.token_hex(3)}", "title": "Hot deal", "price_cents": 1000, "currency": "USD",
        "inventory": stock})
    show = await call(http, "POST", f"{base}/api/shows", token, {
        "title": "Spike", "starts_at": "2030-01-01T00:00:00Z", "host_id": host_id})
    offer = await call(http, "POST", f"{base}/api/shows/{show['id']}/offers", token, {
        "product_id": product["id"], "price_cents": 500, "stock": stock, "per_buyer_limit": limit})
    await call(http, "POST", f"{base}/api/shows/{show['id']}/start", token)
    return show["id"], offer["offer"]["id"]


def spike_buyers(path: str, offer_id: str, tokens: list[str], cfg: Config, seed: int) -> list[Buyer]:
    """Each buyer's taps arrive at random moments of the window; 5% re-send an earlier key of theirs."""
    rng = random.Random(seed)
    per_buyer = [cfg.taps // cfg.viewers + (1 if i < cfg.taps % cfg.viewers else 0) for i in range(cfg.viewers)]
    retries = set(rng.sample(range(cfg.taps), int(cfg.taps * cfg.retry_share)))
    buyers, n = [], 0
    for i, count in enumerate(per_buyer):
        keys: list[str] = []
        requests = []
        for _ in range(count):
            key = rng.choice(keys) if (n in retries and keys) else f"tap-{i}-{len(keys)}"
            keys.append(key)
            requests.append(build_request("POST", path, {"offer_id": offer_id, "quantity": 1}, {
                "Authorization": f"Bearer {tokens[i]}", "Idempotency-Key": key}))
            n += 1
        buyers.append(Buyer(requests, sorted(rng.uniform(0, cfg.window_s) for _ in range(count))))
    return buyers


def throughput_buyers(path: str, body: Any, tokens: list[str], cfg: Config) -> list[Buyer]:
    per_conn = cfg.throughput_requests // cfg.throughput_connections
    return [
        Buyer([build_request("POST", path, body, {"Authorization": f"Bearer {tokens[c % len(tokens)]}",
                                                  "Idempotency-Key": f"t{c}-{k}"}) for k in range(per_conn)])
        for c in range(cfg.throughput_connections)
    ]


async def settled(srv: BenchServer, show_ids: list[str]) -> None:
    """Wait until the workers drained what the earlier workloads sold: each workload is measured from a
    server at rest, with its own drain (not the one before's) in the measurement."""
    redis = Redis.from_url(srv.redis_url, decode_responses=True)
    try:
        await wait_quiescent(redis, RedisKeys(srv.prefix), show_ids, timeout=120)
    finally:
        await redis.aclose()


async def measured_run(meter: CpuMeter, port: int, buyers: list[Buyer]
                       ) -> tuple[list[Result], float, dict[str, float]]:
    """``run`` plus the CPU per request that the server, its embedded Redis and this client spent on it."""
    meter.start()
    results, elapsed = await run("127.0.0.1", port, buyers)
    return results, elapsed, meter.per_request(len(results))


def summarize(target: str, workload: str, backend: str, results: list[Result], elapsed: float,
              appendfsync: str, cpu: dict[str, float]) -> dict[str, Any]:
    latencies = [r.latency * 1000 for r in results]
    statuses = Counter(r.status for r in results)
    codes = Counter(json.loads(r.body)["error"]["code"] for r in results if r.status == 409)
    figure = {
        "backend": backend, "target": target, "workload": workload, "appendfsync": appendfsync,
        "requests": len(results),
        "requests_per_s": round(len(results) / elapsed, 1),
        "orders_per_s": round(statuses[201] / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50), 2), "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies, default=0), 2), "created_201": statuses[201], "repeat_200": statuses[200],
        "sold_out": codes["sold_out"], "limit_reached": codes["limit_reached"],
        "errors": sum(v for k, v in statuses.items() if k not in (200, 201, 409)), **cpu,
    }
    emit(**figure)
    return figure


async def bench_backend(cfg: Config) -> None:
    """Every target under the first durability mode; our path again under each other mode (its cost)."""
    ours: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for i, mode in enumerate(cfg.durability):
        targets = cfg.targets if i == 0 else ("ours",)
        ours[mode] = await bench_mode(cfg, mode, targets)
    first = cfg.durability[0]
    for mode in cfg.durability[1:]:
        for workload in ("burst", "throughput"):
            a, b = (ours[m][("ours", workload)]["requests_per_s"] for m in (first, mode))
            emit(backend=cfg.backend, figure="durability_cost", workload=workload, **{first: a, mode: b},
                 ratio=round(a / b, 3) if b else None)


async def bench_mode(cfg: Config, appendfsync: str, targets: tuple[str, ...]
                     ) -> dict[tuple[str, str], dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-orders-") as tmp:
        async with server(cfg.backend, Path(tmp), split=cfg.split, appendfsync=appendfsync,
                          workers=cfg.workers) as srv, \
                aiohttp.ClientSession() as http:
            base, port = srv.base, srv.port
            signup = await call(http, "POST", f"{base}/api/merchants", body={
                "name": "Bench", "email": f"bench-{secrets.token_hex(4)}@example.com", "password": "bench-pass-1"})
            owner, owner_id = signup["token"], signup["user"]["id"]
            tokens = [
                (await call(http, "POST", f"{base}/api/viewers", body={
                    "display_name": f"b{i}", "payment_method": "pm_card_visa"}))["token"]
                for i in range(cfg.viewers)
            ]
            figures: dict[tuple[str, str], dict[str, Any]] = {}
            meter = CpuMeter(srv.pid, srv.redis_pid)
            sold: list[str] = []  # every show so far: each measured run waits until they are drained
            for target in targets:
                show_id, offer_id = await live_offer(http, base, owner, owner_id, cfg.stock, cfg.limit)
                sold.append(show_id)
                await settled(srv, sold)
                path = {"ours": f"/api/shows/{show_id}/orders", "naive": f"/bench/naive/shows/{show_id}/orders",
                        "ceiling": "/bench/ceiling"}[target]
                spike = spike_buyers(path, offer_id, tokens, cfg, seed=7)
                results, elapsed, cpu = await measured_run(meter, port, spike)
                figure = summarize(target, "spike", cfg.backend, results, elapsed, appendfsync, cpu)
                # The same taps with no arrival schedule: every buyer fires back to back (capacity on this mix).
                burst_show, burst_offer = await live_offer(http, base, owner, owner_id, cfg.stock, cfg.limit)
                burst_path = path.replace(show_id, burst_show)
                burst = [Buyer(b.requests) for b in spike_buyers(burst_path, burst_offer, tokens, cfg, seed=7)]
                sold.append(burst_show)
                await settled(srv, sold)
                results_b, elapsed_b, cpu = await measured_run(meter, port, burst)
                figures[(target, "burst")] = summarize(target, "burst", cfg.backend, results_b, elapsed_b,
                                                       appendfsync, cpu)
                if target != "ceiling":
                    oversold, lost = await check(srv, show_id, offer_id, cfg.stock, results, target)
                    figure.update(oversold=oversold, lost=lost)
                    emit(backend=cfg.backend, target=target, workload="spike", oversold=oversold, lost=lost)
                figures[(target, "spike")] = figure
                # Every tap a sale: stock for all, and buyers allowed as many as they send.
                big_show, big_offer = await live_offer(http, base, owner, owner_id, cfg.throughput_requests * 2,
                                                       1000)
                path = {"ours": f"/api/shows/{big_show}/orders", "naive": f"/bench/naive/shows/{big_show}/orders",
                        "ceiling": "/bench/ceiling"}[target]
                body = {"offer_id": big_offer, "quantity": 1}
                sold.append(big_show)
                await settled(srv, sold)
                results, elapsed, cpu = await measured_run(meter, port, throughput_buyers(path, body, tokens, cfg))
                figures[(target, "throughput")] = summarize(target, "throughput", cfg.backend, results, elapsed,
                                                            appendfsync, cpu)
            if len(targets) < 3:
                return figures
            for workload in ("burst", "throughput"):
                ours, naive, top = (figures[(t, workload)]["requests_per_s"] for t in ("ours", "naive", "ceiling"))
                emit(backend=cfg.backend, figure="ratios", workload=workload, ours_vs_ceiling=round(ours / top, 3),
                     ours_vs_naive=round(ours / naive, 1) if naive else None)
            emit(backend=cfg.backend, figure="spike_p99_ms",
                 **{t: figures[(t, "spike")]["p99_ms"] for t in ("ours", "naive", "ceiling")})
            return figures


async def check(srv: BenchServer, show_id: str, offer_id: str, stock: int, results: list[Result], target: str
                ) -> tuple[int, int]:
    """(oversold, lost) after the workers drained: units beyond the stock, and 201s that SQL lacks."""
    acknowledged = {json.loads(r.body)["order"]["id"] for r in results if r.status == 201}
    redis = Redis.from_url(srv.redis_url, decode_responses=True)
    redis_keys = RedisKeys(srv.prefix)
    try:
        await wait_quiescent(redis, redis_keys, [show_id], timeout=120)
        remaining = int(await redis.hget(redis_keys.show(show_id).stock, offer_id) or 0) if target == "ours" else 0
    finally:
        await redis.aclose()
    engine = make_engine(srv.database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(
                select(Order.id, Order.quantity).where(Order.show_id == show_id,
                                                       Order.status.in_(("reserved", "paid")))
            )).all()
    finally:
        await engine.dispose()
    sold = sum(quantity for _, quantity in rows)
    acknowledged_units = sum(json.loads(r.body)["order"].get("quantity", 1) for r in results if r.status == 201)
    oversold = max(0, sold - stock, acknowledged_units - stock, sold + remaining - stock)
    return oversold, len(acknowledged - {order_id for order_id, _ in rows})


def parse_flags(flags: list[str]) -> dict[str, str]:
    """``--name=value`` as name: value, a bare ``--name`` as name: '1'."""
    return {name: value if sep else "1" for name, sep, value in (f.lstrip("-").partition("=") for f in flags)}


def parse(flags: list[str]) -> list[Config]:
    options = parse_flags(flags)
    backends = {"both": ["embedded", "services"]}.get(options.get("backend", "both"), [options.get("backend", "")])
    configs = []
    for backend in backends:
        cfg = Config(backend)
        if "quick" in options:
            cfg.taps, cfg.viewers, cfg.stock, cfg.throughput_requests = 1000, 200, 200, 2560
        cfg.split = options.get("topology") == "split"
        if "targets" in options:
            cfg.targets = tuple(options["targets"].split(","))
        if "durability" in options:
            cfg.durability = tuple(options["durability"].split(","))
        for name in ("taps", "viewers", "stock", "workers"):
            if name in options:
                setattr(cfg, name, int(options[name]))
        configs.append(cfg)
    return configs


def main(flags: list[str]) -> int:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    for cfg in parse(flags):
        started = time.monotonic()
        asyncio.run(bench_backend(cfg))
        emit(backend=cfg.backend, figure="duration_s", value=round(time.monotonic() - started, 1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
