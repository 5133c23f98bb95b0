"""Shows: scheduling, lineup, state changes, public listing and the merchant's calendar feed."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from db.models import Show
from live import accounts, calendar, keys, policy, showcopy
from live.api.routing import ApiRouter, Call, Created
from live.schemas.shows import (
    OfferCreated,
    OfferIn,
    OfferPatch,
    ShowIn,
    ShowList,
    ShowListQuery,
    ShowOut,
    ShowPatch,
)
from live.shows import lifecycle, lineup, views

router = ApiRouter("shows")
OWNER = ("merchant",)
STAFF = ("merchant", "host")


async def _detail(call: Call[Any, Any], show: Show) -> ShowOut:
    """The show as it is now; saved as its last good copy too (see showcopy.py)."""
    return await showcopy.fresh_detail(call.app[keys.sessionmaker_key], call.redis, call.redis_keys, show,
                                       call.settings.public_url)


@router.post("/api/shows", summary="Schedule a show", roles=OWNER, body=ShowIn, response=ShowOut, status=201,
             creates=Created("show_id"))
async def create_show(call: Call[ShowIn, None]) -> ShowOut:
    assert call.user.merchant_id
    async with call.session() as session:
        show = await lifecycle.create_show(session, call.user.merchant_id, call.body)
    return await _detail(call, show)


@router.get("/api/shows", summary="Upcoming and live shows (public)", roles=None, query=ShowListQuery,
            response=ShowList)
async def list_shows(call: Call[None, ShowListQuery]) -> ShowList:
    async with call.session() as session:
        found = await views.list_public_shows(session, call.query.merchant_id, call.query.state)
        return ShowList(shows=await views.summarize(session, found, call.settings.public_url))


@router.get("/api/merchants/me/shows", summary="All of the merchant's shows, newest first", roles=OWNER,
            response=ShowList)
async def list_my_shows(call: Call[None, None]) -> ShowList:
    assert call.user.merchant_id
    async with call.session() as session:
        found = await views.list_merchant_shows(session, call.user.merchant_id)
        return ShowList(shows=await views.summarize(session, found, call.settings.public_url))


@router.get("/api/shows/{show_id}", summary="A show with its offers and remaining stock (public)", roles=None,
            response=ShowOut)
async def get_show(call: Call[None, None]) -> ShowOut:
    """Served from the show's last good copy while the database is away, so a live show stays watchable."""
    return await showcopy.show_detail(call.app[keys.sessionmaker_key], call.redis, call.redis_keys,
                                      call.path("show_id"), call.settings.public_url)


@router.patch("/api/shows/{show_id}", summary="Change a show's details", roles=OWNER, body=ShowPatch,
              response=ShowOut, errors=(409,))
async def update_show(call: Call[ShowPatch, None]) -> ShowOut:
    async with call.session() as session:
        show = await lifecycle.get_show(session, call.path("show_id"))
        policy.require_owner(call.user, show)
        show = await lifecycle.update_show(session, show, call.body)
    await call.app[keys.show_changed_key].send(show)  # e.g. media starts or stops recording
    return await _detail(call, show)


@router.post("/api/shows/{show_id}/offers", summary="Add a product to the lineup", roles=OWNER, body=OfferIn,
             response=OfferCreated, status=201, errors=(409,), creates=Created("offer_id", "/offer/id"))
async def add_offer(call: Call[OfferIn, None]) -> OfferCreated:
    async with call.session() as session:
        show = await lifecycle.get_show(session, call.path("show_id"))
        policy.require_owner(call.user, show)
        offer = await lineup.add_offer(session, call.redis, call.redis_keys, show, call.body)
        remaining = await views.remaining_by_offer(call.redis, call.redis_keys, show, [offer])
        (view,) = await views.offer_views(session, [offer], remaining)
    await _detail(call, show)  # the lineup changed: refresh the show's last good copy
    return OfferCreated(offer=view)


@router.patch("/api/shows/{show_id}/offers/{offer_id}", summary="Change an offer's terms", roles=OWNER,
              body=OfferPatch, response=OfferCreated, errors=(409,))
async def update_offer(call: Call[OfferPatch, None]) -> OfferCreated:
    async with call.session() as session:
        show = await lifecycle.get_show(session, call.path("show_id"))
        policy.require_owner(call.user, show)
        offer = await lineup.get_offer(session, show, call.path("offer_id"))
        offer = await lineup.update_offer(session, call.redis, call.redis_keys, show, offer, call.body)
        remaining = await views.remaining_by_offer(call.redis, call.redis_keys, show, [offer])
        (view,) = await views.offer_views(session, [offer], remaining)
    await _detail(call, show)  # the lineup changed: refresh the show's last good copy
    return OfferCreated(offer=view)


@router.delete("/api/shows/{show_id}/offers/{offer_id}", summary="Remove an offer before the show starts",
               roles=OWNER, status=204, errors=(409,))
async def remove_offer(call: Call[None, None]) -> web.Response:
    async with call.session() as session:
        show = await lifecycle.get_show(session, call.path("show_id"))
        policy.require_owner(call.user, show)
        await lineup.remove_offer(session, show, await lineup.get_offer(session, show, call.path("offer_id")))
    return web.Response(status=204)


async def _change_state(call: Call[Any, Any], change: Any) -> ShowOut:
    """Start or end: the host or the merchant may; listeners (realtime, media) hear about it."""
    async with call.session() as session:
        show = await lifecycle.staff_show(session, call.user, call.path("show_id"))
        show = await change(session, call.redis, call.redis_keys, show)
    await call.app[keys.show_changed_key].send(show)
    return await _detail(call, show)


@router.post("/api/shows/{show_id}/start", summary="Go live (host or merchant)", roles=STAFF,
             response=ShowOut, errors=(409,))
async def start_show(call: Call[None, None]) -> ShowOut:
    return await _change_state(call, lifecycle.start_show)


@router.post("/api/shows/{show_id}/end", summary="End the show (host or merchant)", roles=STAFF,
             response=ShowOut, errors=(409,))
async def end_show(call: Call[None, None]) -> ShowOut:
    return await _change_state(call, lifecycle.end_show)


@router.get("/merchants/{merchant_id}/shows.ics", summary="iCalendar feed of a merchant's shows", roles=None,
            content_type="text/calendar")
async def merchant_calendar(call: Call[None, None]) -> web.Response:
    merchant_id = call.path("merchant_id")
    async with call.session() as session:
        name = await accounts.merchant_name(session, merchant_id)
        found = await views.list_public_shows(session, merchant_id, None)
    body = calendar.shows_calendar(name, found, call.settings.public_url)
    return web.Response(body=body, content_type="text/calendar", charset="utf-8",
                        headers={"Content-Disposition": 'inline; filename="shows.ics"'})
