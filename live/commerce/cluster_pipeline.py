"""The hot path's pipelined script connection (pipeline.py) on a Redis Cluster: one pipelined connection per
master, each command written to the master that owns its first key's slot.

It offers what ``BatchedScript`` uses of a ``PipelinedConnection`` (``timeout``, ``ready``, ``open``, ``submit``,
``close``), and ``call`` from ``TurnBatching``: a batch is split per master and each part is one write.

Redirections (the slot map comes from CLUSTER SLOTS):
- ``MOVED <slot> <host:port>``: the slot has a new owner; the map is reloaded and the command goes there.
- ``ASK <slot> <host:port>``: the slot is being migrated and this key is already at the target; the command
  is sent there once, right after ``ASKING`` (the map does not change).
- ``TRYAGAIN``: a multi-key script whose keys are split by a migration under way; resent shortly.
A redirection or TRYAGAIN means Redis did not run the script, so a resend never runs it twice; a reply lost
to a dead connection is a 503 and the buyer's retry carries the same Idempotency-Key. A master that cannot
be reached makes the map reload from any node of the last map (replicas too), so a promoted replica is found.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from redis.crc import key_slot
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from live.commerce.pipeline import Command, PipelinedConnection, TurnBatching, _Protocol

MAX_REDIRECTIONS = 16
TRYAGAIN_PAUSE = 0.005
SLOTS = 16384


EVAL_FIRST_KEY = 3  # EVALSHA sha numkeys key...


def command_slot(command: Command) -> int | None:
    """The slot of an EVALSHA/EVAL's first key; None for a command without keys (SCRIPT LOAD)."""
    if len(command) > EVAL_FIRST_KEY and str(command[0]).upper() in ("EVALSHA", "EVAL") and int(command[2]) > 0:
        key = command[EVAL_FIRST_KEY]
        return key_slot(key if isinstance(key, bytes) else str(key).encode())
    return None


class ClusterPipelinedConnection(TurnBatching):
    """A ``PipelinedConnection`` look-alike over every master of a cluster seeded by one node's URL."""

    def __init__(self, url: str, timeout: float = 5.0, on_connect: Callable[[], Awaitable[None]] | None = None):
        super().__init__()
        self.url = url
        self.timeout = timeout
        self.on_connect = on_connect
        self.nodes: dict[str, PipelinedConnection] = {}  # "host:port" -> its pipelined connection
        self.owners: list[str | None] = [None] * SLOTS
        self.known: list[str] = []  # every node (replicas too) of the last map: where to ask for the next one
        self._refreshing: asyncio.Task[None] | None = None
        self.redirections: Counter[str] = Counter()  # MOVED, ASK, TRYAGAIN... followed, by kind

    @property
    def ready(self) -> Any:
        """Truthy once the slot map is known (``submit`` opens node connections itself)."""
        return self if any(self.owners) else None

    async def open(self) -> Any:
        if not any(self.owners):
            await self.refresh()
        return self

    async def refresh(self) -> None:
        """Reload the slot map from the first node that answers CLUSTER SLOTS (one reload at a time)."""
        await asyncio.shield(self._reload())

    def _reload(self) -> asyncio.Task[None]:
        """The reload under way, or a new one, held by ``_refreshing`` (a task nobody holds can be collected
        mid-way); a failed reload is retried on the next failure."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self._load_slots())
            self._refreshing.add_done_callback(lambda done: done.cancelled() or done.exception())
        return self._refreshing

    async def _load_slots(self) -> None:
        seeds = [self._node(None)] + [self._node(name) for name in self.known if name != self._seed_name]
        failure: Exception = RedisConnectionError("no cluster node answered CLUSTER SLOTS")
        for connection in seeds:
            try:
                protocol = await connection.open()
                future = asyncio.get_running_loop().create_future()
                connection.submit(protocol, [["CLUSTER", "SLOTS"]], [future])
                ranges = await future
            except (RedisError, OSError) as exc:
                failure = exc
                continue
            owners: list[str | None] = [None] * SLOTS
            known: list[str] = []
            for low, high, *nodes in ranges:
                names = [f"{node[0] or '127.0.0.1'}:{node[1]}" for node in nodes]
                owners[low:high + 1] = [names[0]] * (high - low + 1)
                known += names
            self.owners, self.known = owners, list(dict.fromkeys(known))
            return
        raise failure

    @property
    def _seed_name(self) -> str:
        return self.url

    def _node(self, name: str | None) -> PipelinedConnection:
        """The pipelined connection to a master (``None``: the seed URL's node)."""
        key = self._seed_name if name is None else name
        connection = self.nodes.get(key)
        if connection is None:
            url = self.url if name is None else _node_url(self.url, name)
            connection = self.nodes[key] = PipelinedConnection(url, self.timeout, self.on_connect)
        return connection

    def submit(self, _protocol: Any, commands: Sequence[Command], futures: Sequence[asyncio.Future[Any]]) -> None:
        """Group the commands by the master of their slot and write each group at once; a command without
        keys goes to every master (SCRIPT LOAD) and answers with the first master's reply."""
        groups: dict[str, tuple[list[Command], list[asyncio.Future[Any]]]] = {}
        for command, future in zip(commands, futures, strict=True):
            slot = command_slot(command)
            if slot is None:
                self._broadcast(command, future)
                continue
            owner = self.owners[slot] or self._seed_name
            batch = groups.setdefault(owner, ([], []))
            batch[0].append(command)
            batch[1].append(self._relay(command, future, 0, self._deadline()))
        for owner, (batch_commands, batch_futures) in groups.items():
            self._write(owner, batch_commands, batch_futures)

    def _broadcast(self, command: Command, future: asyncio.Future[Any]) -> None:
        loop = asyncio.get_running_loop()
        masters = sorted({owner for owner in self.owners if owner}) or [self._seed_name]
        replies = [loop.create_future() for _ in masters]
        for master, reply in zip(masters, replies, strict=True):
            self._write(master, [command], [reply])

        async def first() -> None:
            results = await asyncio.gather(*replies, return_exceptions=True)
            if not future.done():
                error = next((r for r in results if isinstance(r, BaseException)), None)
                future.set_exception(error) if error else future.set_result(results[0])

        self.spawn(first())

    def _deadline(self) -> float:
        return asyncio.get_running_loop().time() + self.timeout

    def _relay(self, command: Command, outer: asyncio.Future[Any], hops: int, deadline: float) -> asyncio.Future[Any]:
        """A future for one attempt of ``command``: its reply goes to ``outer`` unless it is a redirection,
        which is followed (MOVED/ASK at most MAX_REDIRECTIONS times, TRYAGAIN until the deadline)."""
        inner: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def done(attempt: asyncio.Future[Any]) -> None:
            if outer.done():
                return
            error = attempt.exception()
            if error is None:
                outer.set_result(attempt.result())
            elif isinstance(error, ResponseError) and hops < MAX_REDIRECTIONS and _redirection(error):
                self.spawn(self._follow(str(error), command, outer, hops, deadline))
            else:
                outer.set_exception(error)

        inner.add_done_callback(done)
        return inner

    async def _follow(self, error: str, command: Command, outer: asyncio.Future[Any], hops: int,
                      deadline: float) -> None:
        kind, *rest = error.split()
        self.redirections[kind] += 1
        try:
            if kind == "MOVED":
                await self.refresh()
                target = self.owners[int(rest[0])] or rest[1]
                self._write(target, [command], [self._relay(command, outer, hops + 1, deadline)])
            elif kind == "ASK":
                asking = asyncio.get_running_loop().create_future()
                self._write(rest[1], [["ASKING"], command], [asking, self._relay(command, outer, hops + 1, deadline)])
            else:  # TRYAGAIN (keys split by a migration), or CLUSTERDOWN while a failover settles
                if asyncio.get_running_loop().time() + TRYAGAIN_PAUSE > deadline:
                    raise RedisTimeoutError(f"slot still moving between Redis Cluster masters ({kind})")
                await asyncio.sleep(TRYAGAIN_PAUSE)
                slot = command_slot(command)
                target = (self.owners[slot] if slot is not None else None) or self._seed_name
                self._write(target, [command], [self._relay(command, outer, 0, deadline)])
        except Exception as exc:
            if not outer.done():
                outer.set_exception(exc)

    def _write(self, name: str, commands: list[Command], futures: list[asyncio.Future[Any]]) -> None:
        connection = self._node(None if name == self._seed_name else name)
        protocol = connection.ready
        if protocol is not None:
            connection.submit(protocol, commands, futures)
        else:
            self.spawn(self._open_and_write(connection, commands, futures))

    async def _open_and_write(self, connection: PipelinedConnection, commands: list[Command],
                              futures: list[asyncio.Future[Any]]) -> None:
        try:
            protocol: _Protocol = await asyncio.wait_for(asyncio.shield(connection.open()), self.timeout)
        except Exception as exc:
            failure = exc if isinstance(exc, RedisError) else RedisConnectionError(f"cannot reach Redis: {exc}")
            self._refresh_soon()  # a master that died may have been replaced by a promoted replica
            for future in futures:
                if not future.done():
                    future.set_exception(failure)
            return
        connection.submit(protocol, commands, futures)

    def _refresh_soon(self) -> None:
        """A reload in the background: nothing waits for it."""
        self._reload()

    def close(self) -> None:
        for connection in self.nodes.values():
            connection.close()
        self.nodes.clear()


def _redirection(error: ResponseError) -> bool:
    return str(error).split(" ", 1)[0] in ("MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN")


def _node_url(seed: str, name: str) -> str:
    """The seed URL with another node's host:port (same scheme, credentials and options)."""
    scheme, _, rest = seed.partition("://")
    auth, _, hostpart = rest.rpartition("@")
    tail = hostpart[len(hostpart.split("/", 1)[0]):]
    return f"{scheme}://{auth + '@' if auth else ''}{name}{tail}"


def script_connection(url: str, cluster: bool, timeout: float,
                      on_connect: Callable[[], Awaitable[None]] | None = None) -> PipelinedConnection:
    """The hot path's script connection: one pipelined connection, or one per master of a cluster (typed as
    the one it stands in for: BatchedScript uses nothing else of it)."""
    if cluster:
        return cast(PipelinedConnection, ClusterPipelinedConnection(url, timeout, on_connect))
    return PipelinedConnection(url, timeout, on_connect)
