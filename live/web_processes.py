"""``live serve --workers N``: N web processes on one port, started and supervised by a parent process.

One Python process answers on one core; a deal drop needs every core. The kernel spreads new connections
over N listeners bound to the same port (SO_REUSEPORT), so no proxy is needed in front of them. Each worker
is a full web process (``live serve`` with ``--reuse-port``) sharing Redis and the database. The background
workers (persistence, capture, expiry) run in a child of their own (``live worker``) at a lower priority
(``LIVE_WORKER_NICE``): a tap's answer never waits behind them for the CPU, and every web worker serves alike.
``LIVE_RUN_WORKERS=false`` leaves them out, for ``live worker`` processes run elsewhere.

The parent starts the embedded Redis once, for all of them, and restarts it when it dies (the workers are
told its socket as ``LIVE_REDIS_URL``): it owns the server because it outlives every worker. It restarts a
child that dies, forwards SIGTERM/SIGINT to all of them for a clean shutdown, and otherwise does nothing,
so it is the last one standing. A worker whose parent vanished (SIGKILL) stops by itself.

A WebRTC session lives in the process that took it, so a worker that takes media also listens on a port of
its own and announces that as its media node URL: the placement of WHIP/WHEP calls (live.placement)
redirects each call to the worker that holds its session. socket.io's long-polling has no such redirect:
a polling session needs all its requests on one process, so it works on websockets (the pages' first
choice) or with ``--workers 1``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from live.config import Settings
from live.heap import freeze_on_startup
from live.logs import AccessLogger
from live.redis_clients import open_redis
from live.redis_durability import require_durable
from live.redis_server import EmbeddedRedis

log = logging.getLogger("live.web_processes")

POLL_SECONDS = 0.25
PARENT_PID_ENV = "LIVE_PARENT_PID"  # set by the supervisor for its children (parent_gone)
STOP_TIMEOUT_SECONDS = 20.0
REFUSED = 2  # the exit status of `live serve` that said why it will not serve (see live.cli)
QUICK_DEATH_SECONDS = 10.0  # a child that dies sooner after starting is in a crash loop: back off, then give up
RESTART_BACKOFF_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)


class OneProcessOnly(RuntimeError):
    """A media node at a fixed LIVE_NODE_URL holds its WebRTC sessions in one process."""


def fixed_media_node(settings: Settings) -> bool:
    return settings.takes_media and bool(settings.node_url)


def default_workers(settings: Settings) -> int:
    """One per core; one for a media node at a fixed URL (its sessions cannot be split among processes)."""
    if fixed_media_node(settings):
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def media_url(public_url: str, port: int) -> str:
    """The public URL's scheme and host on a worker's own port."""
    parts = urlsplit(public_url)
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port}"


@dataclass
class Child:
    """One child (a web worker, ``live serve --reuse-port``, or the background one, ``live worker``): its
    command line and environment, and the process while it runs."""

    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    quick_deaths: int = 0  # in a row, each soon after starting
    started_at: float = 0.0
    died_at: float = 0.0

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, env=self.env)
        self.started_at, self.died_at = time.monotonic(), 0.0
        log.info("child started", extra={"child": self.name, "pid": self.process.pid})

    def exited(self, now: float) -> bool:
        """Whether it is gone; the first time it is seen gone, counts a death soon after starting."""
        if self.process is None or self.process.poll() is None:
            return False
        if not self.died_at:
            self.died_at = now
            self.quick_deaths = self.quick_deaths + 1 if now - self.started_at < QUICK_DEATH_SECONDS else 0
        return True

    def restart_due(self, now: float) -> bool:
        """At once after a child that lived a while; after a growing backoff in a crash loop."""
        if not self.quick_deaths:
            return True
        return now - self.died_at >= RESTART_BACKOFF_SECONDS[min(self.quick_deaths, len(RESTART_BACKOFF_SECONDS)) - 1]

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)


@dataclass
class Supervisor:
    """The parent: the embedded Redis (if any), the web workers and the background child, kept running until
    told to stop. A web worker runs ``command`` (after the interpreter) with ``--reuse-port``: ``live serve``,
    or the bench's server."""

    settings: Settings
    count: int
    command: tuple[str, ...] = ("-m", "live", "serve")
    children: list[Child] = field(default_factory=list)
    embedded: EmbeddedRedis | None = None
    stopping: bool = False

    def run(self) -> int:
        """0 after a clean stop; a worker's refusal (2: it said why on stderr) or 1 when one cannot start."""
        if fixed_media_node(self.settings):
            raise OneProcessOnly("a media node at LIVE_NODE_URL runs as one process: use --workers 1")
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        try:
            env = self._shared_env()
            self.children = [self._worker(env, i) for i in range(self.count)]
            if self.settings.run_workers:
                self.children.append(self._background(env))
            for child in self.children:
                child.start()
            while True:
                time.sleep(POLL_SECONDS)
                if self.stopping:  # before looking at the workers: a Ctrl-C stops them too, not to be restarted
                    break
                self._keep_redis()
                code = self._keep_children()
                if code is not None:
                    return code
        finally:
            self._shutdown()
        return 0

    def _shared_env(self) -> dict[str, str]:
        settings = self.settings
        env = {**os.environ, PARENT_PID_ENV: str(os.getpid()),
               "LIVE_HOST": settings.host, "LIVE_PORT": str(settings.port),
               "LIVE_PUBLIC_URL": settings.public_url, "LIVE_ROLE": settings.role,
               "LIVE_SECRET_KEY": settings.resolved_secret_key()}  # one key, not N racing to create it
        if not settings.redis_url:
            self.embedded = EmbeddedRedis(settings.data_dir, settings.redis_appendfsync)
            self.embedded.start()
            env["LIVE_REDIS_URL"] = self.embedded.url
        if settings.redis_durability == "checked":  # once, here: N workers would each print the refusal
            asyncio.run(_require_durable(env.get("LIVE_REDIS_URL") or settings.redis_url or "", settings))
        return env

    def _worker(self, env: dict[str, str], index: int) -> Child:
        own = {"LIVE_RUN_WORKERS": "false"}
        argv = [sys.executable, *self.command, "--reuse-port"]
        if self.settings.takes_media:
            port = free_port(self.settings.host)
            argv += ["--media-port", str(port)]
            own["LIVE_NODE_URL"] = media_url(self.settings.public_url, port)
        return Child(f"web-{index}", argv, {**env, **own})

    @staticmethod
    def _background(env: dict[str, str]) -> Child:
        return Child("background", [sys.executable, "-m", "live", "worker", "--supervised"],
                         {**env, "LIVE_RUN_WORKERS": "true"})

    def _stop(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def _keep_redis(self) -> None:
        if self.embedded is not None:
            self.embedded.restart_if_died()

    def _keep_children(self) -> int | None:
        """Restart the children that exited; an exit status for the whole when restarting cannot mend it: a
        child refused to serve (a bad setting, an unsafe Redis) or keeps dying at start (a port in use)."""
        now = time.monotonic()
        for child in self.children:
            if not child.exited(now):
                continue
            code = child.process.returncode if child.process else None
            if code == REFUSED:
                return REFUSED
            if not child.restart_due(now):
                continue
            if child.quick_deaths > len(RESTART_BACKOFF_SECONDS):
                log.error("child keeps exiting at start; giving up", extra={"child": child.name})
                return 1
            log.error("child exited; restarting it", extra={"child": child.name, "code": code})
            child.start()
        return None

    def _shutdown(self) -> None:
        for child in self.children:
            child.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        if self.embedded is not None:
            self.embedded.stop()


async def _require_durable(url: str, settings: Settings) -> None:
    client = open_redis(url, settings.redis_cluster, timeout=settings.redis_timeout_seconds)
    try:
        await require_durable(client)
    finally:
        await client.aclose()


async def serve_worker(app: web.Application, settings: Settings, media_port: int | None,
                       access_log: bool = True) -> None:
    """One worker: the shared port (SO_REUSEPORT) and, when it takes media, its own; it stops on SIGTERM or
    SIGINT, or when its parent is gone."""
    logging_options: dict[str, Any] = {"access_log_class": AccessLogger} if access_log else {"access_log": None}
    app.on_startup.append(freeze_on_startup)
    runner = web.AppRunner(app, handle_signals=False, **logging_options)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    orphaned = asyncio.create_task(parent_gone(stop.set), name="parent-watch")
    try:
        await web.TCPSite(runner, settings.host, settings.port, reuse_port=True).start()
        if media_port is not None:
            await web.TCPSite(runner, settings.host, media_port).start()
        await stop.wait()
    finally:
        orphaned.cancel()
        await runner.cleanup()


async def parent_gone(then: Callable[[], None]) -> None:
    """Calls ``then`` once the supervisor that started this process is gone, even if it died while this
    process was still starting (the supervisor names itself in ``LIVE_PARENT_PID``: a parent read at the
    end of start-up would already be init's pid, and never change)."""
    parent = int(os.environ.get(PARENT_PID_ENV) or os.getppid())
    while os.getppid() == parent:  # noqa: ASYNC110 - no event tells a child its parent died; poll
        await asyncio.sleep(POLL_SECONDS * 2)
    log.error("parent process gone; stopping")
    then()
