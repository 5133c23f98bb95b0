"""Video fan-out: the server's CPU per viewer when it forwards the host's packets (this server), against aiortc's
MediaRelay, which re-encodes for every viewer (bench/naive.py), measured in the same run.

Every party is its own process: the server (``python -m live serve``, embedded Redis and SQLite in a temporary
folder), one publisher (an aiortc peer sending a synthetic 640x480 30 fps VP8 stream of moving noise, plus Opus
audio), and viewer processes of up to ``--per-process`` aiortc viewers each that count complete frames from RTP
headers (bench.peers.RtpCounter: no reassembly, no decoding), at a lower priority (nice 10) so that they cannot
starve the server they measure. For each number of viewers N: warm up, then read the server process's CPU
time (psutil) and every viewer's frame count over a window. One JSON line per figure:

- per N: server CPU (% of one core), CPU per viewer over the publisher-only baseline, frames received per
  viewer per second, the delivered ratio (viewer fps / publisher fps), and the machine's load (the viewers
  share its cores: a saturated machine starves everyone, so such points are marked and left out of the slope);
- ``slope``: least-squares server CPU per extra viewer over the points that delivered >= 95% of the frames
  while the machine was not saturated, for both paths (with the points it used);
- ``ratio``: naive CPU per viewer / forwarding CPU per viewer.

The publisher's VP8 bitrate is fixed (``--bitrate``, default 1 Mbps, typical of 640x480) so the load does not
drift with the receiver's estimate while points are measured.

Flags: ``--viewers=1,10,50,100,200 --naive=1,2,4 --seconds=10 --warmup=4 --per-process=25 --bitrate=1000000
--no-audio --logs=DIR --quick``; ``--logs`` keeps every process's stderr in a file of DIR, ``--quick`` is
``--viewers=1,10,30 --naive=1,2 --seconds=6``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

from bench.common import free_port

ROOT = Path(__file__).resolve().parents[1]
SATURATED = 0.85  # machine busy fraction above which a point says more about the machine than the server
VIEWER_NICE = 10  # the load generator yields the CPU to what it measures (server, publisher)


@dataclass
class Options:
    viewers: list[int] = field(default_factory=lambda: [1, 10, 50, 100, 200])
    naive: list[int] = field(default_factory=lambda: [1, 2, 4])
    seconds: float = 10.0
    warmup: float = 4.0
    per_process: int = 25
    audio: bool = True
    bitrate: int = 1_000_000
    logs: Path | None = None  # each process's stderr goes to a file here


def parse(flags: list[str]) -> Options:
    options = Options()
    for flag in flags:
        name, _, value = flag.lstrip("-").partition("=")
        if name == "quick":
            options.viewers, options.naive, options.seconds = [1, 10, 30], [1, 2], 6.0
        elif name in ("viewers", "naive"):
            setattr(options, name, [int(v) for v in value.split(",") if v])
        elif name in ("seconds", "warmup"):
            setattr(options, name, float(value))
        elif name in ("per-process", "bitrate"):
            setattr(options, name.replace("-", "_"), int(value))
        elif name == "no-audio":
            options.audio = False
        elif name == "logs":
            options.logs = Path(value)
            options.logs.mkdir(parents=True, exist_ok=True)
    return options


class Proc:
    """A child process whose JSON stdout lines are collected by a thread."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None, log: Path | None = None,
                 nice: int = 0) -> None:
        self.lines: list[dict[str, Any]] = []
        self.log = log
        errors = log.open("w") if log else subprocess.DEVNULL
        if nice:  # through nice(1), which execs the command: a preexec_fn is unsafe once threads run
            args = ["nice", "-n", str(nice), *args]
        self.popen = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, text=True, cwd=ROOT,
                                      env={**os.environ, **(env or {})})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            with contextlib.suppress(json.JSONDecodeError):
                self.lines.append(json.loads(line))

    def wait_for(self, event: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in self.lines if line.get("event") == event), None)
            if found:
                return found
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.popen.args!r} exited with {self.popen.returncode}")
            time.sleep(0.1)
        raise TimeoutError(f"{self.popen.args!r}: no {event!r} within {timeout} s")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()



def _http(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=30) as response:
        return json.loads(response.read() or b"null")


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@dataclass
class Server:
    proc: Proc
    base: str
    show_id: str
    token: str


def _log(options: Options, name: str) -> Path | None:
    return options.logs / f"{name}.log" if options.logs else None


def start_forwarding_server(data_dir: Path, options: Options) -> Server:
    port = free_port()
    env = {"LIVE_DATA_DIR": str(data_dir), "LIVE_SECRET_KEY": secrets.token_urlsafe(32), "LIVE_LOG_LEVEL": "WARNING",
           "LIVE_HOST": "127.0.0.1", "LIVE_PORT": str(port),
           # every viewer process connects from this machine, many at once
           "LIVE_WHEP_PENDING_PER_ADDRESS": "100000", "LIVE_LIMIT_WHEP_OFFERS_PER_ADDRESS": "100000/minute",
           "LIVE_ICE_ALLOW_LOOPBACK": "true"}
    subprocess.run([sys.executable, "-m", "live", "migrate"], cwd=ROOT, env={**os.environ, **env}, check=True,
                   capture_output=True)
    proc = Proc([sys.executable, "-m", "live", "serve", "--workers", "1"], env, _log(options, "server"))
    base = f"http://127.0.0.1:{port}"
    _wait_http(base + "/healthz")
    email = f"bench-{secrets.token_hex(4)}@example.com"
    merchant = _http("POST", base + "/api/merchants", {"name": "Bench", "email": email, "password": "bench-pass-1"})
    token = merchant["token"]
    starts = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    show = _http("POST", base + "/api/shows", {"title": "Bench", "starts_at": starts,
                                               "host_id": merchant["user"]["id"]}, token)
    _http("POST", f"{base}/api/shows/{show['id']}/start", token=token)
    return Server(proc, base, show["id"], token)


def start_naive_server(options: Options) -> Server:
    port = free_port()
    proc = Proc([sys.executable, "-m", "bench.naive", str(port)], log=_log(options, "naive"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return Server(proc, base, "naive", "none")


def _rate(lines: list[dict[str, Any]], t0: float, t1: float, key: str) -> list[float]:
    """Per-counter rate over the lines stamped inside [t0, t1] (a counter may be a list: one per viewer)."""
    inside = [line for line in lines if line.get("event") == "stats" and t0 <= line["time"] <= t1]
    if len(inside) < 2:
        return []
    first, last = inside[0], inside[-1]
    span = last["time"] - first["time"]
    a, b = first[key], last[key]
    if isinstance(a, list):
        return [(y - x) / span for x, y in zip(a, b, strict=True)]
    return [(b - a) / span]


def measure(server: Server, publisher: Proc, n: int, options: Options) -> dict[str, Any]:
    workers: list[Proc] = []
    remaining = n
    while remaining > 0:
        count = min(options.per_process, remaining)
        args = [sys.executable, "-m", "bench.peers", "watch", server.base, server.show_id, "--count", str(count)]
        workers.append(Proc(args, log=_log(options, f"viewers-{n}-{len(workers)}"), nice=VIEWER_NICE))
        remaining -= count
    try:
        for worker in workers:
            worker.wait_for("watching", timeout=60 + 2 * options.per_process)
        time.sleep(options.warmup)
        process = psutil.Process(server.proc.popen.pid)
        cpu0, machine0, t0 = process.cpu_times(), psutil.cpu_times(), time.monotonic()
        time.sleep(options.seconds)
        cpu1, machine1, t1 = process.cpu_times(), psutil.cpu_times(), time.monotonic()
    finally:
        for worker in workers:
            worker.stop()
    busy = 1 - (machine1.idle - machine0.idle) / max(sum(machine1) - sum(machine0), 1e-9)
    server_cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (t1 - t0)
    server_system = (cpu1.system - cpu0.system) / (t1 - t0)
    sent = _rate(publisher.lines, t0, t1, "frames")
    asked = _rate(publisher.lines, t0, t1, "keyframe_requests")
    fps = [rate for worker in workers for rate in _rate(worker.lines, t0, t1, "frames")]
    octets = sum(rate for worker in workers for rate in _rate(worker.lines, t0, t1, "octets"))
    publisher_fps = sent[0] if sent else 0.0
    mean_fps = sum(fps) / len(fps) if fps else 0.0
    time.sleep(1.5)  # let the server close the sessions before the next point
    return {
        "viewers": n, "server_cpu_pct": round(100 * server_cpu, 2),
        "server_kernel_pct": round(100 * server_system, 2), "publisher_fps": round(publisher_fps, 2),
        "fps_per_viewer": round(mean_fps, 2), "min_fps_viewer": round(min(fps), 2) if fps else None,
        "delivered": round(mean_fps / publisher_fps, 4) if publisher_fps and n else None,
        "video_kbps_per_viewer": round(8 * octets / 1000 / n, 1) if n else None,
        "host_keyframe_requests_per_s": round(asked[0], 2) if asked else None,
        "machine_busy_pct": round(100 * busy, 1), "saturated": busy > SATURATED,
    }


def slope(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Least-squares server CPU (% of a core) per extra viewer over the points that delivered at least 95% of
    the frames while the machine was not saturated; if fewer than two are left (other work on the machine),
    over all that delivered 95%. A point that delivered less measures a machine that fell behind."""
    delivered = [p for p in points if p["delivered"] is None or p["delivered"] >= 0.95]
    basis = "delivered >= 95%, machine not saturated"
    usable = [p for p in delivered if not p["saturated"]]
    if len(usable) < 2:
        basis, usable = "delivered >= 95% (machine saturated)", delivered
    pairs = [(p["viewers"], p["server_cpu_pct"]) for p in usable]
    value = None
    if len({x for x, _ in pairs}) >= 2:
        mean_x = sum(x for x, _ in pairs) / len(pairs)
        mean_y = sum(y for _, y in pairs) / len(pairs)
        value = sum((x - mean_x) * (y - mean_y) for x, y in pairs) / sum((x - mean_x) ** 2 for x, _ in pairs)
    return {"cpu_per_extra_viewer_pct": round(value, 3) if value is not None else None,
            "viewers_used": [x for x, _ in pairs], "basis": basis}


def run_path(name: str, server: Server, counts: list[int], options: Options) -> list[dict[str, Any]]:
    args = [sys.executable, "-m", "bench.peers", "publish", server.base, server.show_id, server.token,
            "--size", "640x480", "--texture", "--bitrate", str(options.bitrate)]
    args += [] if options.audio else ["--no-audio"]
    publisher = Proc(args, log=_log(options, f"publisher-{name}"))
    points: list[dict[str, Any]] = []
    try:
        publisher.wait_for("published", timeout=60)
        time.sleep(options.warmup)
        for n in [0, *counts]:
            point = {"bench": "relay", "path": name, **measure(server, publisher, n, options)}
            if n:
                base = points[0]["server_cpu_pct"]
                point["cpu_per_viewer_pct"] = round((point["server_cpu_pct"] - base) / n, 3)
            print(json.dumps(point), flush=True)
            points.append(point)
    finally:
        publisher.stop()
    return points


def main(flags: list[str]) -> int:
    if any(flag.lstrip("-").startswith("nodes") for flag in flags):
        from bench import relay_nodes

        return relay_nodes.main(flags)
    options = parse(flags)
    figures: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-relay-") as tmp:
        server = start_forwarding_server(Path(tmp), options)
        try:
            figures["forward"] = slope(run_path("forward", server, options.viewers, options))
        finally:
            server.proc.stop()
    if options.naive:
        naive = start_naive_server(options)
        try:
            figures["naive"] = slope(run_path("naive", naive, options.naive, options))
        finally:
            naive.proc.stop()
    for name, figure in figures.items():
        print(json.dumps({"bench": "relay", "figure": "slope", "path": name, **figure}), flush=True)
    forward = figures.get("forward", {}).get("cpu_per_extra_viewer_pct")
    reencode = figures.get("naive", {}).get("cpu_per_extra_viewer_pct")
    if forward and reencode:
        print(json.dumps({"bench": "relay", "figure": "ratio", "naive_over_forward": round(reencode / forward, 1),
                          "goal": ">= 30"}), flush=True)
    return 0
