"""The room's shared state in one process (``Room``), and what happens when a socket connects, joins a show
(the snapshot), leaves, or disconnects; plus the app signals the room turns into events."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import socketio
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Show
from db.session import Sessionmaker
from live import bans, policy
from live.auth import TokenService
from live.community.badges import BadgeBook
from live.limits import Limiter
from live.realtime import cards, chat, engine, presence, staff
from live.realtime import protocol as p
from live.realtime.broadcaster import Broadcaster
from live.realtime.chat import BlockedWords
from live.realtime.lineup import Lineup, LineupCache
from live.realtime.members import Member, Members, authenticate
from live.realtime.reactions import ReactionCounter
from live.realtime.ticker import RoomTicker
from live.rediskeys import RedisKeys
from live.schemas.room import RoomShow
from live.signals import BroadcastState

SOCKETS_OF_TTL = 24 * 3600


@dataclass
class Room:
    sessionmaker: Sessionmaker
    redis: Redis
    rk: RedisKeys
    tokens: TokenService
    sio: socketio.AsyncServer
    broadcaster: Broadcaster
    members: Members
    lineups: LineupCache
    blocked: BlockedWords
    counter: ReactionCounter
    ticker: RoomTicker
    limiter: Limiter
    public_origins: frozenset[str]  # LIVE_PUBLIC_URL's: our pages behind a proxy
    staff: staff.StaffFeed = field(default_factory=staff.StaffFeed)
    badges: BadgeBook = field(init=False)

    def __post_init__(self) -> None:
        self.badges = BadgeBook(self.sessionmaker)

    def session(self) -> AsyncSession:
        return self.sessionmaker()

    def in_show(self, member: Member, show_id: str) -> bool:
        """The socket is in the show's room (a ban from any process takes it out)."""
        return member.show_id == show_id and engine.in_room(self.sio.manager, p.NAMESPACE, member.sid,
                                                            p.show_room(show_id))


def audience_here(manager: socketio.AsyncManager, members: Members, show_id: str) -> set[str]:
    """The viewers this process has in the show's room (each once, whatever their sockets), its own host's
    and merchant's sockets left out (a staff socket counts nowhere while it enters or leaves the two rooms)."""
    staff_sids = set(engine.room_members(manager, p.NAMESPACE, staff.staff_room(show_id)))
    visitors = set()
    for sid in engine.room_members(manager, p.NAMESPACE, p.show_room(show_id)):
        member = members.find(sid)
        if member is not None and sid not in staff_sids:
            visitors.add(member.visitor_id)
    return visitors


def room_show(lineup: Lineup, room_hash: Mapping[str, str]) -> RoomShow:
    show = lineup.show
    return RoomShow(
        id=show.id, merchant_id=show.merchant_id, title=show.title, description=show.description,
        state=show.state, started_at=show.started_at, ended_at=show.ended_at, host=lineup.host,
        slow_mode_seconds=show.slow_mode_seconds, paused=room_hash.get("paused") == "1",
    )


async def connect(room: Room, sid: str, environ: Mapping[str, Any], auth: Any) -> Member:
    """Sockets are limited per client address (generously: many phones share one) and per account or device."""
    request = environ.get("aiohttp.request")
    address = room.limiter.address(request.remote if request is not None else None,
                                   environ.get("HTTP_X_FORWARDED_FOR"))
    member = authenticate(room.tokens, environ, auth, sid, address, room.public_origins)
    await room.limiter.hit("sockets_per_address", address, message="too many connections from here")
    if member.identified:
        await room.limiter.hit("sockets_per_visitor", member.visitor_id, message="too many connections")
    room.members.add(member)
    if member.user_id:
        await room.sio.enter_room(sid, p.user_room(member.user_id), namespace=p.NAMESPACE)
    return member


async def disconnect(room: Room, sid: str) -> None:
    """socket.io takes a disconnected socket out of every room itself (a leave_room now would be sent to
    the other processes, since the socket no longer counts as connected here)."""
    member = room.members.remove(sid)
    if member is not None and member.show_id:
        await _left_audience(room, member, member.show_id)
        await room.redis.hdel(room.rk.show(member.show_id).staff_hosts, sid)
        if member.user_id:
            await room.redis.srem(room.rk.show(member.show_id).sockets_of(member.user_id), sid)


async def _left_audience(room: Room, member: Member, show_id: str) -> None:
    """The visitor's last socket here left: out of the count now (a socket elsewhere puts them back)."""
    if room.members.unwatch(show_id, member.visitor_id):
        await room.redis.zrem(room.rk.show(show_id).audience, member.visitor_id)


async def leave(room: Room, member: Member) -> None:
    show_id, member.show_id = member.show_id, None
    if show_id is None:
        return
    await room.sio.leave_room(member.sid, p.show_room(show_id), namespace=p.NAMESPACE)
    await staff.leave(room, member.sid, show_id)
    await _left_audience(room, member, show_id)
    if member.user_id:
        await room.redis.srem(room.rk.show(show_id).sockets_of(member.user_id), member.sid)


async def join(room: Room, member: Member, show_id: str, device_id: str | None = None,
               sources: Sequence[str] = ()) -> dict[str, Any]:
    """Enter the show's room, then read the snapshot: anything sent after entering is either in the snapshot
    or arrives after it, so a (re)joining client never shows a stale screen."""
    if device_id and member.device_id is None and member.show_id is None:
        member.device_id = device_id  # the page's id, sent with its first join
    if member.identified:
        await room.limiter.hit("joins_per_visitor", member.visitor_id, message="too many joins: slow down")
    else:
        await room.limiter.hit("joins_per_address", member.address, message="too many joins from here")
    sk = room.rk.show(show_id)
    user_id = member.user_id
    async with room.redis.pipeline(transaction=False) as pipe:
        pipe.hget(sk.room, "rev")
        bans.ask_banned(pipe, sk, user_id)
        rev, banned = await pipe.execute()
    policy.refuse_banned(banned)
    lineup = await room.lineups.get(show_id, rev)  # NotFound for an unknown show
    rejoin = member.show_id == show_id
    if member.show_id not in (None, show_id):
        await leave(room, member)
    staff_member = policy.is_staff(member.principal, lineup.show)
    if staff_member:  # first: never counted as audience; and no order change falls before the counters below
        owner = member.principal is not None and policy.owns(member.principal, lineup.show.merchant_id)
        await staff.enter_room(room, member.sid, show_id, None if owner else user_id)
    await room.sio.enter_room(member.sid, p.show_room(show_id), namespace=p.NAMESPACE)
    member.show_id = show_id
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    async with room.redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(sk.room)
        pipe.lrange(sk.chat, 0, chat.TAIL - 1)
        pipe.hgetall(sk.stock)
        bans.ask_muted(pipe, sk, user_id)
        if staff_member:  # the host and merchant are not the audience
            pipe.zcount(sk.audience, now_ms, "+inf")
        else:
            if not rejoin:
                room.members.watch(show_id, member.visitor_id)
            presence.queue_arrival(pipe, sk, member.visitor_id, now_ms)
            pipe.pfadd(sk.uniques, member.visitor_id)
        viewers_at = len(pipe) - (1 if staff_member else 2)
        if not staff_member:
            for label in sources:  # viewer counts by source (live.reach.reports)
                pipe.sadd(sk.sources, label)
                pipe.pfadd(sk.source_uniques(label), member.visitor_id)
        if user_id:
            pipe.sadd(sk.sockets_of(user_id), member.sid)
            pipe.expire(sk.sockets_of(user_id), SOCKETS_OF_TTL)
        results = await pipe.execute()
    room_hash, tail, counters, muted = results[:4]
    if room_hash.get("rev") != lineup.rev:
        lineup = await room.lineups.get(show_id, room_hash.get("rev"))
    result = snapshot(room, member, lineup, room_hash, tail, counters, int(results[viewers_at]), bool(muted))
    room.ticker.joined(show_id)
    if staff_member:  # counters and the newest orders, then their live updates (staff only)
        result["staff"] = (await staff.overview(room, lineup)).model_dump(mode="json")
    return result


def snapshot(room: Room, member: Member, lineup: Lineup, room_hash: Mapping[str, str], tail: list[str],
             counters: Mapping[str, str], viewers: int, muted: bool) -> dict[str, Any]:
    show = lineup.show
    if show.state == "scheduled":
        stock = {o.id: o.stock for o in lineup.offers}
    else:
        stock = room.ticker.stock_sent(show.id) or {o.id: int(counters.get(o.id, 0)) for o in lineup.offers}
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


async def announce_show(room: Room, show_id: str) -> None:
    """Send the show as it is now (after a change): the room's revision is bumped so every process reloads."""
    sk = room.rk.show(show_id)
    await cards.bump_rev(room.redis, sk)
    room_hash: dict[str, str] = await room.redis.hgetall(sk.room)  # type: ignore[assignment]
    show = room_show(await room.lineups.get(show_id, room_hash.get("rev")), room_hash)
    await room.broadcaster.show(show.model_dump(mode="json"))


# App signals -> events.
async def on_show_changed(room: Room, show: Show) -> None:
    await staff.drop_former_hosts(room, show.id, show.host_id)
    await announce_show(room, show.id)


async def on_broadcast_changed(room: Room, state: BroadcastState) -> None:
    await room.redis.hset(room.rk.show(state.show_id).room, "paused", "0" if state.on_air else "1")
    await announce_show(room, state.show_id)


async def on_order_changed(room: Room, order: dict[str, Any]) -> None:
    """The buyer hears of changes after the reservation (its HTTP answer told them of that); staff of all."""
    if order["status"] != "reserved":
        await room.broadcaster.order(order)
    staff.on_order_changed(room, order)
