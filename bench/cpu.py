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


class CpuMeter:
    """``start()`` before a load, ``per_request(n)`` after it. Redis is ``redis_pid``, or else the server's
    children (the embedded redis-server)."""

    def __init__(self, server_pid: int, redis_pid: int | None = None):
        self.server = psutil.Process(server_pid)
        self.redis = psutil.Process(redis_pid) if redis_pid else None
        self._marks: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def _redis_cpu(self) -> float:
        if self.redis is not None:
            return _cpu(self.redis)
        return sum(_cpu(child) for child in self.server.children(recursive=True))

    def _now(self) -> tuple[float, float, float]:
        return _cpu(self.server), self._redis_cpu(), _own_cpu()

    def start(self) -> None:
        self._marks = self._now()

    def per_request(self, requests: int) -> dict[str, float]:
        server, redis, client = (after - before for before, after in zip(self._marks, self._now(), strict=True))
        n = max(requests, 1)
        return {"server_cpu_ms_per_request": round(server * 1000 / n, 4),
                "redis_cpu_ms_per_request": round(redis * 1000 / n, 4),
                "client_cpu_ms_per_request": round(client * 1000 / n, 4)}
