"""Live video signalling: WHIP (RFC 9725) for the host, WHEP for viewers. Each handler checks who asks, reads
the SDP, and leaves the media to streams.registry (whose errors it turns into the API's error shape).

Beyond one process: a POST without a ticket is placed (live.placement) and, when another media node takes it,
answered ``307`` to that node's URL with a media ticket (live.tickets) in the query, since the redirect loses
the ``Authorization`` header. ``Location`` is absolute: ``PATCH``/``DELETE`` go straight to the node.

``POST`` an offer (``application/sdp``) -> ``201`` with the answer, ``Location`` (the session resource),
``ETag``, ``Accept-Patch`` and the STUN/TURN servers as ``Link: <...>; rel="ice-server"``. ``PATCH`` the
resource with ``application/trickle-ice-sdpfrag`` to add candidates; ``DELETE`` it to hang up. CORS is open
(``*``, no credentials) so players embedded on other sites can use it; cookies are not accepted cross-site.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from live import bans, keys, policy
from live.api.routing import ApiRouter, Call
from live.auth import Principal
from live.errors import DomainError
from live.placement import ThisNode
from live.shows import lifecycle
from live.tickets import Action, Ticket
from streams.errors import MediaError
from streams.ice import link_headers
from streams.offer import SDP_TYPE, Offer, read_offer
from streams.peer import FRAGMENT_TYPE, PeerSession
from streams.pull import Upstream

router = ApiRouter("media")
STAFF = ("merchant", "host")
WHIP_PATH = "/api/shows/{show_id}/whip"
WHEP_PATH = "/api/shows/{show_id}/whep"
SESSION = "/{session_id}"
_MEDIA_PATH = re.compile(r"^/api/shows/[^/]+/wh[ie]p(/[^/]+)?$")
_EXPOSED = "Location, ETag, Link, Accept-Patch, Accept-Post"
Handler = Callable[[Call[None, None]], Awaitable[web.Response]]


def translated(handler: Handler) -> Handler:
    """The media library's errors as the API's own (shaped by the error middleware, which gives every 429 and
    503 its Retry-After)."""
    @functools.wraps(handler)
    async def handle(call: Call[None, None]) -> web.Response:
        try:
            return await handler(call)
        except MediaError as exc:
            error = DomainError(exc.message, code=exc.code, status=exc.status)
            if exc.retry_after_seconds is not None:
                error.headers = {"Retry-After": str(exc.retry_after_seconds)}
            raise error from exc

    return handle


def _node(call: Call[Any, Any]) -> ThisNode:
    return call.app[keys.this_node_key]


def _base_url(call: Call[Any, Any]) -> str:
    return (_node(call).url or str(call.request.url.origin())).rstrip("/")


def _answer(call: Call[Any, Any], session: PeerSession, answer: str) -> web.Response:
    headers = CIMultiDict({"Location": _base_url(call) + session.location, "ETag": session.etag,
                           "Accept-Patch": FRAGMENT_TYPE})
    for link in link_headers(call.app[keys.media_settings_key], session.id):
        headers.add("Link", link)
    return web.Response(status=201, text=answer, content_type=SDP_TYPE, headers=headers)


async def _ticket(call: Call[Any, Any], *actions: Action) -> Ticket | None:
    """The media ticket in the query (a call redirected here), redeemed once; None if there is none."""
    token = call.request.query.get("ticket")
    if token is None:
        return None
    show_id = call.path("show_id")
    return await _node(call).tickets.redeem(call.redis, call.redis_keys.show(show_id).media_tickets, token,
                                            show_id, actions, _node(call).id)


def _redirect(call: Call[Any, Any], node_url: str, node_id: str, action: Action,
              principal: Principal | None) -> web.Response:
    """307 to the same endpoint on the chosen node, with a ticket for this one call."""
    ticket = _node(call).tickets.issue(call.path("show_id"), action, node_id, principal)
    location = URL(node_url.rstrip("/") + call.request.path).with_query(ticket=ticket)
    return web.Response(status=307, headers={"Location": str(location)})


async def _offer(call: Call[Any, Any], client_sends: bool) -> Offer:
    return read_offer(await call.request.read(), call.request.content_type, client_sends=client_sends)


@router.post(WHIP_PATH, summary="Publish the show's camera and microphone (WHIP offer; the show's host or "
             "merchant: a bearer token, or the ticket of a redirect)", roles=None, request_type=SDP_TYPE,
             content_type=SDP_TYPE, status=201, errors=(401, 403, 409, 413, 415, 503),
             extra_responses={307: "placed on another media node: the same call there (Location carries a ticket)"})
@translated
async def publish(call: Call[None, None]) -> web.Response:
    ticket = await _ticket(call, "publish")
    principal = ticket.principal if ticket is not None and ticket.principal is not None else call.user
    async with call.session() as session:
        show = await lifecycle.get_show(session, call.path("show_id"))
    policy.check_can_publish(principal, show)
    offer = await _offer(call, True)  # bad input is refused here, never redirected
    node, origin_key = _node(call), call.redis_keys.show(show.id).media_origin
    if ticket is None:
        origin = await node.placement.origin(origin_key)
        if origin.id != node.id:
            return _redirect(call, origin.url, origin.id, "publish", principal)
    media_session, answer = await call.app[keys.media_key].publish(show.id, principal.user_id, offer, show.record)
    await node.placement.became_origin(origin_key, node.id)
    return _answer(call, media_session, answer)


async def _publisher(call: Call[Any, Any]) -> PeerSession:
    """The publishing session named in the path, if the caller is the show's host or merchant."""
    async with call.session() as session:
        show = await lifecycle.staff_show(session, call.user, call.path("show_id"))
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
@translated
async def publish_candidates(call: Call[None, None]) -> web.Response:
    return await _trickle(call, await _publisher(call))


@router.delete(WHIP_PATH + SESSION, summary="Stop publishing (the show goes off air)", roles=STAFF)
@translated
async def unpublish(call: Call[None, None]) -> web.Response:
    return await _hang_up(call, await _publisher(call))


@router.post(WHEP_PATH, summary="Watch the show (WHEP offer; anyone, unless banned)", roles=None,
             request_type=SDP_TYPE, content_type=SDP_TYPE, status=201, errors=(403, 409, 413, 415, 429, 503),
             extra_responses={307: "placed on another media node: the same call there (Location carries a ticket)"})
@translated
async def watch(call: Call[None, None]) -> web.Response:
    ticket = await _ticket(call, "watch", "pull")
    from_node = ticket is not None and ticket.action == "pull"
    principal = ticket.principal if ticket is not None else call.principal
    address = call.client_address
    if ticket is None:  # the first hop counts the offer; a ticket is single-use and was counted there
        await call.limiter.hit("whep_offers_per_address", address, message="too many viewing sessions from here")
    async with call.session() as session:
        show = await lifecycle.get_show(session, call.path("show_id"))
    viewer = None if from_node else principal
    banned = viewer is not None and await bans.is_banned(call.redis, call.redis_keys.show(show.id), viewer.user_id)
    policy.check_can_watch(show, banned)
    offer = await _offer(call, False)
    node, origin_key = _node(call), call.redis_keys.show(show.id).media_origin
    if ticket is None:
        target = await node.placement.for_viewer(origin_key, show.id)
        if target.id != node.id:
            return _redirect(call, target.url, target.id, "watch", principal)
    user_id = principal.user_id if principal else None
    media_session, answer = await call.app[keys.media_key].watch(
        show.id, user_id, offer, upstream=None if from_node else await _upstream(call, origin_key), node=from_node,
        client_address=address)
    if node.heartbeat is not None:
        await node.heartbeat.beat()  # placement sees this viewer before the next one asks
    return _answer(call, media_session, answer)


async def _upstream(call: Call[Any, Any], origin_key: str) -> Upstream | None:
    """Where this node pulls the show from when another node is its origin (None: this node is)."""
    node = _node(call)
    origin = await node.placement.origin(origin_key)
    if origin.id == node.id:
        return None
    ticket = node.tickets.issue(call.path("show_id"), "pull", origin.id, None)
    url = URL(origin.url.rstrip("/") + WHEP_PATH.format(show_id=call.path("show_id"))).with_query(ticket=ticket)
    return Upstream(str(url))


@router.patch(WHEP_PATH + SESSION, summary="Add trickled ICE candidates to a viewing session", roles=None,
              request_type=FRAGMENT_TYPE, status=204, errors=(412, 415, 429))
@translated
async def watch_candidates(call: Call[None, None]) -> web.Response:
    return await _trickle(call, _viewer(call))


@router.delete(WHEP_PATH + SESSION, summary="Stop watching", roles=None)
@translated
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

