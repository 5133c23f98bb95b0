"""CPU seconds per request, of the server, its children (the embedded Redis) and this client: on a loaded
2-core machine wall-clock rates are noise, CPU spent per request is not."""

from __future__ import annotations

import resource

import psutil


def _process_cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """``start()`` before a load, ``per_request(n)`` after it: milliseconds of CPU per request."""

    def __init__(self, server_pid: int):
        self.server = psutil.Process(server_pid)
        self._marks: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def _children_cpu(self) -> float:
        total = 0.0
        for child in self.server.children(recursive=True):
            try:
                total += _process_cpu(child)
            except psutil.NoSuchProcess:
                continue
        return total

    def _now(self) -> tuple[float, float, float]:
        return _process_cpu(self.server), self._children_cpu(), _own_cpu()

    def start(self) -> None:
        self._marks = self._now()

    def per_request(self, requests: int) -> dict[str, float]:
        now = self._now()
        server, children, client = (b - a for a, b in zip(self._marks, now, strict=True))
        n = max(requests, 1)
        return {"server_cpu_ms_per_request": round(server * 1000 / n, 4),
                "server_children_cpu_ms_per_request": round(children * 1000 / n, 4),
                "client_cpu_ms_per_request": round(client * 1000 / n, 4)}
