"""Every shared resource of the app is a typed ``web.AppKey`` opened in a cleanup context (see contexts.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Show
from db.session import Sessionmaker
from live.config import Settings
from live.signals import BroadcastState, Signal

if TYPE_CHECKING:
    from live.auth import TokenService
    from live.rediskeys import RedisKeys
    from streams.registry import MediaRegistry

settings_key = web.AppKey("settings", Settings)
engine_key = web.AppKey("engine", AsyncEngine)
sessionmaker_key = web.AppKey("sessionmaker", Sessionmaker)
redis_key = web.AppKey("redis", Redis)
tokens_key: web.AppKey[TokenService] = web.AppKey("tokens")
redis_keys_key: web.AppKey[RedisKeys] = web.AppKey("redis_keys")
media_key: web.AppKey[MediaRegistry] = web.AppKey("media")  # WebRTC sessions (streams.registry)
# Signals (live.signals): who announces what.
show_changed_key = web.AppKey("show_changed", Signal[Show])  # api/shows after start, end and changes
broadcast_changed_key = web.AppKey("broadcast_changed", Signal[BroadcastState])  # streams: host on/off air
order_changed_key = web.AppKey("order_changed", Signal[dict[str, Any]])  # commerce: an order's public view
