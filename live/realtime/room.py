"""What happens when a socket connects, joins a show (the snapshot), leaves, or disconnects (``RoomDoor``);
plus the app signals the room turns into events."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import socketio
from redis.asyncio import Redis

from db.models import Show
from live import bans, policy
from live.auth import TokenService
from live.limits import Limiter
from live.realtime import cards, chat, engine, presence, protocol
from live.realtime.announce import ShowAnnouncer, room_show
from live.realtime.broadcaster import Broadcaster
from live.realtime.lineup import Lineup, LineupCache
from live.realtime.members import Member, Members, authenticate
from live.realtime.staff import StaffFeed
from live.realtime.ticker import RoomTicker
from live.rediskeys import RedisKeys
from live.signals import BroadcastState

SOCKETS_OF_TTL = 24 * 3600


def audience_here(manager: socketio.AsyncManager, members: Members, show_id: str) -> set[str]:
    """The viewers this process has in the show's room (each once, whatever their sockets), its own host's
    and merchant's sockets left out (a staff socket counts nowhere while it enters or leaves the two rooms)."""
    staff_sids = set(engine.room_members(manager, protocol.NAMESPACE, protocol.staff_room(show_id)))
    visitors = set()
    for sid in engine.room_members(manager, protocol.NAMESPACE, protocol.show_room(show_id)):
        member = members.find(sid)
        if member is not None and sid not in staff_sids:
            visitors.add(member.visitor_id)
    return visitors


class RoomDoor:
    """Sockets in and out of this process's show rooms: each step keeps the room, the audience count, the
    staff room and the per-user socket sets in Redis in step."""

    def __init__(self, redis: Redis, redis_keys: RedisKeys, sio: socketio.AsyncServer, members: Members,
                 tokens: TokenService, limiter: Limiter, public_origins: frozenset[str], lineups: LineupCache,
                 ticker: RoomTicker, staff: StaffFeed):
        """``public_origins``: LIVE_PUBLIC_URL's, our pages behind a proxy."""
        self.redis, self.redis_keys, self.sio, self.members = redis, redis_keys, sio, members
        self.tokens, self.limiter, self.public_origins = tokens, limiter, public_origins
        self.lineups, self.ticker, self.staff = lineups, ticker, staff

    async def connect(self, sid: str, environ: Mapping[str, Any], auth: Any) -> Member:
        """Sockets are limited per client address (generously: many phones share one) and per account or
        device."""
        request = environ.get("aiohttp.request")
        address = self.limiter.address(request.remote if request is not None else None,
                                       environ.get("HTTP_X_FORWARDED_FOR"))
        member = authenticate(self.tokens, environ, auth, sid, address, self.public_origins)
        await self.limiter.hit("sockets_per_address", address, message="too many connections from here")
        if member.identified:
            await self.limiter.hit("sockets_per_visitor", member.visitor_id, message="too many connections")
        self.members.add(member)
        if member.user_id:
            await self.sio.enter_room(sid, protocol.user_room(member.user_id), namespace=protocol.NAMESPACE)
        return member

    async def disconnect(self, sid: str) -> None:
        """socket.io takes a disconnected socket out of every room itself (a leave_room now would be sent to
        the other processes, since the socket no longer counts as connected here)."""
        member = self.members.remove(sid)
        if member is not None and member.show_id:
            await self._left_audience(member, member.show_id)
            await self.redis.hdel(self.redis_keys.show(member.show_id).staff_hosts, sid)
            if member.user_id:
                await self.redis.srem(self.redis_keys.show(member.show_id).sockets_of(member.user_id), sid)

    async def _left_audience(self, member: Member, show_id: str) -> None:
        """The visitor's last socket here left: out of the count now (a socket elsewhere puts them back)."""
        if self.members.unwatch(show_id, member.visitor_id):
            await self.redis.zrem(self.redis_keys.show(show_id).audience, member.visitor_id)

    async def leave(self, member: Member) -> None:
        show_id, member.show_id = member.show_id, None
        if show_id is None:
            return
        await self.sio.leave_room(member.sid, protocol.show_room(show_id), namespace=protocol.NAMESPACE)
        await self.staff.leave(member.sid, show_id)
        await self._left_audience(member, show_id)
        if member.user_id:
            await self.redis.srem(self.redis_keys.show(show_id).sockets_of(member.user_id), member.sid)

    async def join(self, member: Member, show_id: str, device_id: str | None = None,
                   sources: Sequence[str] = ()) -> dict[str, Any]:
        """Enter the show's room, then read the snapshot: anything sent after entering is either in the
        snapshot or arrives after it, so a (re)joining client never shows a stale screen."""
        if device_id and member.device_id is None and member.show_id is None:
            member.device_id = device_id  # the page's id, sent with its first join
        if member.identified:
            await self.limiter.hit("joins_per_visitor", member.visitor_id, message="too many joins: slow down")
        else:
            await self.limiter.hit("joins_per_address", member.address, message="too many joins from here")
        show_keys = self.redis_keys.show(show_id)
        user_id = member.user_id
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(show_keys.room, "rev")
            bans.ask_banned(pipe, show_keys, user_id)
            rev, banned = await pipe.execute()
        policy.refuse_banned(banned)
        lineup = await self.lineups.get(show_id, rev)  # NotFound for an unknown show
        rejoin = member.show_id == show_id
        if member.show_id not in (None, show_id):
            await self.leave(member)
        staff_member = policy.is_staff(member.principal, lineup.show)
        # Staff first: never counted as audience; and no order change falls before the counters below.
        if staff_member:
            owner = member.principal is not None and policy.owns(member.principal, lineup.show.merchant_id)
            await self.staff.enter_room(member.sid, show_id, None if owner else user_id)
        await self.sio.enter_room(member.sid, protocol.show_room(show_id), namespace=protocol.NAMESPACE)
        member.show_id = show_id
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(show_keys.room)
            pipe.lrange(show_keys.chat, 0, chat.TAIL - 1)
            pipe.hgetall(show_keys.stock)
            bans.ask_muted(pipe, show_keys, user_id)
            if staff_member:  # the host and merchant are not the audience
                pipe.zcount(show_keys.audience, now_ms, "+inf")
            else:
                if not rejoin:
                    self.members.watch(show_id, member.visitor_id)
                presence.queue_arrival(pipe, show_keys, member.visitor_id, now_ms)
                pipe.pfadd(show_keys.uniques, member.visitor_id)
            viewers_at = len(pipe) - (1 if staff_member else 2)
            if not staff_member:
                for label in sources:  # viewer counts by source (live.reach.reports)
                    pipe.sadd(show_keys.sources, label)
                    pipe.pfadd(show_keys.source_uniques(label), member.visitor_id)
            if user_id:
                pipe.sadd(show_keys.sockets_of(user_id), member.sid)
                pipe.expire(show_keys.sockets_of(user_id), SOCKETS_OF_TTL)
            results = await pipe.execute()
        room_hash, tail, counters, muted = results[:4]
        if room_hash.get("rev") != lineup.rev:
            lineup = await self.lineups.get(show_id, room_hash.get("rev"))
        result = self.snapshot(member, lineup, room_hash, tail, counters, int(results[viewers_at]), bool(muted))
        self.ticker.joined(show_id)
        if staff_member:  # counters and the newest orders, then their live updates (staff only)
            result["staff"] = (await self.staff.overview(lineup)).model_dump(mode="json")
        return result

    def snapshot(self, member: Member, lineup: Lineup, room_hash: Mapping[str, str], tail: list[str],
                 counters: Mapping[str, str], viewers: int, muted: bool) -> dict[str, Any]:
        show = lineup.show
        if show.state == "scheduled":
            stock = {o.id: o.stock for o in lineup.offers}
        else:
            stock = self.ticker.stock_sent(show.id) or {o.id: int(counters.get(o.id, 0)) for o in lineup.offers}
        state = cards.CardState.from_json(room_hash.get("card"))
        offer = lineup.offer(state.offer_id) if state else None
        card = None
        if state and offer:
            card = cards.render(offer, state, show.state, stock.get(offer.id, 0), datetime.now(UTC))
        principal = member.principal
        return {
            "show": room_show(lineup, room_hash).model_dump(mode="json"),
            "offers": [o.model_copy(update={"remaining": stock.get(o.id, 0)}).model_dump(mode="json")
                       for o in lineup.offers],
            "card": card.model_dump(mode="json") if card else None,
            "stock": stock,
            "viewers": viewers,
            "chat": chat.decode_tail(tail),
            "answering": json.loads(room_hash["answering"]) if room_hash.get("answering") else None,
            "you": {
                "user_id": member.user_id, "display_name": member.display_name,
                "role": principal.role if principal else "anonymous", "staff": policy.is_staff(principal, show),
                "muted": muted, "can_chat": principal is not None and not muted,
            },
        }


# App signals -> events.
async def on_show_changed(staff: StaffFeed, announcer: ShowAnnouncer, show: Show) -> None:
    await staff.drop_former_hosts(show.id, show.host_id)
    await announcer.announce(show.id)


async def on_broadcast_changed(redis: Redis, redis_keys: RedisKeys, announcer: ShowAnnouncer,
                               state: BroadcastState) -> None:
    await redis.hset(redis_keys.show(state.show_id).room, "paused", "0" if state.on_air else "1")
    await announcer.announce(state.show_id)


async def on_orders_changed(broadcaster: Broadcaster, staff: StaffFeed, orders: list[dict[str, Any]]) -> None:
    """The buyer hears of changes after the reservation (its HTTP answer told them of that); staff of all."""
    await broadcaster.orders([order for order in orders if order["status"] != "reserved"])
    for order in orders:
        staff.order_changed(order)
