"""Names of every Redis key. A show's keys share the hash tag ``{show:<id>}`` so they live on one Redis
Cluster slot and one Lua script may touch them all; a configurable prefix isolates deployments and tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class ShowKeys:
    """Keys of one show. ``base`` is ``<prefix>{show:<id>}``."""

    base: str

    @property
    def state(self) -> str:
        """String: the show's state as the tap path sees it (``live`` or absent)."""
        return f"{self.base}:state"

    @property
    def loaded(self) -> str:
        """String: set when the show's stock was loaded and kept after it ends. A show SQL calls live without
        it is a show this Redis has lost (see commerce/recovery.py)."""
        return f"{self.base}:loaded"

    @property
    def stock(self) -> str:
        """Hash offer_id -> remaining units."""
        return f"{self.base}:stock"

    def offer(self, offer_id: str) -> str:
        """Hash of one offer's sale terms: price_cents, currency, limit, open, starts_ms, ends_ms."""
        return f"{self.base}:offer:{offer_id}"

    @property
    def bought(self) -> str:
        """Hash ``<offer_id>:<buyer_id>`` -> units the buyer holds (reserved or paid) of that offer."""
        return f"{self.base}:bought"

    @property
    def idempotency(self) -> str:
        """Hash ``<buyer_id>:<key>`` -> order id."""
        return f"{self.base}:idem"

    @property
    def orders(self) -> str:
        """Hash order_id -> the order as JSON (its current status included)."""
        return f"{self.base}:orders"

    @property
    def deadlines(self) -> str:
        """Sorted set of reserved order ids scored by their expiry (ms since epoch)."""
        return f"{self.base}:deadlines"

    @property
    def stream(self) -> str:
        """Stream of order events (created, paid, payment_failed, expired) for the workers."""
        return f"{self.base}:stream"

    @property
    def tap_keys(self) -> tuple[str, ...]:
        """KEYS 3-9 of reserve.lua (after state and the offer's terms), in their order."""
        return (self.stock, self.bought, self.idempotency, self.orders, self.deadlines, self.stream, self.banned)

    def tap_pace(self, buyer_id: str) -> str:
        """KEY 10 of reserve.lua: the buyer's taps in the current window (LIVE_LIMIT_TAPS_PER_BUYER)."""
        return f"{self.base}:pace:{buyer_id}"

    def release_keys(self) -> list[str]:
        """KEYS of release.lua and expire_due.lua, in their order."""
        return [self.state, self.stock, self.bought, self.orders, self.deadlines, self.stream, self.returned]

    def rebuild_keys(self) -> list[str]:
        """KEYS of rebuild.lua, in their order."""
        return [self.state, self.stock, self.bought, self.idempotency, self.orders, self.deadlines, self.loaded]

    def ended_keys(self, offer_ids: list[str]) -> list[str]:
        """The keys an ended show leaves behind (given a TTL once everything is in SQL)."""
        return [self.loaded, self.stock, self.bought, self.idempotency, self.orders, self.deadlines, self.stream,
                self.returned, self.room, self.chat, self.muted, self.banned, self.audience, self.staff_hosts,
                self.uniques, self.sources,
                *(self.offer(offer_id) for offer_id in offer_ids)]

    @property
    def returned(self) -> str:
        """Hash offer_id -> units returned to inventory after the show ended (late expiries)."""
        return f"{self.base}:returned"

    @property
    def copy(self) -> str:
        """String: the show's last good copy from SQL as JSON (served while the database is away)."""
        return f"{self.base}:copy"

    # The live room (live.realtime).
    @property
    def room(self) -> str:
        """Hash: ``card`` (the current card as JSON), ``paused`` (1 while the host's video is off air) and
        ``rev`` (bumped on every change a join snapshot caches)."""
        return f"{self.base}:room"

    @property
    def chat(self) -> str:
        """List of the newest chat messages as JSON, newest first (at most 50)."""
        return f"{self.base}:chat"

    def chat_slow(self, user_id: str) -> str:
        """String with a TTL: present while the user must wait before chatting again."""
        return f"{self.base}:chat_slow:{user_id}"

    @property
    def muted(self) -> str:
        """Set of user ids muted in this show (may watch, not chat)."""
        return f"{self.base}:muted"

    @property
    def banned(self) -> str:
        """Set of user ids banned from this show (may not join or chat)."""
        return f"{self.base}:banned"

    def sockets_of(self, user_id: str) -> str:
        """Set of socket.io sids through which the user is in the show room (any process)."""
        return f"{self.base}:sids:{user_id}"

    @property
    def staff_hosts(self) -> str:
        """Hash sid -> host user id of the host sockets in the staff room (a host taken off the show leaves)."""
        return f"{self.base}:staff_hosts"

    @property
    def audience(self) -> str:
        """Sorted set visitor (account, device or address) -> expiry ms: the viewer count is its size."""
        return f"{self.base}:audience"

    @property
    def uniques(self) -> str:
        """HyperLogLog of everyone who joined (accounts; devices or addresses for anonymous watchers)."""
        return f"{self.base}:uniques"

    @property
    def sources(self) -> str:
        """Set of the attribution sources viewers joined from (live.reach.attribution.source_labels)."""
        return f"{self.base}:sources"

    def source_uniques(self, label: str) -> str:
        """HyperLogLog of the viewers who joined from one source."""
        return f"{self.base}:uniques:{label}"

    def reactions(self, second: int) -> str:
        """Hash kind -> count of the reactions received in one epoch second, summed over processes."""
        return f"{self.base}:reactions:{second}"

    # Media nodes (live.placement).
    @property
    def media_origin(self) -> str:
        """String: the id of the media node that is the show's origin (takes its host)."""
        return f"{self.base}:media_origin"

    @property
    def media_tickets(self) -> str:
        """Prefix of strings ``<prefix>:<ticket id>`` with a TTL: media tickets already used."""
        return f"{self.base}:media_ticket"


@dataclass(frozen=True)
class RedisKeys:
    prefix: str = ""

    def show(self, show_id: str) -> ShowKeys:
        return _show_keys(self.prefix, show_id)

    @property
    def active_shows(self) -> str:
        """Set of show ids whose order streams the workers read."""
        return f"{self.prefix}live:active_shows"

    @property
    def payments_stream(self) -> str:
        """Stream of orders waiting for their payment to be captured."""
        return f"{self.prefix}live:payments"

    @property
    def dead_letters(self) -> str:
        """Stream of worker entries that kept failing (see commerce/deadletters.py)."""
        return f"{self.prefix}live:dead_letters"

    @property
    def socketio_channel(self) -> str:
        return f"{self.prefix}live:socketio"

    @property
    def media_nodes(self) -> str:
        """Hash node id -> the media node's heartbeat as JSON (live.media_nodes)."""
        return f"{self.prefix}live:media_nodes"

    def key(self, name: str) -> str:
        """Any other key, prefixed."""
        return f"{self.prefix}live:{name}"


@lru_cache(maxsize=4096)
def _show_keys(prefix: str, show_id: str) -> ShowKeys:
    """Cached: the tap path asks for the same show's keys thousands of times a second."""
    return ShowKeys(f"{prefix}{{show:{show_id}}}")
