"""A real three-master Redis Cluster of the test's own (three redis-server processes on free ports, appendonly
yes + appendfsync always, joined by ``redis-cli --cluster create``), torn down after the test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.conftest import own_database, redis_binary

__all__ = ["own_database"]  # the fault tests' database of the test alone, for the recovery check

BUS_OFFSET = 10000  # Redis Cluster's node-to-node bus listens on port + 10000
START_TIMEOUT = 20.0


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cluster_ports(count: int) -> list[int]:
    """Free ports whose bus ports are free too."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + BUS_OFFSET < 65536 and port not in ports and _free(port + BUS_OFFSET):
            ports.append(port)
    return ports


class OwnCluster:
    """Three masters (and ``replicas`` replicas of each); ``cli`` runs redis-cli against it."""

    def __init__(self, root: Path, masters: int = 3, replicas: int = 0):
        self.root = root
        self.replicas = replicas
        self.ports = cluster_ports(masters * (1 + replicas))
        self.processes: list[subprocess.Popen[bytes]] = []
        self.binary = redis_binary()
        cli = shutil.which("redis-cli") or str(Path(self.binary).with_name("redis-cli"))
        self.cli_binary = cli

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def start(self) -> None:
        for port in self.ports:
            folder = self.root / str(port)
            folder.mkdir(parents=True)
            self.processes.append(subprocess.Popen(
                [self.binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
                 "--cluster-enabled", "yes", "--cluster-config-file", str(folder / "nodes.conf"),
                 "--cluster-node-timeout", "2000", "--appendonly", "yes", "--appendfsync", "always",
                 "--save", "", "--daemonize", "no", "--logfile", str(folder / "redis.log")],
                stdin=subprocess.DEVNULL))
        for port in self.ports:
            self._wait(lambda p=port: self.cli(p, "PING").strip() == "PONG", "a node to answer")
        nodes = [f"127.0.0.1:{port}" for port in self.ports]
        subprocess.run([self.cli_binary, "--cluster", "create", *nodes, "--cluster-replicas", str(self.replicas),
                        "--cluster-yes"], check=True,
                       capture_output=True, timeout=START_TIMEOUT)
        self._wait(lambda: all("cluster_state:ok" in self.cli(p, "CLUSTER", "INFO") for p in self.ports),
                   "the cluster to be ok")
        if self.replicas:  # a replica that never synced cannot be promoted
            self._wait(lambda: sum(self.cli(p, "INFO", "replication").count("state=online") for p in self.ports)
                       == len(self.ports) - len(self.ports) // (1 + self.replicas), "the replicas to sync")

    def cli(self, port: int, *args: str) -> str:
        done = subprocess.run([self.cli_binary, "-p", str(port), *args], capture_output=True, text=True, check=False,
                              timeout=START_TIMEOUT)
        return done.stdout

    def owner(self, slot: int) -> int:
        """The port of the master that owns ``slot``."""
        for port in self.live_ports():
            if self._owns(port, slot):
                return port
        raise AssertionError(f"no master owns slot {slot}")

    def live_ports(self) -> list[int]:
        return [port for port, process in zip(self.ports, self.processes, strict=True) if process.poll() is None]

    def _owns(self, port: int, slot: int) -> bool:
        myself = self.cli(port, "CLUSTER", "MYID").strip()
        for line in self.cli(port, "CLUSTER", "NODES").splitlines():
            fields = line.split()
            if fields and fields[0] == myself:
                for part in fields[8:]:
                    low, _, high = part.partition("-")
                    if low.isdigit() and int(low) <= slot <= int(high or low):
                        return True
        return False

    def kill9(self, port: int) -> None:
        process = self.processes[self.ports.index(port)]
        process.kill()
        process.wait(10)

    def _wait(self, ready: object, what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready():  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}; logs in {self.root}")
            time.sleep(0.05)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()  # a node already killed by the test is skipped
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[OwnCluster]:
    cluster = OwnCluster(tmp_path / "cluster")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()

