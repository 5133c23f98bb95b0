"""Every shared resource of the app is a typed ``web.AppKey`` opened in a cleanup context (see contexts.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from db.session import Sessionmaker
from live.config import Settings

if TYPE_CHECKING:
    from live.auth import TokenService
    from live.lifecycle import ShowLifecycle
    from live.rediskeys import RedisKeys

settings_key = web.AppKey("settings", Settings)
engine_key = web.AppKey("engine", AsyncEngine)
sessionmaker_key = web.AppKey("sessionmaker", Sessionmaker)
redis_key = web.AppKey("redis", Redis)
tokens_key: web.AppKey[TokenService] = web.AppKey("tokens")
redis_keys_key: web.AppKey[RedisKeys] = web.AppKey("redis_keys")
background_tasks_key = web.AppKey("background_tasks", list[Any])
show_lifecycle_key: web.AppKey[ShowLifecycle] = web.AppKey("show_lifecycle")
