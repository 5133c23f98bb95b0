"""``bench relay --nodes 3``: one show on an origin and two edges on this machine, against one node alone in
the same run. The origin takes one viewer (LIVE_MEDIA_CAPACITY=1) and pays one session per edge; for each
number of viewers per edge the edges are (re)started with that capacity, so placement splits the viewers
evenly. Per point: the origin's CPU (it should stay about flat as edge viewers grow), each edge's CPU and CPU
per viewer, frames delivered, and the extra latency of the relay hop (bench/hop.py: the same encoded frame's
arrival at an edge viewer minus at the origin viewer). Every node is ``live serve --role media`` sharing a
redis-server and a SQLite file of its own; viewers are bench.peers counting processes at nice 10.

Each point also gives the CPU of the bench's own processes (publisher, viewers, latency probe): they share the
machine's cores with the nodes, so a point whose viewers fell behind is told apart from one whose edge did.
``--profile=DIR`` samples the first edge with py-spy over each point's window (DIR/edge-N.txt, collapsed
stacks; needs ``py-spy`` and the right to trace: root, or ptrace_scope 0). ``--compare-counters`` splits the
edge viewers between the two ways bench.peers counts frames (from RTP headers, or reassembled by aiortc's
receive path) and reports each group apart.

Flags: ``--nodes=3 --per-edge=5,15 --seconds=8 --warmup=4 --per-process=25 --bitrate=1000000 --logs=DIR
--profile=DIR --compare-counters``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import redis

from bench.common import free_port
from bench.relay import ROOT, VIEWER_NICE, Options, Proc, Server, _http, _rate, _wait_http, run_path


@dataclass
class NodeOptions:
    per_edge: list[int]
    relay: Options
    profile: Path | None = None
    counters: tuple[str, ...] = ("rtp",)


def parse(flags: list[str]) -> NodeOptions:
    from bench.relay import parse as parse_relay

    per_edge, profile = [5, 15], None
    counters: tuple[str, ...] = ("rtp",)
    for flag in flags:
        name, _, value = flag.lstrip("-").partition("=")
        if name == "per-edge":
            per_edge = [int(v) for v in value.split(",") if v]
        elif name == "profile":
            profile = Path(value)
            profile.mkdir(parents=True, exist_ok=True)
        elif name == "compare-counters":
            counters = ("rtp", "reassembled")
    relay = parse_relay([f for f in flags if not f.lstrip("-").startswith(("per-edge", "nodes", "profile", "compare"))])
    if not any(f.lstrip("-").startswith("seconds") for f in flags):
        relay.seconds = 8.0
    return NodeOptions(per_edge, relay, profile, counters)


class Cluster:
    """A redis-server and a SQLite file shared by media nodes started on demand."""

    def __init__(self, tmp: Path, options: Options) -> None:
        self.tmp, self.options = tmp, options
        port = free_port()
        self.redis_port = port
        self.redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--dir", str(tmp)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.env = {"LIVE_REDIS_URL": f"redis://127.0.0.1:{port}/0",
                    "LIVE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'live.db'}",
                    "LIVE_SECRET_KEY": secrets.token_urlsafe(32), "LIVE_LOG_LEVEL": "WARNING",
                    "LIVE_HOST": "127.0.0.1", "LIVE_ROLE": "media",
                    "LIVE_REDIS_DURABILITY": "unsafe"}  # a throwaway redis-server; the bench takes no orders
        subprocess.run([sys.executable, "-m", "live", "migrate"], cwd=ROOT, env={**os.environ, **self.env},
                       check=True, capture_output=True)

    def node(self, name: str, capacity: int, workers: bool = False) -> tuple[Proc, str]:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**self.env, "LIVE_PORT": str(port), "LIVE_PUBLIC_URL": base, "LIVE_DATA_DIR": str(self.tmp / name),
               "LIVE_MEDIA_CAPACITY": str(capacity), "LIVE_RUN_WORKERS": str(workers).lower()}
        log = self.options.logs / f"{name}.log" if self.options.logs else None
        proc = Proc([sys.executable, "-m", "live", "serve", "--workers", "1"], env, log)
        _wait_http(base + "/healthz")
        return proc, base

    def loads(self) -> dict[str, int]:
        """Each media node's announced load (its viewers), by URL, from the nodes' heartbeats."""
        client = redis.Redis(port=self.redis_port)
        found: dict[str, int] = {}
        for key in client.scan_iter(match="*node*"):
            if client.type(key) == b"hash":
                for raw in client.hvals(key):
                    node = json.loads(raw)
                    found[node["url"]] = node["load"]
        client.close()
        return found

    def close(self) -> None:
        self.redis.terminate()
        self.redis.wait(10)


def cpu_of(procs: list[Proc], seconds: float, groups: Sequence[Sequence[Proc]] = ()
           ) -> tuple[list[float], float, float, float]:
    """Each process's CPU (fraction of a core) over ``seconds``, then one entry per group of ``groups`` (its
    processes' CPU summed); the machine's busy fraction; and the window."""
    members = [*procs, *(p for group in groups for p in group)]
    handles = [psutil.Process(p.popen.pid) for p in members]
    before, machine0, t0 = [h.cpu_times() for h in handles], psutil.cpu_times(), time.monotonic()
    time.sleep(seconds)
    after, machine1, t1 = [h.cpu_times() for h in handles], psutil.cpu_times(), time.monotonic()
    busy = 1 - (machine1.idle - machine0.idle) / max(sum(machine1) - sum(machine0), 1e-9)
    each = [(b.user + b.system - a.user - a.system) / (t1 - t0) for a, b in zip(before, after, strict=True)]
    cpus, start = each[:len(procs)], len(procs)
    for group in groups:
        cpus.append(sum(each[start:start + len(group)]))
        start += len(group)
    return cpus, busy, t0, t1


def show_on(base: str) -> Server:
    email = f"bench-{secrets.token_hex(4)}@example.com"
    merchant = _http("POST", base + "/api/merchants", {"name": "Bench", "email": email, "password": "bench-pass-1"})
    from datetime import UTC, datetime, timedelta

    starts = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    show = _http("POST", base + "/api/shows", {"title": "Bench", "starts_at": starts,
                                               "host_id": merchant["user"]["id"]}, merchant["token"])
    _http("POST", f"{base}/api/shows/{show['id']}/start", token=merchant["token"])
    return Server(None, base, show["id"], merchant["token"])  # type: ignore[arg-type]


def start_profile(proc: Proc, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling ``proc`` (without pausing it) for ``seconds``, collapsed stacks into ``out``."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen([spy, "record", "--nonblocking", "--rate", "100", "--format", "raw", "--duration",
                             str(max(1, round(seconds))), "--pid", str(proc.popen.pid), "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def delivered(viewers: list[Proc], publisher_fps: float, t0: float, t1: float) -> dict[str, Any]:
    """Frames the viewers of these processes counted, against what the host sent."""
    fps = [rate for viewer in viewers for rate in _rate(viewer.lines, t0, t1, "frames")]
    lost = sum(rate for viewer in viewers for rate in _rate(viewer.lines, t0, t1, "lost_packets"))
    mean_fps = sum(fps) / len(fps) if fps else 0.0
    return {"delivered": round(mean_fps / publisher_fps, 4) if publisher_fps else None,
            "viewers_below_95pct": sum(rate < 0.95 * publisher_fps for rate in fps),
            "min_fps_viewer": round(min(fps), 2) if fps else None, "lost_packets_per_s": round(lost, 1)}


def relay_point(cluster: Cluster, origin: Proc, server: Server, publisher: Proc, hop: Proc, per_edge: int,
                options: Options, profile: Path | None = None, counters: Sequence[str] = ("rtp",)
                ) -> dict[str, Any]:
    edges = [cluster.node(f"edge{i}-{per_edge}", per_edge) for i in range(2)]
    groups: dict[str, list[Proc]] = {counter: [] for counter in counters}
    viewers: list[Proc] = []
    try:
        hop.popen.send_signal(signal.SIGUSR1)  # its edge viewer: the origin is full, so placement picks an edge
        total = 2 * per_edge - 1
        for i, counter in enumerate(counters):  # the viewers split evenly between the counters
            remaining = total // len(counters) + (i < total % len(counters))
            while remaining > 0:
                count = min(options.per_process, remaining)
                groups[counter].append(Proc([sys.executable, "-m", "bench.peers", "watch", server.base,
                                             server.show_id, "--count", str(count), "--counter", counter],
                                            nice=VIEWER_NICE))
                remaining -= count
        viewers = [proc for group in groups.values() for proc in group]
        for viewer in viewers:
            viewer.wait_for("watching", timeout=60 + 2 * options.per_process)
        time.sleep(options.warmup)
        spy = start_profile(edges[0][0], options.seconds, profile / f"edge-{per_edge}.txt") if profile else None
        cpus, busy, t0, t1 = cpu_of([origin, *(proc for proc, _ in edges), publisher, hop], options.seconds,
                                    list(groups.values()))
        origin_cpu, edge_cpu, publisher_cpu, hop_cpu, group_cpu = cpus[0], cpus[1:3], cpus[3], cpus[4], cpus[5:]
        loads = cluster.loads()
        if spy is not None:
            spy.wait(timeout=30 + options.seconds)
    finally:
        for viewer in viewers:
            viewer.stop()
        for proc, _ in edges:
            proc.stop()
    sent = _rate(publisher.lines, t0, t1, "frames")
    hops = [line for line in hop.lines if line.get("event") == "stats" and t0 <= line["time"] <= t1]
    publisher_fps = sent[0] if sent else 0.0
    by_counter = {counter: {**delivered(group, publisher_fps, t0, t1), "cpu_pct": round(100 * cpu, 1)}
                  for (counter, group), cpu in zip(groups.items(), group_cpu, strict=True)}
    return {"bench": "relay", "path": "nodes", "viewers_per_edge": per_edge, "edge_viewers": 2 * per_edge,
            "origin_cpu_pct": round(100 * origin_cpu, 2), "edge_cpu_pct": [round(100 * c, 2) for c in edge_cpu],
            "edge_cpu_per_viewer_pct": round(100 * sum(edge_cpu) / (2 * per_edge), 3),
            "edge_loads": [loads.get(base) for _, base in edges], "publisher_fps": round(publisher_fps, 2),
            **delivered(viewers, publisher_fps, t0, t1),
            "hop_extra_latency_ms_median": hops[-1]["median_ms"] if hops else None,
            "hop_extra_latency_ms_p95": hops[-1]["p95_ms"] if hops else None,
            "hop_frames_matched": hops[-1]["frames"] if hops else 0,
            "viewers_by_counter": by_counter,
            "bench_clients_cpu_pct": {"publisher": round(100 * publisher_cpu, 1),
                                      "viewers": round(100 * sum(group_cpu), 1),
                                      "latency_probe": round(100 * hop_cpu, 1)},
            "machine_busy_pct": round(100 * busy, 1), "load_average_1min": round(os.getloadavg()[0], 2)}


def main(flags: list[str]) -> int:
    options = parse(flags)
    relay = options.relay
    with tempfile.TemporaryDirectory(prefix="bench-nodes-") as tmp:
        cluster = Cluster(Path(tmp), relay)
        origin, base = cluster.node("origin", capacity=1, workers=True)
        server = show_on(base)
        publisher = Proc([sys.executable, "-m", "bench.peers", "publish", base, server.show_id, server.token,
                          "--size", "640x480", "--texture", "--bitrate", str(relay.bitrate)])
        hop = Proc([sys.executable, "-m", "bench.hop", base, server.show_id])
        try:
            publisher.wait_for("published", timeout=60)
            hop.wait_for("watching", timeout=60)
            for per_edge in options.per_edge:
                point = relay_point(cluster, origin, server, publisher, hop, per_edge, relay, options.profile,
                                    options.counters)
                print(json.dumps(point), flush=True)
        finally:
            for proc in (hop, publisher, origin):
                proc.stop()
            cluster.close()
    # The single node, same run: every viewer on one process.
    from bench.relay import start_forwarding_server

    relay.naive = []
    with tempfile.TemporaryDirectory(prefix="bench-single-") as tmp:
        single = start_forwarding_server(Path(tmp), relay)
        try:
            run_path("single-node", single, [2 * n for n in options.per_edge], relay)
        finally:
            single.proc.stop()
    return 0
