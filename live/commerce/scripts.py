"""The Lua scripts of commerce/lua, and how the hot path runs them (``BatchedScript``, over pipeline.py).

Each script is prefixed with common.lua (shared helpers), so the helpers exist once in the source tree and
every script stays a single atomic EVALSHA.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from live.commerce.pipeline import Command, PipelinedConnection

LUA_DIR = Path(__file__).parent / "lua"


@cache
def lua_source(name: str) -> str:
    return (LUA_DIR / "common.lua").read_text() + "\n" + (LUA_DIR / f"{name}.lua").read_text()


def script(redis: Redis, name: str) -> AsyncScript:
    """An EVALSHA wrapper on redis-py (for the workers) that reloads the script after a NOSCRIPT."""
    return redis.register_script(lua_source(name))


class BatchedScript:
    """``await script(keys, args)`` on the pipelined connection: calls of one loop turn (of every script)
    share one write. Used by the tap path, where redis-py's own work per call would cost more than aiohttp's."""

    def __init__(self, connection: PipelinedConnection, name: str):
        self.connection = connection
        self.source = lua_source(name)
        self.sha = hashlib.sha1(self.source.encode()).hexdigest()

    async def __call__(self, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        command: Command = ["EVALSHA", self.sha, len(keys), *keys, *args]
        try:
            return await self.connection.call(command)
        except NoScriptError:  # Redis restarted or flushed its scripts: load it and try once more
            await self.connection.call(["SCRIPT", "LOAD", self.source])
            return await self.connection.call(command)
