"""The Lua scripts of commerce/lua, loaded once per Redis client."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

LUA_DIR = Path(__file__).parent / "lua"


@cache
def lua_source(name: str) -> str:
    return (LUA_DIR / f"{name}.lua").read_text()


def script(redis: Redis, name: str) -> AsyncScript:
    """An EVALSHA wrapper that reloads the script after a NOSCRIPT (e.g. a Redis restart)."""
    return redis.register_script(lua_source(name))
