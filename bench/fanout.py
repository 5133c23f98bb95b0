"""Fan-out of product cards to a show's viewers: N socket.io clients (spread over several client processes) join
one show, the host pushes cards over HTTP, and each client notes when each card arrives.

Figures, one JSON line each: p50/p99/max latency from the start of the host's HTTP call to each client's
receipt, the delivery ratio, the server's memory per connection; then the same fan-out through a bare
aiohttp websocket server (``for ws in clients: await ws.send_str(...)``, the ceiling) and the ratios.

The server is ``python -m live serve`` in its own process (uvloop, as deployed), on a fresh SQLite file and
the embedded Redis unless ``--redis-url`` is given. The clients speak the socket.io protocol (engine.io 4 over
a websocket, socket.io 5 packets) directly on aiohttp's websocket client rather than through
python-socketio's client: thousands of full clients would measure the client library on this machine's two
cores, not the server. The ceiling's clients use the same websocket client.

    python -m bench fanout [--viewers=2000] [--cards=20] [--client-procs=4] [--gap=0.25]
                           [--redis-url=redis://...] [--plain] [--no-ceiling] [--profile=out.svg]

``--plain`` runs the server with python-socketio's own room emit (LIVE_SOCKETIO_FAST_BROADCAST=false), for
comparison with the fast path this project uses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from aiohttp import web
from redis.asyncio import Redis

from bench.common import free_port, stop_process, wait_healthy
from live.auth import Principal, TokenService

SECRET = secrets.token_urlsafe(32)  # one per run: the clients sign their own tokens with it


def emit(figure: str, value: float | int | str, **extra: Any) -> None:
    print(json.dumps({"bench": "fanout", "figure": figure, "value": value, **extra}), flush=True)



# ---------------------------------------------------------------- clients (run in child processes)

async def _socketio_viewer(session: aiohttp.ClientSession, base: str, token: str, show_id: str,
                           got: dict[str, list[float]], ready: asyncio.Event | None) -> None:
    ws = await session.ws_connect(f"{base}/socket.io/?EIO=4&transport=websocket", autoping=True, max_msg_size=0)
    opened = await ws.receive_str()
    assert opened.startswith("0"), opened
    await ws.send_str("40" + json.dumps({"token": token}))
    joined = False
    while True:
        msg = await ws.receive()
        if msg.type != aiohttp.WSMsgType.TEXT:
            return
        data: str = msg.data
        if data == "2":
            await ws.send_str("3")
        elif data.startswith("40{"):
            await ws.send_str("421" + json.dumps(["join", {"show_id": show_id}]))
        elif data.startswith("431"):
            assert '"error"' not in data[:40], data[:200]
            joined = True
            if ready is not None:
                ready.set()
        elif data.startswith('42["card"'):
            now = time.time()
            card = json.loads(data[2:])[1]["card"]
            got[card["id"]].append(now)
        elif data.startswith("44") and not joined:
            raise RuntimeError(f"connect refused: {data}")


async def _plain_viewer(session: aiohttp.ClientSession, base: str, token: str, show_id: str,
                        got: dict[str, list[float]], ready: asyncio.Event | None) -> None:
    ws = await session.ws_connect(f"{base}/ws", autoping=True, max_msg_size=0)
    if ready is not None:
        ready.set()
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT:
            now = time.time()
            got[json.loads(msg.data)["card"]["id"]].append(now)


async def _client_main(mode: str, base: str, tokens: list[str], show_id: str, conn: Any) -> None:
    got: dict[str, list[float]] = defaultdict(list)
    viewer = _socketio_viewer if mode == "socketio" else _plain_viewer
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        gate = asyncio.Semaphore(25)
        tasks: list[asyncio.Task[None]] = []

        async def start(token: str) -> None:
            async with gate:
                ready = asyncio.Event()
                task = asyncio.create_task(viewer(session, base, token, show_id, got, ready))
                tasks.append(task)
                waiter = asyncio.create_task(ready.wait())
                await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED, timeout=60)
                waiter.cancel()
                if task.done() and task.exception():
                    raise task.exception()  # type: ignore[misc]

        await asyncio.gather(*(start(t) for t in tokens))
        conn.send(("ready", len(tasks)))
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "report"
        conn.send(("times", dict(got)))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def client_process(mode: str, base: str, tokens: list[str], show_id: str, conn: Any) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    try:
        asyncio.run(_client_main(mode, base, tokens, show_id, conn))
    except Exception as exc:  # the parent reports it
        conn.send(("failed", repr(exc)))


@contextmanager
def client_fleet(mode: str, base: str, tokens: list[str], show_id: str, procs: int) -> Iterator[Any]:
    ctx = mp.get_context("spawn")
    pipes, children = [], []
    for i in range(procs):
        parent, child = ctx.Pipe()
        share = tokens[i::procs]
        proc = ctx.Process(target=client_process, args=(mode, base, share, show_id, child), daemon=True)
        proc.start()
        pipes.append(parent)
        children.append(proc)
    try:
        for pipe in pipes:
            kind, value = pipe.recv()
            if kind != "ready":
                raise RuntimeError(f"client process failed: {value}")
        yield pipes
    finally:
        for proc in children:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


def collect(pipes: list[Any]) -> dict[str, list[float]]:
    merged: dict[str, list[float]] = defaultdict(list)
    for pipe in pipes:
        pipe.send("report")
    for pipe in pipes:
        kind, value = pipe.recv()
        if kind != "times":
            raise RuntimeError(f"client process failed: {value}")
        for key, times in value.items():
            merged[key].extend(times)
    return merged


# ---------------------------------------------------------------- the ceiling: a bare aiohttp websocket broadcast

def ceiling_server(port: int) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    clients: set[web.WebSocketResponse] = set()

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        clients.add(ws)
        try:
            async for _ in ws:
                pass
        finally:
            clients.discard(ws)
        return ws

    async def broadcast(request: web.Request) -> web.Response:
        text = await request.text()
        for ws in list(clients):
            await ws.send_str(text)
        return web.json_response({"sent": len(clients)})

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    app.router.add_post("/broadcast", broadcast)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# ---------------------------------------------------------------- the live server and the show

async def setup_show(base: str, cards: int) -> tuple[str, str, list[str]]:
    """A merchant (who hosts), ``cards`` products in a live show. Returns (merchant token, show id, offer ids)."""
    async with aiohttp.ClientSession(base_url=base) as s:
        async def post(path: str, body: Any, token: str | None = None) -> Any:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with s.post(path, json=body, headers=headers) as r:
                answer = await r.json()
                assert r.status < 300, (path, r.status, answer)
                return answer

        signup = await post("/api/merchants", {"name": "Bench", "email": f"b{secrets.token_hex(4)}@example.com",
                                               "password": "bench-password-1"})
        token = signup["token"]
        starts = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        show = await post("/api/shows", {"title": "Fan-out", "starts_at": starts, "host_id": signup["user"]["id"]},
                          token)
        offers = []
        for i in range(cards):
            product = await post("/api/products", {"sku": f"B{i}", "title": f"Bench product {i}",
                                                   "price_cents": 1000 + i, "currency": "USD", "inventory": 100},
                                 token)
            offer = await post(f"/api/shows/{show['id']}/offers", {"product_id": product["id"], "price_cents": 900,
                                                                   "stock": 50, "per_buyer_limit": 2}, token)
            offers.append(offer["offer"]["id"])
        await post(f"/api/shows/{show['id']}/start", None, token)
        return token, show["id"], offers


@contextmanager
def profiled(pid: int, output: str | None) -> Iterator[None]:
    """py-spy (``pip install py-spy``) samples the server while the cards go out, into a flame graph."""
    if not output:
        yield
        return
    spy = subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--rate", "250", "--output", output,
                            "--format", "speedscope" if output.endswith(".json") else "flamegraph"],
                           stdout=subprocess.DEVNULL)
    time.sleep(1.0)  # attach before the first card
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)


def rss(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


def report(target: str, viewers: int, t0: dict[str, float], got: dict[str, list[float]], cards: int,
           server_pid: int, rss_before: int, rss_after: int) -> dict[str, float]:
    latencies = [(t - t0[key]) * 1000 for key, times in got.items() if key in t0 for t in times]
    latencies.sort()
    expected = viewers * cards
    figures = {
        "p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "delivery_ratio": len(latencies) / expected,
        "server_bytes_per_connection": (rss_after - rss_before) / viewers,
    }
    for name, value in figures.items():
        emit(name, round(value, 4) if name == "delivery_ratio" else round(value, 1), target=target, viewers=viewers,
             cards=cards)
    return figures


async def run_live(args: argparse.Namespace, tmp: Path) -> tuple[dict[str, float], str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "LIVE_DATA_DIR": str(tmp / "data"), "LIVE_SECRET_KEY": SECRET, "LIVE_LOG_LEVEL": "WARNING",
           "LIVE_SOCKETIO_FAST_BROADCAST": "false" if args.plain else "true", "LIVE_REDIS_PREFIX": "bench:",
           "LIVE_LIMIT_SOCKETS_PER_ADDRESS": "100000/minute"}  # every simulated viewer shares 127.0.0.1
    env.pop("LIVE_DATABASE_URL", None)
    if args.redis_url:
        env["LIVE_REDIS_URL"] = args.redis_url
        env["LIVE_REDIS_DURABILITY"] = "unsafe"  # no orders here; the machine's Redis runs without AOF
        env["LIVE_REDIS_PREFIX"] = f"bench{secrets.token_hex(3)}:"
    else:
        env.pop("LIVE_REDIS_URL", None)
    subprocess.run([sys.executable, "-m", "live", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    server = subprocess.Popen([sys.executable, "-m", "live", "serve", "--port", str(port), "--workers", "1"], env=env)
    try:
        await wait_healthy(base, server)
        token, show_id, offers = await setup_show(base, args.cards)
        tokens = TokenService(SECRET, 3600)
        viewer_tokens = [tokens.issue(Principal(f"usr_bench{i:06x}", "viewer", None, f"Viewer {i}"))
                         for i in range(args.viewers)]
        rss_before = rss(server.pid)
        target = "socketio_plain" if args.plain else "socketio"
        with client_fleet("socketio", base, viewer_tokens, show_id, args.client_procs) as pipes, \
                profiled(server.pid, args.profile):
            rss_after = rss(server.pid)
            t0: dict[str, float] = {}
            sample = ""
            async with aiohttp.ClientSession(base_url=base) as s:
                for offer_id in offers:
                    t0[offer_id] = time.time()
                    async with s.post(f"/api/shows/{show_id}/cards", json={"offer_id": offer_id},
                                      headers={"Authorization": f"Bearer {token}"}) as r:
                        sample = json.dumps({"show_id": show_id, **(await r.json())})
                        assert r.status == 201, sample
                    await asyncio.sleep(args.gap)
            await asyncio.sleep(1.0)
            got = collect(pipes)
        return report(target, args.viewers, t0, got, args.cards, server.pid, rss_before, rss_after), sample
    finally:
        stop_process(server, 30)
        if args.redis_url:
            await forget_keys(args.redis_url, env["LIVE_REDIS_PREFIX"])


async def forget_keys(redis_url: str, prefix: str) -> None:
    """The run's keys in a shared Redis (the embedded one goes away with the temporary folder)."""
    client = Redis.from_url(redis_url)
    try:
        async for key in client.scan_iter(match=f"{prefix}*", count=1000):
            await client.delete(key)
    finally:
        await client.aclose()


async def run_ceiling(args: argparse.Namespace, sample: str) -> dict[str, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = mp.get_context("spawn").Process(target=ceiling_server, args=(port,), daemon=True)
    proc.start()
    try:
        await wait_healthy(base, proc)
        rss_before = rss(proc.pid or 0)
        with client_fleet("plain", base, [""] * args.viewers, "", args.client_procs) as pipes:
            rss_after = rss(proc.pid or 0)
            t0: dict[str, float] = {}
            body = json.loads(sample)
            async with aiohttp.ClientSession(base_url=base) as s:
                for i in range(args.cards):
                    key = f"ceiling-{i}"
                    body["card"]["id"] = key
                    text = json.dumps(body)
                    t0[key] = time.time()
                    async with s.post("/broadcast", data=text) as r:
                        assert r.status == 200
                    await asyncio.sleep(args.gap)
            await asyncio.sleep(1.0)
            got = collect(pipes)
        return report("aiohttp_ceiling", args.viewers, t0, got, args.cards, proc.pid or 0, rss_before, rss_after)
    finally:
        proc.terminate()
        proc.join(10)


def parse(flags: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench fanout")
    parser.add_argument("--viewers", type=int, default=2000)
    parser.add_argument("--cards", type=int, default=20)
    parser.add_argument("--client-procs", type=int, default=4)
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between two card pushes")
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--plain", action="store_true", help="python-socketio's own emit instead of the fast path")
    parser.add_argument("--no-ceiling", action="store_true")
    parser.add_argument("--profile", default=None, help="py-spy output file (.svg flame graph or .json speedscope)")
    return parser.parse_args(flags)


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
        live, sample = await run_live(args, Path(tmp))
    if not args.no_ceiling:
        ceiling = await run_ceiling(args, sample)
        for name in ("p50_ms", "p99_ms", "max_ms"):
            emit(f"{name}_ratio_to_ceiling", round(live[name] / ceiling[name], 2) if ceiling[name] else "n/a",
                 viewers=args.viewers)
        emit("bytes_per_connection_ratio_to_ceiling",
             round(live["server_bytes_per_connection"] / ceiling["server_bytes_per_connection"], 2)
             if ceiling["server_bytes_per_connection"] > 0 else "n/a", viewers=args.viewers)
    return 0 if live["delivery_ratio"] == 1.0 else 1


def main(flags: list[str]) -> int:
    return asyncio.run(run(parse(flags)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
