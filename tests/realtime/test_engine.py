"""Pins the python-socketio / python-engineio internals that live/realtime/engine.py relies on. If one of these
fails after an upgrade, read engine.py's docstring and the new library source before changing anything."""

from __future__ import annotations

import asyncio
from importlib.metadata import version
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from engineio import packet as eio_packet
from socketio import AsyncManager
from socketio.async_pubsub_manager import AsyncPubSubManager

from live import keys
from live.realtime import engine, protocol
from tests.helpers import Api
from tests.realtime.conftest import Socket, SocketFactory


def test_written_against_these_versions() -> None:
    assert version("python-socketio").startswith("5.18."), "engine.py wraps python-socketio 5.18 internals"
    assert version("python-engineio").startswith("4.15."), "engine.py wraps python-engineio 4.15 internals"


def test_emits_from_other_processes_take_the_fast_path() -> None:
    """AsyncPubSubManager._handle_emit calls super().emit, which must be FastEmitManager's."""
    mro = engine.RoomRedisManager.__mro__
    assert mro.index(AsyncPubSubManager) < mro.index(engine.FastEmitManager) < mro.index(AsyncManager)


async def _joined_viewer(api: Api, sockets: SocketFactory) -> tuple[dict[str, Any], Socket]:
    owner = await api.merchant()
    show, _ = await api.live_show(owner)
    s = await sockets(await api.viewer())
    await s.join(show["id"])
    return show, s


async def test_an_idle_websocket_is_written_directly(api: Api, sockets: SocketFactory, client: TestClient) -> None:
    show, s = await _joined_viewer(api, sockets)
    sio = client.app[keys.sio_key]
    eio_sid = s.sio.eio.sid
    direct = sio.manager.direct
    assert eio_sid in direct.connections, "the websocket driver registered the connection"
    await asyncio.sleep(0.05)  # let the join acknowledgement leave the socket's queue
    assert await direct.deliver([eio_sid], '2["probe",{"n":1}]') == (1, 0)
    assert await s.wait_for("probe") == {"n": 1}
    rooms = engine.local_rooms(sio.manager, protocol.NAMESPACE, protocol.SHOW_ROOM_PREFIX)
    assert rooms == {protocol.show_room(show["id"]): 1}
    assert len(engine.room_members(sio.manager, protocol.NAMESPACE, protocol.show_room(show["id"]))) == 1
    assert engine.in_room(sio.manager, protocol.NAMESPACE, s.sio.get_sid(), protocol.show_room(show["id"]))


async def test_a_busy_socket_gets_the_packet_on_its_queue_in_order(api: Api, sockets: SocketFactory,
                                                                   client: TestClient) -> None:
    _, s = await _joined_viewer(api, sockets)
    sio = client.app[keys.sio_key]
    eio_sid = s.sio.eio.sid
    socket = sio.eio.sockets[eio_sid]
    socket.queue.put_nowait(eio_packet.Packet(eio_packet.MESSAGE, '2["probe",{"n":1}]'))
    assert await sio.manager.direct.deliver([eio_sid], '2["probe",{"n":2}]') == (0, 1)
    await s.wait_for("probe", lambda e: e["n"] == 2)
    assert s.events["probe"] == [{"n": 1}, {"n": 2}]


async def test_no_per_message_deflate_on_the_socketio_websocket(client: TestClient) -> None:
    url = client.make_url("/socket.io/").with_query({"EIO": "4", "transport": "websocket"})
    async with aiohttp.ClientSession() as session, session.ws_connect(url, compress=15) as ws:
        assert (await ws.receive_str()).startswith("0")
        assert ws.compress == 0, "a fan-out would compress the same frame once per socket"


async def test_single_packets_skip_the_queue_of_an_idle_socket(api: Api, sockets: SocketFactory,
                                                               client: TestClient) -> None:
    """Acknowledgements (a join snapshot) take the direct write too; the writer task never holds on to one."""
    _, s = await _joined_viewer(api, sockets)
    sio = client.app[keys.sio_key]
    assert isinstance(sio.eio, engine.RoomEngineServer)
    eio_sid = s.sio.eio.sid
    socket = sio.eio.sockets[eio_sid]
    await asyncio.sleep(0.05)
    await sio.eio.send_packet(eio_sid, eio_packet.Packet(eio_packet.MESSAGE, '2["probe",{"n":3}]'))
    assert socket.queue.empty(), "written directly, not queued for the writer task"
    assert await s.wait_for("probe") == {"n": 3}


async def test_emit_each_publishes_once_and_each_room_hears_only_its_own(api: Api, sockets: SocketFactory,
                                                                       client: TestClient) -> None:
    """The persister's batch of orders: one publish from another process (a write-only manager), decoded by
    RoomRedisManager._handle_emit into one emit per room; a buyer never hears another buyer's order."""
    first, second = await api.viewer(), await api.viewer()
    on_first, on_second = await sockets(first), await sockets(second)
    settings, redis_keys = client.app[keys.settings_key], client.app[keys.redis_keys_key]
    other = engine.RoomRedisManager(settings.redis_url or "", channel=redis_keys.socketio_channel, write_only=True)
    published: list[dict[str, Any]] = []
    publish = other._publish

    async def counted(data: Any) -> None:
        published.append(data)
        await publish(data)

    other._publish = counted  # type: ignore[method-assign]
    try:
        await other.emit_each("order", protocol.NAMESPACE, [
            (protocol.user_room(first.id), {"order": {"id": "ord_a"}}),
            (protocol.user_room(second.id), {"order": {"id": "ord_b"}})])
    finally:
        await engine.close_pubsub_manager(other)
    assert len(published) == 1
    assert await on_first.wait_for("order") == {"order": {"id": "ord_a"}}
    assert await on_second.wait_for("order") == {"order": {"id": "ord_b"}}
    await asyncio.sleep(0.2)
    assert [e["order"]["id"] for e in on_first.events["order"]] == ["ord_a"]
    assert [e["order"]["id"] for e in on_second.events["order"]] == ["ord_b"]


async def test_the_app_stops_without_waiting_for_a_long_polling_client_that_left(client: TestClient) -> None:
    """engine.io's close waits for the socket's queue to empty; a long-polling client that left never fetches
    it again, and the app's shutdown used to wait for ever (live/realtime/server.py close_sockets)."""
    handshake = await client.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert handshake.status == 200
    eio = client.app[keys.sio_key].eio
    [socket] = eio.sockets.values()
    await asyncio.wait_for(client.close(), 30)  # the client never polls again
    assert socket.closed
    assert eio.sockets == {}
