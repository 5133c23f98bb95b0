"""The Lua scripts of commerce/lua. Each is prefixed with common.lua (shared helpers), so the helpers
exist once in the source tree and every script stays a single atomic EVALSHA."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

LUA_DIR = Path(__file__).parent / "lua"


@cache
def lua_source(name: str) -> str:
    return (LUA_DIR / "common.lua").read_text() + "\n" + (LUA_DIR / f"{name}.lua").read_text()


def script(redis: Redis, name: str) -> AsyncScript:
    """An EVALSHA wrapper that reloads the script after a NOSCRIPT (e.g. a Redis restart)."""
    return redis.register_script(lua_source(name))
