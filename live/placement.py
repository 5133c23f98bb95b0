"""Which media node takes a WHIP or WHEP call. A show's origin is the node that takes its host, recorded in
Redis under the show's hash tag; viewers go to the origin while it has room, then to an edge: one that
already relays the show if it has room, else the least loaded. The choices are plain functions over the
nodes' heartbeats; ``Placement`` adds the Redis reads and the one atomic write (claiming the origin)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from live.errors import DomainError
from live.media_nodes import Heartbeat, Node, NodeDirectory
from live.tickets import TicketService

# Set the origin to ARGV[2] unless another live node already claimed it: the current value is kept when it
# is neither absent nor ARGV[1] (the dead or missing origin the caller saw).
_CLAIM = """
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return ARGV[2]
end
return current
"""


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class NoMediaNode(DomainError):
    status, code = 503, "no_media_node"


def least_loaded(nodes: list[Node]) -> Node | None:
    return min(nodes, key=lambda n: (n.occupancy, n.load, n.id), default=None)


def choose_origin(nodes: dict[str, Node], current: str | None) -> Node:
    """The recorded origin if it is alive, else the least loaded node."""
    if current is not None and current in nodes:
        return nodes[current]
    node = least_loaded(list(nodes.values()))
    if node is None:
        raise NoMediaNode("no media node is available; try again shortly")
    return node


def choose_viewer_node(nodes: dict[str, Node], origin: Node, show_id: str) -> Node:
    """The origin while it has room; then an edge that relays the show and has room; then the least loaded
    other node with room; when every node is full, the origin (which answers at_capacity if it is)."""
    if not origin.full:
        return origin
    edges = [n for n in nodes.values() if n.id != origin.id and not n.full]
    relaying = [n for n in edges if show_id in n.relays]
    return least_loaded(relaying) or least_loaded(edges) or origin


class Placement:
    def __init__(self, redis: Redis, directory: NodeDirectory) -> None:
        self.redis = redis
        self.directory = directory
        self._claim = redis.register_script(_CLAIM)

    async def origin(self, origin_key: str, nodes: dict[str, Node] | None = None) -> Node:
        """The show's origin, claiming one (the least loaded node) if there is none or it died."""
        nodes = await self.directory.alive() if nodes is None else nodes
        current = _text(await self.redis.get(origin_key))
        choice = choose_origin(nodes, current)
        if choice.id != current:
            claimed = await self._claim(keys=[origin_key], args=[current or "", choice.id])
            choice = nodes.get(claimed, choice)
        return choice

    async def for_viewer(self, origin_key: str, show_id: str) -> Node:
        nodes = await self.directory.alive()
        return choose_viewer_node(nodes, await self.origin(origin_key, nodes), show_id)

    async def became_origin(self, origin_key: str, node_id: str) -> None:
        """This node took the show's host."""
        await self.redis.set(origin_key, node_id)

    async def origin_of(self, origin_key: str) -> Node | None:
        """The recorded origin if it is alive."""
        current = _text(await self.redis.get(origin_key))
        return (await self.directory.alive()).get(current) if current else None


@dataclass
class ThisNode:
    """This process as the media tier sees it."""

    id: str
    url: str | None  # LIVE_NODE_URL; None: the URL the request came to
    takes_media: bool
    placement: Placement
    tickets: TicketService
    heartbeat: Heartbeat | None  # None on a web-only node
