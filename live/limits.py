"""Abuse limits over Redis, keyed by account, device or client address: ``429 rate_limited`` + Retry-After.

The counting is the ``limits`` library's sliding window counter (two keys per limit and caller, one Lua call
per hit) on the app's own Redis pool. Limits keyed by address alone stay generous: hundreds of phones share
one mobile carrier's address; the tight ones are keyed by account, device or email. On a Redis Cluster the
library opens its own cluster client (it cannot share redis-py's cluster pool); its two keys per limit share
one hash tag, so each Lua call stays on one slot.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Iterable, Mapping
from urllib.parse import urlparse

from limits import RateLimitItem, parse
from limits.aio.storage import RedisClusterStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import Redis

from live.errors import RateLimited

# Every limit, by name; the setting is ``limit_<name>`` (e.g. LIVE_LIMIT_TAPS_PER_BUYER="30/10seconds").
RULES = (
    "signups_per_address", "signups_per_email", "logins_per_address", "login_failures_per_email_and_address",
    "login_failures_per_email", "viewers_per_address", "sockets_per_address",
    "sockets_per_visitor", "joins_per_visitor", "joins_per_address", "whep_offers_per_address",
)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_rule(text: str) -> RateLimitItem:
    """``"30/minute"``, ``"5/5minutes"``, ``"30 per 10 seconds"`` (the ``limits`` notation)."""
    return parse(text)


def per_window(text: str) -> tuple[int, int]:
    """A limit as (count, window in ms), for counters kept elsewhere (the tap's own Lua script)."""
    item = parse_rule(text)
    return item.amount, item.get_expiry() * 1000


def cluster_storage_uri(url: str) -> str:
    """``redis://[auth@]host:port/0`` (one node of the cluster) in the ``limits`` library's spelling."""
    parsed = urlparse(url)
    return f"async+redis+cluster://{parsed.netloc}"


def hashed(value: str) -> str:
    """Emails and device ids are keyed by a hash: Redis need not hold them."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:24]


class Limiter:
    """The configured limits, and who the caller is (``address``)."""

    def __init__(self, redis: Redis, prefix: str, rules: Mapping[str, str], trusted_proxies: Iterable[str] = (),
                 cluster_url: str | None = None):
        self.trusted = trusted_networks(trusted_proxies)
        storage: RedisStorage
        if cluster_url:
            storage = RedisClusterStorage(cluster_storage_uri(cluster_url), implementation="redispy",
                                          key_prefix=f"{prefix}live:limits")
        else:
            storage = RedisStorage("async+redis://", implementation="redispy", key_prefix=f"{prefix}live:limits",
                                   connection_pool=redis.connection_pool)  # type: ignore[arg-type]  # passed on
        self._strategy = SlidingWindowCounterRateLimiter(storage)
        self._rules = {name: parse_rule(text) for name, text in rules.items()}

    async def hit(self, rule: str, *identity: str, message: str = "too many requests: slow down") -> None:
        """Count one attempt; over the limit it is refused (and not counted)."""
        item = self._rules[rule]
        if not await self._strategy.hit(item, rule, *identity):
            raise RateLimited(message, await self._retry_after(item, rule, identity))

    async def check(self, rule: str, *identity: str, message: str = "too many attempts: wait") -> None:
        """Refuse if the limit is used up, without counting (a lockout that counts only failures)."""
        item = self._rules[rule]
        if not await self._strategy.test(item, rule, *identity):
            raise RateLimited(message, await self._retry_after(item, rule, identity))

    async def clear(self, rule: str, *identity: str) -> None:
        await self._strategy.clear(self._rules[rule], rule, *identity)

    def address(self, peer: str | None, forwarded_for: str | None) -> str:
        return client_address(peer, forwarded_for, self.trusted)

    async def _retry_after(self, item: RateLimitItem, rule: str, identity: Iterable[str]) -> float:
        stats = await self._strategy.get_window_stats(item, rule, *identity)
        return stats.reset_time - time.time()


def trusted_networks(entries: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def client_address(peer: str | None, forwarded_for: str | None, trusted: list[Network]) -> str:
    """The client's address: the socket's peer, or, when that peer is a trusted proxy, the last address in
    ``X-Forwarded-For`` that is not one of our proxies. IPv6 clients are grouped by /64 (one subscriber)."""
    address = _ip(peer)
    if address is not None and forwarded_for and _trusted(address, trusted):
        for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
            hop_ip = _ip(hop)
            if hop_ip is None:
                break
            address = hop_ip
            if not _trusted(hop_ip, trusted):
                break
    if address is None:
        return peer or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: list[Network]) -> bool:
    return any(address in network for network in trusted)
