"""A PostgreSQL cluster of a fault test's own (initdb + pg_ctl in a temp dir, on a free port, listening on
127.0.0.1 only), which the test may stop and start at will: the machine's own PostgreSQL is never touched.

initdb refuses to run as root, so as root the cluster runs as ``nobody`` (``runuser``), in a folder it owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port

UNPRIVILEGED_USER = "nobody"


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class PgCluster:
    def __init__(self, bin_dir: Path, base: Path, port: int):
        self.bin_dir, self.base, self.port = bin_dir, base, port
        self.data = base / "data"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", UNPRIVILEGED_USER, "--", *command]
        subprocess.run(command, check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "log"), "-w", "-t", "60",
                  "-o", options, "start")

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, new ones refused, as in an outage."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def log(self) -> str:
        path = self.base / "log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@pytest.fixture
def pg_cluster() -> Iterator[PgCluster]:
    bin_dir = postgres_bin()
    if bin_dir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) or runuser are missing")
    base = Path(tempfile.mkdtemp(prefix="live-pg-"))
    base.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(base, UNPRIVILEGED_USER)
    cluster = PgCluster(bin_dir, base, free_port())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(base, ignore_errors=True)
