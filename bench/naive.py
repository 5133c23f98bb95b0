"""The naive relay bench/relay.py compares against: aiortc's MediaRelay, which decodes the host's video once
and encodes it again for every viewer. Same URLs as the real server (``/api/shows/<id>/whip`` and ``whep``),
no accounts. Run: ``python -m bench.naive PORT``."""

from __future__ import annotations

import sys
from typing import Any

from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay

PEERS: web.AppKey[set[RTCPeerConnection]] = web.AppKey("peers", set)
TRACKS = web.AppKey("tracks", dict)
RELAY = web.AppKey("relay", MediaRelay)


async def _answer(request: web.Request, pc: RTCPeerConnection) -> web.Response:
    await pc.setRemoteDescription(RTCSessionDescription(sdp=await request.text(), type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    request.app[PEERS].add(pc)
    return web.Response(status=201, text=pc.localDescription.sdp, content_type="application/sdp",
                        headers={"Location": f"{request.path}/{id(pc)}"})


async def whip(request: web.Request) -> web.Response:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

    @pc.on("track")
    def on_track(track: Any) -> None:
        request.app[TRACKS][track.kind] = track

    return await _answer(request, pc)


async def whep(request: web.Request) -> web.Response:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    for track in request.app[TRACKS].values():
        pc.addTrack(request.app[RELAY].subscribe(track))
    return await _answer(request, pc)


async def hang_up(request: web.Request) -> web.Response:
    peers = request.app[PEERS]
    for pc in list(peers):
        if str(id(pc)) == request.match_info["pc"]:
            peers.discard(pc)
            await pc.close()
    return web.Response()


async def _close_all(app: web.Application) -> None:
    peers = app[PEERS]
    for pc in list(peers):
        await pc.close()


def main(argv: list[str]) -> int:
    app = web.Application()
    app[PEERS], app[TRACKS], app[RELAY] = set(), {}, MediaRelay()
    app.router.add_post("/api/shows/{show}/whip", whip)
    app.router.add_post("/api/shows/{show}/whep", whep)
    app.router.add_delete("/api/shows/{show}/{kind}/{pc}", hang_up)
    app.on_shutdown.append(_close_all)
    web.run_app(app, host="127.0.0.1", port=int(argv[0]), print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
