"""Every shared resource of the app is a typed ``web.AppKey`` opened in a cleanup context (see contexts.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import socketio
from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Show
from db.session import Sessionmaker
from live.config import Settings
from live.signals import BroadcastState, Signal

if TYPE_CHECKING:
    from live.auth import TokenService
    from live.commerce.orders import OrderDesk
    from live.commerce.payments import PaymentService
    from live.limits import Limiter
    from live.placement import ThisNode
    from live.realtime.audience import Audience
    from live.realtime.broadcaster import Broadcaster
    from live.realtime.chat import BlockedWords
    from live.realtime.chat_questions import ChatQuestions
    from live.realtime.host import HostActions
    from live.realtime.lineup import LineupCache
    from live.realtime.listener import ListenerWatch
    from live.realtime.staff import StaffFeed
    from live.rediskeys import RedisKeys
    from streams.registry import MediaRegistry
    from streams.settings import MediaSettings

settings_key = web.AppKey("settings", Settings)
engine_key = web.AppKey("engine", AsyncEngine)
sessionmaker_key = web.AppKey("sessionmaker", Sessionmaker)
redis_key = web.AppKey("redis", Redis)
redis_url_key = web.AppKey("redis_url", str)  # the configured URL, or the embedded server's socket
tokens_key: web.AppKey[TokenService] = web.AppKey("tokens")
redis_keys_key: web.AppKey[RedisKeys] = web.AppKey("redis_keys")
order_desk_key: web.AppKey[OrderDesk] = web.AppKey("order_desk")
payment_service_key: web.AppKey[PaymentService] = web.AppKey("payment_service")
media_key: web.AppKey[MediaRegistry] = web.AppKey("media")  # WebRTC sessions (streams.registry)
# Signals (live.signals): who announces what.
show_changed_key = web.AppKey("show_changed", Signal[Show])  # api/shows after start, end and changes
broadcast_changed_key = web.AppKey("broadcast_changed", Signal[BroadcastState])  # streams: host on/off air
orders_changed_key = web.AppKey("orders_changed", Signal[list[dict[str, Any]]])  # commerce: orders' public views
review_changed_key = web.AppKey("review_changed", Signal[str])  # community: a product's reviews changed (its id)
# The show room (live.realtime): the socket.io server, and the room's state that HTTP handlers act on.
sio_key = web.AppKey("sio", socketio.AsyncServer)
broadcaster_key: web.AppKey[Broadcaster] = web.AppKey("broadcaster")  # events to the show's sockets
host_actions_key: web.AppKey[HostActions] = web.AppKey("host_actions")
audience_key: web.AppKey[Audience] = web.AppKey("audience")  # viewers' chat and reactions
chat_questions_key: web.AppKey[ChatQuestions] = web.AppKey("chat_questions")
blocked_words_key: web.AppKey[BlockedWords] = web.AppKey("blocked_words")
staff_feed_key: web.AppKey[StaffFeed] = web.AppKey("staff_feed")
lineups_key: web.AppKey[LineupCache] = web.AppKey("lineups")
limiter_key: web.AppKey[Limiter] = web.AppKey("limiter")  # abuse limits (live.limits)
# Beyond one process: this node's id, placement and media tickets (live.placement).
this_node_key: web.AppKey[ThisNode] = web.AppKey("this_node")
media_settings_key: web.AppKey[MediaSettings] = web.AppKey("media_settings")  # what streams/ is told
sio_listener_key: web.AppKey[ListenerWatch] = web.AppKey("sio_listener")  # watches the socket.io Redis listener
