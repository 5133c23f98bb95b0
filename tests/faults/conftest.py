"""Services a fault test may break: a redis-server of its own (a free port, its own data folder), never the
machine's. Skipped, with the reason, only when no redis-server binary is installed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.services import Services, create_database, drop_database, migrate_to_head

SYSTEM_REDIS = "/usr/bin/redis-server"


def _redis_binary() -> str | None:
    return SYSTEM_REDIS if os.access(SYSTEM_REDIS, os.X_OK) else shutil.which("redis-server")


def _version(binary: str) -> tuple[int, ...]:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"v=(\d+)\.(\d+)", out)
    return tuple(int(x) for x in match.groups()) if match else (0, 0)


class OwnRedis:
    """A redis-server the test may kill -9, truncate and start again on the same data."""

    def __init__(self, binary: str, data_dir: Path, appendfsync: str = "always", extra: tuple[str, ...] = ()):
        self.binary = binary
        self.dir = data_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.appendfsync = appendfsync
        self.extra = list(extra)
        self.timestamps = _version(binary) >= (7, 0)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        args = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.dir),
                "--appendonly", "yes", "--appendfsync", self.appendfsync, "--save", "", "--daemonize", "no",
                "--logfile", str(self.dir / "redis.log")]
        if self.timestamps:
            args += ["--aof-timestamp-enabled", "yes"]
        args += self.extra
        seen = len(self._log())
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while "Ready to accept connections" not in self._log()[seen:]:  # also for TLS or password servers
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.dir / 'redis.log'}")
            time.sleep(0.02)

    def _log(self) -> str:
        try:
            return (self.dir / "redis.log").read_text()
        except OSError:
            return ""

    def pause(self) -> None:
        """SIGSTOP: the server stalls (a full disk, a stuck fsync, a VM paused), connections stay open."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def truncate_to(self, unix_second: int) -> None:
        """Drop every write after ``unix_second``, as a host crash would drop what was not on disk yet.
        Redis 7's AOF is a folder with a manifest; the newest writes are in the incr file it names."""
        manifest = next(self.dir.glob("**/*.manifest"))
        incr = [line.split()[1] for line in manifest.read_text().splitlines() if line.endswith("type i")]
        target = manifest.parent / incr[-1]
        check_aof = str(Path(self.binary).with_name("redis-check-aof"))
        subprocess.run([check_aof, "--truncate-to-timestamp", str(unix_second), str(target)],
                       check=True, capture_output=True, text=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()


def redis_binary() -> str:
    binary = _redis_binary()
    if binary is None:
        pytest.skip("no redis-server binary installed: the fault tests need one to kill and restart")
    return binary


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    redis = OwnRedis(redis_binary(), tmp_path / "redis")
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[str]:
    """A database of this test alone, so the recovery check (every live show of the database) sees only
    this test's shows."""
    url = create_database("faults", tmp_path)
    asyncio.run(migrate_to_head(url))
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            drop_database(url)


@pytest.fixture
def fault_services(own_redis: OwnRedis, own_database: str) -> Services:
    return Services(redis_url=own_redis.url, database_url=own_database)
