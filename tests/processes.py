"""Real server processes for tests that need more than the in-process test client: crashes, several
processes sharing Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import free_port
from tests.conftest import SUITE_LOAD_LIMITS, delete_prefixed
from tests.helpers import Actor, Api
from tests.services import Services


def server_env(services: Services, data_dir: Path, prefix: str, secret: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")}
    env.update(
        LIVE_DATABASE_URL=services.database_url, LIVE_REDIS_URL=services.redis_url, LIVE_REDIS_PREFIX=prefix,
        LIVE_SECRET_KEY=secret, LIVE_DATA_DIR=str(data_dir), LIVE_LOG_LEVEL="WARNING",
        LIVE_REDIS_DURABILITY="unsafe", LIVE_REDIS_RECOVERY="false",
        **{f"LIVE_{name.upper()}": value for name, value in SUITE_LOAD_LIMITS.items()}, **extra,
    )
    return env


@dataclass
class ServerProcess:
    """``python -m live serve`` on a port (``workers`` web processes on it), started and stopped (or killed,
    with all its workers) by the test."""

    env: dict[str, str]
    port: int
    command: list[str] = field(default_factory=lambda: ["-m", "live", "serve"])  # after the interpreter
    workers: int = 1
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float | None = None) -> ServerProcess:
        env = {**self.env, "LIVE_PORT": str(self.port), "LIVE_WEB_WORKERS": str(self.workers),
               "LIVE_PUBLIC_URL": self.env.get("LIVE_PUBLIC_URL", f"http://127.0.0.1:{self.port}")}
        self.process = subprocess.Popen([sys.executable, *self.command], env=env, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + (timeout or 30.0 * self.workers)  # each worker imports and opens the app
        answered: set[int] = set()
        while True:
            try:  # a fresh connection each time, so every worker that listens gets its turn
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    answered.add(json.load(response)["pid"])
                if len(answered) >= self.workers:
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}") from None
                if time.monotonic() > deadline:
                    raise TimeoutError("server did not become healthy") from None
                time.sleep(0.1)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(answered)} of {self.workers} workers became healthy")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL to the server and its workers: no cleanup, no flush, like a crash or an OOM kill."""
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def _children(self, flag: bytes) -> list[int]:
        """The supervising parent's children whose command line carries ``flag``, when ``workers`` > 1."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children if flag in Path(f"/proc/{pid}/cmdline").read_bytes()]

    def worker_pids(self) -> list[int]:
        """The web workers' pids."""
        return self._children(b"--reuse-port")

    def background_pid(self) -> int | None:
        """The supervised ``live worker`` child's pid (the background workers)."""
        return next(iter(self._children(b"--supervised")), None)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


class RemoteClient:
    """What ``tests.helpers.Api`` needs of a client, over a real HTTP session to a server process."""

    def __init__(self, session: aiohttp.ClientSession):
        self.session = session

    def request(self, method: str, path: str, **kw: Any) -> Any:
        return self.session.request(method, path, **kw)


def new_prefix() -> str:
    return f"t{secrets.token_hex(4)}:"


@contextlib.contextmanager
def serving(services: Services, data_dir: Path, secret_tag: str, workers: int = 1, start_timeout: float | None = None,
            **extra: str) -> Iterator[tuple[ServerProcess, str]]:
    """A server process of ``workers`` web processes on the suite's services under a fresh key prefix, stopped
    and its keys deleted afterwards. Yields (server, prefix)."""
    prefix = new_prefix()
    env = server_env(services, data_dir, prefix, secret_tag + secrets.token_hex(16), **extra)
    server = ServerProcess(env, free_port(), workers=workers).start(start_timeout)
    try:
        yield server, prefix
    finally:
        server.stop()
        asyncio.run(delete_prefixed(services.redis_url, prefix))


async def started_show(url: str) -> tuple[dict[str, Any], Actor]:
    """A new merchant's show with its own host, started, on the server at ``url``: (show, host)."""
    async with aiohttp.ClientSession(base_url=url) as session:
        api = Api(RemoteClient(session))  # type: ignore[arg-type]
        owner = await api.merchant()
        host = await api.host(owner)
        show = await api.show(owner, host)
        await api.call("POST", f"/api/shows/{show['id']}/start", host, expect=200)
    return show, host
