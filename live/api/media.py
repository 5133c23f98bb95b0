"""Live video signalling: WHIP (RFC 9725) for the host, WHEP for viewers. Each handler checks who asks, reads
the SDP, and leaves the media to streams.registry.

``POST`` an offer (``application/sdp``) -> ``201`` with the answer, ``Location`` (the session resource),
``ETag``, ``Accept-Patch`` and the STUN/TURN servers as ``Link: <...>; rel="ice-server"``. ``PATCH`` the
resource with ``application/trickle-ice-sdpfrag`` to add candidates; ``DELETE`` it to hang up. CORS is open
(``*``, no credentials) so players embedded on other sites can use it; cookies are not accepted cross-site.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from live import keys, shows
from live.api.routing import ApiRouter, Call
from streams import whep, whip
from streams.ice import link_headers
from streams.offer import SDP_TYPE, Offer, read_offer
from streams.peer import FRAGMENT_TYPE, PeerSession

router = ApiRouter("media")
STAFF = ("merchant", "host")
WHIP_PATH = "/api/shows/{show_id}/whip"
WHEP_PATH = "/api/shows/{show_id}/whep"
SESSION = "/{session_id}"
_MEDIA_PATH = re.compile(r"^/api/shows/[^/]+/wh[ie]p(/[^/]+)?$")
_EXPOSED = "Location, ETag, Link, Accept-Patch, Accept-Post"


def _answer(call: Call[Any, Any], session: PeerSession, answer: str) -> web.Response:
    headers = CIMultiDict({"Location": session.location, "ETag": session.etag, "Accept-Patch": FRAGMENT_TYPE})
    for link in link_headers(call.settings, session.id):
        headers.add("Link", link)
    return web.Response(status=201, text=answer, content_type=SDP_TYPE, headers=headers)


async def _offer(call: Call[Any, Any], client_sends: bool) -> Offer:
    return read_offer(await call.request.read(), call.request.content_type, client_sends=client_sends)


@router.post(WHIP_PATH, summary="Publish the show's camera and microphone (WHIP offer)", roles=STAFF,
             request_type=SDP_TYPE, content_type=SDP_TYPE, status=201, errors=(409, 413, 415))
async def publish(call: Call[None, None]) -> web.Response:
    async with call.session() as session:
        show = await shows.get_show(session, call.path("show_id"))
    whip.check_can_publish(call.user, show)
    media_session, answer = await call.app[keys.media_key].publish(show, call.user.user_id, await _offer(call, True))
    return _answer(call, media_session, answer)


async def _publisher(call: Call[Any, Any]) -> PeerSession:
    """The publishing session named in the path, if the caller is the show's host or merchant."""
    async with call.session() as session:
        show = await shows.get_show(session, call.path("show_id"))
    shows.require_host_or_owner(call.user, show)
    return call.app[keys.media_key].session(show.id, call.path("session_id"), "publisher")


def _viewer(call: Call[Any, Any]) -> PeerSession:
    """The viewing session named in the path: its unguessable URL is the credential."""
    return call.app[keys.media_key].session(call.path("show_id"), call.path("session_id"), "viewer")


async def _trickle(call: Call[Any, Any], session: PeerSession) -> web.Response:
    await session.trickle(await call.request.read(), call.request.content_type, call.request.headers.get("If-Match"))
    return web.Response(status=204)


async def _hang_up(call: Call[Any, Any], session: PeerSession) -> web.Response:
    await call.app[keys.media_key].end(session)
    return web.Response(status=200)


@router.patch(WHIP_PATH + SESSION, summary="Add trickled ICE candidates to the publishing session", roles=STAFF,
              request_type=FRAGMENT_TYPE, status=204, errors=(412, 415))
async def publish_candidates(call: Call[None, None]) -> web.Response:
    return await _trickle(call, await _publisher(call))


@router.delete(WHIP_PATH + SESSION, summary="Stop publishing (the show goes off air)", roles=STAFF)
async def unpublish(call: Call[None, None]) -> web.Response:
    return await _hang_up(call, await _publisher(call))


@router.post(WHEP_PATH, summary="Watch the show (WHEP offer; anyone, unless banned)", roles=None,
             request_type=SDP_TYPE, content_type=SDP_TYPE, status=201, errors=(403, 409, 413, 415, 429, 503))
async def watch(call: Call[None, None]) -> web.Response:
    address = call.client_address
    await call.limiter.hit("whep_offers_per_address", address, message="too many viewing sessions from here")
    async with call.session() as session:
        show = await shows.get_show(session, call.path("show_id"))
        await whep.check_can_watch(session, show, call.principal)
    user_id = call.principal.user_id if call.principal else None
    media_session, answer = await call.app[keys.media_key].watch(show.id, user_id, await _offer(call, False), address)
    return _answer(call, media_session, answer)


@router.patch(WHEP_PATH + SESSION, summary="Add trickled ICE candidates to a viewing session", roles=None,
              request_type=FRAGMENT_TYPE, status=204, errors=(412, 415, 429))
async def watch_candidates(call: Call[None, None]) -> web.Response:
    return await _trickle(call, _viewer(call))


@router.delete(WHEP_PATH + SESSION, summary="Stop watching", roles=None)
async def unwatch(call: Call[None, None]) -> web.Response:
    return await _hang_up(call, _viewer(call))


async def preflight(request: web.Request) -> web.Response:
    """CORS preflight (and RFC 9725's OPTIONS): what may be sent here."""
    endpoint = request.match_info.get("session_id") is None
    methods = "POST, OPTIONS" if endpoint else "PATCH, DELETE, OPTIONS"
    headers = {
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Allow-Headers": "Authorization, Content-Type, If-Match",
        "Access-Control-Max-Age": "600",
        "Allow": methods,
    }
    headers["Accept-Post" if endpoint else "Accept-Patch"] = SDP_TYPE if endpoint else FRAGMENT_TYPE
    return web.Response(status=204, headers=headers)


async def _cors(request: web.Request, response: web.StreamResponse) -> None:
    if _MEDIA_PATH.match(request.path):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = _EXPOSED


def add_routes(app: web.Application) -> None:
    """The OPTIONS routes and CORS headers (the API routes come from ``router``)."""
    for path in (WHIP_PATH, WHEP_PATH, WHIP_PATH + SESSION, WHEP_PATH + SESSION):
        app.router.add_route("OPTIONS", path, preflight)
    app.on_response_prepare.append(_cors)

