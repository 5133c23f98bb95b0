"""CPU milliseconds per request of the server, of its Redis and of this client: on a loaded 2-core machine
wall-clock rates are noise, the CPU spent per request much less so."""

from __future__ import annotations

import resource

import psutil


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return float(times.user + times.system)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _is_redis(process: psutil.Process) -> bool:
    try:
        return process.name().startswith("redis-server")
    except psutil.NoSuchProcess:
        return False


class CpuMeter:
    """``start()`` before a load, ``per_request(n)`` after it. The server is its process and its children
    (``--workers N``: the web workers and the background one); Redis is ``redis_pid``, or else the server's
    embedded redis-server. Children are summed at each mark: none is replaced during a bench."""

    def __init__(self, server_pid: int, redis_pid: int | None = None):
        self.server = psutil.Process(server_pid)
        self.redis = psutil.Process(redis_pid) if redis_pid else None
        self._marks: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def _now(self) -> tuple[float, float, float]:
        children = self.server.children(recursive=True)
        redis = [self.redis] if self.redis is not None else [c for c in children if _is_redis(c)]
        server = [self.server, *(c for c in children if not _is_redis(c))]
        return sum(map(_cpu, server)), sum(map(_cpu, redis)), _own_cpu()

    def start(self) -> None:
        self._marks = self._now()

    def per_request(self, requests: int) -> dict[str, float]:
        server, redis, client = (after - before for before, after in zip(self._marks, self._now(), strict=True))
        n = max(requests, 1)
        return {"server_cpu_ms_per_request": round(server * 1000 / n, 4),
                "redis_cpu_ms_per_request": round(redis * 1000 / n, 4),
                "client_cpu_ms_per_request": round(client * 1000 / n, 4)}
