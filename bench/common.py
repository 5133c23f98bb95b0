"""Small pieces every benchmark needs."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import socket
import subprocess
import time

import aiohttp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """SIGTERM (the server drains and closes cleanly), SIGKILL if it takes longer than ``timeout``."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def wait_healthy(base: str, proc: subprocess.Popen[bytes] | mp.process.BaseProcess, timeout: float = 60
                       ) -> None:
    """Until ``base``/healthz answers 200; an error if the server process exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            alive = proc.poll() is None if isinstance(proc, subprocess.Popen) else proc.is_alive()
            if not alive:
                raise RuntimeError("the server exited during start-up")
            await asyncio.sleep(0.2)
    raise RuntimeError("the server did not become healthy")
