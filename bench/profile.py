"""Where a tap's CPU goes: ``python -m bench profile``.

Starts the order benchmark's server (bench/server.py, the real app), loads our tap path and the ceiling
handler with back-to-back taps, and for each prints one JSON line: CPU seconds per request of the server
process, of its Redis and of this client, and the share of the server's
sampled CPU by part of the path. Each target is run twice: once bare for the CPU figures, once under
py-spy (sampling, ``--nonblocking`` so the server is not paused) for the breakdown, since a sampler costs
the server something of its own. For our path the CPU is also counted until the workers have drained the
load (``..._with_workers``: persisting, publishing and capturing each order), and the drain is sampled too.

Flags: --backend=embedded|services, --requests=N, --connections=N, --appendfsync=always|everysec,
--targets=ceiling,ours, --rate=HZ (py-spy samples per second), --stacks=DIR (keep py-spy's raw stacks),
--isolate (the server without its background workers: the tap path alone).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis

from bench.cpu import CpuMeter
from bench.loadgen import run
from bench.orders import BenchServer, Config, call, live_offer, parse_flags, server, throughput_buyers
from live.commerce.reconcile import wait_quiescent
from live.rediskeys import RedisKeys

# A sample of background work (the workers, SQLite's threads) is counted as such wherever it is; any other
# goes to the deepest frame that one of the rules names (the first rule that matches that frame). py-spy
# names files relative to sys.path: ``live/auth.py``, ``aiohttp/web_protocol.py``.
BACKGROUND = ("StreamConsumer.run", "run_sweeper", "_connection_worker_thread", "StaffFeed", "Ticker", "sqlalchemy/",
              "greenlet")
Rule = tuple[str, Callable[[str, str], bool]]
RULES: list[Rule] = [
    ("token check", lambda fn, path: path.startswith(("live/auth.py", "jwt/"))),
    ("idempotency key", lambda fn, path: fn == "idempotency_key"),
    ("body validation", lambda fn, path: fn == "parse_body" or path.startswith(("pydantic", "live/schemas/"))
        or (path.startswith("json/") and fn in ("loads", "decode", "raw_decode"))),
    ("response encoding", lambda fn, path: fn in ("render", "OrderRecord.public", "created_reply")
        or path.startswith(("live/json_codec.py", "json/"))),
    ("redis round trip and batching", lambda fn, path: path.startswith(("live/commerce/", "hiredis", "redis/"))),
    ("logging", lambda fn, path: path.startswith(("logging/", "aiohttp/web_log.py", "live/logs.py"))),
    ("middleware", lambda fn, path: path.startswith("live/errors.py")),
    ("handler and routing", lambda fn, path: path.startswith(("live/", "bench/"))),
    ("aiohttp itself", lambda fn, path: path.startswith(("aiohttp/", "multidict/", "yarl/"))),
]
OTHER = "event loop and other"


def classify(stack: str) -> str:
    """``stack``: py-spy's raw line without its count, root first: ``fn (path:line);fn (path:line)...``."""
    if any(marker in stack for marker in BACKGROUND):
        return "background work"
    if stack.endswith("run_app (aiohttp/web.py:502)") or stack.rpartition(";")[2].startswith("run_app "):
        return OTHER  # the loop itself (uvloop's C code has no Python frame of its own)
    for frame in reversed(stack.split(";")):
        fn, _, rest = frame.partition(" (")
        path = rest.rsplit(":", 1)[0]
        for category, matches in RULES:
            if matches(fn, path):
                return category
    return OTHER


# While the workers drain a load: which of them spends the CPU (the first marker found in a stack).
WORKER_PARTS = [
    ("socket.io publish of each order", ("RoomRedisManager", "_publish (")),
    ("SQL (SQLAlchemy, driver, SQLite's threads)", ("sqlalchemy/", "greenlet", "aiosqlite", "asyncpg")),
    ("persister (stream reads, acks)", ("OrderPersister", "StreamConsumer")),
    ("payment capture", ("PaymentCapturer", "PaymentService")),
    ("reservation sweeper", ("run_sweeper",)),
    ("staff feed", ("StaffFeed",)),
]


def worker_part(stack: str) -> str:
    for part, markers in WORKER_PARTS:
        if any(marker in stack for marker in markers):
            return part
    return OTHER


def breakdown(raw: str, part: Callable[[str], str] = classify) -> dict[str, float]:
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[part(stack)] += int(count)
    total = sum(counts.values()) or 1
    return {category: round(n / total, 3) for category, n in counts.most_common()}


async def sampled(pid: int, rate: int, load: Any) -> tuple[str, Any]:
    """Run ``load`` while py-spy samples ``pid``; py-spy writes its stacks when interrupted."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    with tempfile.NamedTemporaryFile(suffix=".txt") as out:
        spy = subprocess.Popen([py_spy, "record", "--pid", str(pid), "--rate", str(rate), "--nonblocking",
                                "--format", "raw", "--output", out.name], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        await asyncio.sleep(0.5)  # py-spy attaches
        try:
            result = await load
        finally:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
        return Path(out.name).read_text(), result


def keep_stacks(options: dict[str, str], name: str, raw: str) -> None:
    """With --stacks=DIR, py-spy's raw stacks go to DIR/<name>.txt, to be read whole."""
    if "stacks" in options:
        Path(options["stacks"]).mkdir(parents=True, exist_ok=True)
        (Path(options["stacks"]) / f"{name}.txt").write_text(raw)


async def drained(srv: BenchServer, show_id: str) -> None:
    redis = Redis.from_url(srv.redis_url, decode_responses=True)
    try:
        await wait_quiescent(redis, RedisKeys(srv.prefix), [show_id], timeout=120)
    finally:
        await redis.aclose()


async def profile(backend: str, options: dict[str, str]) -> None:
    cfg = Config(backend, throughput_connections=int(options.get("connections", 64)),
                 throughput_requests=int(options.get("requests", 12800)))
    targets = options.get("targets", "ceiling,ours").split(",")
    rate = int(options.get("rate", 500))
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        isolated = "isolate" in options  # the tap path alone: no background workers in the server
        async with server(backend, Path(tmp), ("--no-workers",) if isolated else (),
                          appendfsync=options.get("appendfsync", "always")) as srv, \
                aiohttp.ClientSession() as http:
            signup = await call(http, "POST", f"{srv.base}/api/merchants", body={
                "name": "Profile", "email": f"profile-{os.getpid()}@example.com", "password": "bench-pass-1"})
            owner, owner_id = signup["token"], signup["user"]["id"]
            tokens = [(await call(http, "POST", f"{srv.base}/api/viewers", body={
                "display_name": f"p{i}", "payment_method": "pm_card_visa"}))["token"] for i in range(64)]
            meter = CpuMeter(srv.pid, srv.redis_pid)
            for target in targets:
                figures: dict[str, Any] = {}
                for sampling in (False, True):
                    show_id, offer_id = await live_offer(http, srv.base, owner, owner_id,
                                                         cfg.throughput_requests * 2, 1000)
                    path = f"/api/shows/{show_id}/orders" if target == "ours" else "/bench/ceiling"
                    buyers = throughput_buyers(path, {"offer_id": offer_id, "quantity": 1}, tokens, cfg)
                    load = run("127.0.0.1", srv.port, buyers)
                    if sampling:
                        raw, (results, _) = await sampled(srv.pid, rate, load)
                        figures["breakdown"] = breakdown(raw)
                        if not isolated and target == "ours":
                            drain, _ = await sampled(srv.pid, rate, drained(srv, show_id))
                            figures["drain_breakdown"] = breakdown(drain, worker_part)
                            keep_stacks(options, f"{backend}-{target}-drain", drain)
                        keep_stacks(options, f"{backend}-{target}", raw)
                    else:
                        meter.start()
                        results, elapsed = await load
                        figures.update(meter.per_request(len(results)))
                        figures["requests_per_s"] = round(len(results) / elapsed, 1)
                        figures["statuses"] = dict(Counter(str(r.status) for r in results))
                        if not isolated:
                            await drained(srv, show_id)  # the persister's share of each tap, too
                            figures["server_cpu_ms_per_request_with_workers"] = meter.per_request(
                                len(results))["server_cpu_ms_per_request"]
                    if not isolated:
                        await drained(srv, show_id)  # so no pass is charged for the one before
                print(json.dumps({"bench": "profile", "backend": backend, "target": target,
                                  "requests": cfg.throughput_requests, **figures}), flush=True)


def main(flags: list[str]) -> int:
    options = parse_flags(flags)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(profile(options.get("backend", "embedded"), options))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
