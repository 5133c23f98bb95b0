"""The authorization matrix: for every mutating endpoint and every kind of caller, only the allowed callers
succeed; the rest get 401 (anonymous) or 403 with the JSON error. A new mutating endpoint without a row
here fails ``test_every_mutating_endpoint_is_in_the_matrix``."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from live.api.docs import endpoints_key
from live.keys import media_key
from tests.helpers import Actor, Api, sdp_offer, unique_email
from tests.reach.reach import affiliate

SDP = "application/sdp"
ACTORS = ("anonymous", "viewer", "foreign_host", "other_merchant", "own_host", "owner", "affiliate")


@dataclass
class World:
    api: Api
    actors: dict[str, Actor | None]

    @property
    def owner(self) -> Actor:
        actor = self.actors["owner"]
        assert actor
        return actor


async def make_world(api: Api) -> World:
    owner, other = await api.merchant("Owner"), await api.merchant("Other")
    return World(api, {
        "anonymous": None,
        "viewer": await api.viewer(),
        "foreign_host": await api.host(other),
        "other_merchant": other,
        "own_host": await api.host(owner),
        "owner": owner,
        "affiliate": await paying_affiliate(api, owner),
    })


async def paying_affiliate(api: Api, owner: Actor) -> Actor:
    """An affiliate of the owner with a saved payment method (an affiliate may buy like a viewer)."""
    _, account = await affiliate(api, owner)
    _, body = await api.call("PATCH", "/api/viewers/me", account, json={"payment_method": "pm_card_visa"}, expect=200)
    return Actor(body["token"], body["viewer"])


Target = dict[str, str]
Prepare = Callable[[World], Awaitable[Target]]


async def nothing(world: World) -> Target:
    return {}


async def a_product(world: World) -> Target:
    return {"product": (await world.api.product(world.owner))["id"]}


async def a_show(world: World) -> Target:
    show = await world.api.show(world.owner, world.actors["own_host"])
    product = await world.api.product(world.owner)
    return {"show": show["id"], "product": product["id"]}


async def a_show_with_offer(world: World) -> Target:
    target = await a_show(world)
    offer = await world.api.offer(world.owner, target["show"], target["product"])
    return {**target, "offer": offer["id"]}


async def a_live_show(world: World) -> Target:
    target = await a_show(world)
    await world.api.call("POST", f"/api/shows/{target['show']}/start", world.owner, expect=200)
    return target


async def a_live_show_with_offer(world: World) -> Target:
    target = await a_show_with_offer(world)
    await world.api.call("POST", f"/api/shows/{target['show']}/start", world.owner, expect=200)
    return target


async def a_live_show_with_message(world: World) -> Target:
    target = await a_live_show(world)
    writer = await world.api.viewer("Writer")
    _, message = await world.api.call("POST", f"/api/shows/{target['show']}/chat", writer, json={"text": "hello"},
                                      expect=201)
    return {**target, "message": message["id"]}


async def a_live_show_and_viewer(world: World) -> Target:
    target = await a_live_show(world)
    return {**target, "target": (await world.api.viewer("Target")).id}


async def a_live_show_and_offer(world: World) -> Target:
    return {**await a_live_show(world), "sdp": await sdp_offer("sendonly")}


async def a_publishing_show(world: World) -> Target:
    """A live show whose host (the owner) has a WHIP session: 'session' is its id."""
    target = await a_live_show_and_offer(world)
    _, answer = await world.api.call("POST", f"/api/shows/{target['show']}/whip", world.owner, data=target["sdp"],
                                     headers={"Content-Type": SDP}, expect=201)
    mid = next(line[6:] for line in str(answer).splitlines() if line.startswith("a=mid:"))
    fragment = f"m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:{mid}\r\na=candidate:1 1 udp 2130706431 192.0.2.9 9 typ host"
    sessions = world.api.client.app[media_key].sessions
    session = next(s for s in sessions.values() if s.show_id == target["show"])
    return {**target, "session": session.id, "fragment": fragment}


async def an_affiliate(world: World) -> Target:
    _, body = await world.api.call("POST", "/api/merchants/me/affiliates", world.owner, json={
        "display_name": "A", "email": unique_email("a"), "password": "affiliate-pass-1"}, expect=201)
    return {"affiliate": body["affiliate"]["id"]}


def starts() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


Body = Callable[[Target, Actor | None], Any]


@dataclass
class Case:
    method: str
    path: str
    prepare: Prepare
    body: Body | None
    allowed: frozenset[str]
    content_type: str | None = None  # the body is text of this type, not JSON
    headers: dict[str, str] | None = None


MERCHANTS = frozenset({"owner", "other_merchant"})
OWNER = frozenset({"owner"})
STAFF = frozenset({"owner", "own_host"})
SIGNED_IN = frozenset(ACTORS) - {"anonymous"}

CASES = [
    Case("POST", "/api/merchants/me/hosts", nothing,
         lambda t, a: {"display_name": "H", "email": unique_email("h"), "password": "host-password-1"}, MERCHANTS),
    Case("PATCH", "/api/viewers/me", nothing, lambda t, a: {"display_name": "New name"},
         frozenset({"viewer", "affiliate"})),
    Case("POST", "/api/products", nothing,
         lambda t, a: {"sku": f"S{secrets.token_hex(3)}", "title": "T", "price_cents": 1, "currency": "USD"},
         MERCHANTS),
    Case("PATCH", "/api/products/{product}", a_product, lambda t, a: {"title": "Changed"}, OWNER),
    Case("DELETE", "/api/products/{product}", a_product, None, OWNER),
    Case("POST", "/api/shows", nothing,
         lambda t, a: {"title": "S", "starts_at": starts(), "host_id": a.id if a else "usr_0"}, MERCHANTS),
    Case("PATCH", "/api/shows/{show}", a_show, lambda t, a: {"title": "Renamed"}, OWNER),
    Case("POST", "/api/shows/{show}/offers", a_show,
         lambda t, a: {"product_id": t["product"], "price_cents": 100, "stock": 1, "per_buyer_limit": 1}, OWNER),
    Case("PATCH", "/api/shows/{show}/offers/{offer}", a_show_with_offer, lambda t, a: {"price_cents": 5}, OWNER),
    Case("DELETE", "/api/shows/{show}/offers/{offer}", a_show_with_offer, None, OWNER),
    Case("POST", "/api/shows/{show}/start", a_show, None, STAFF),
    Case("POST", "/api/shows/{show}/end", a_live_show, None, STAFF),
    Case("POST", "/api/shows/{show}/orders", a_live_show_with_offer,
         lambda t, a: {"offer_id": t["offer"], "quantity": 1}, frozenset({"viewer", "affiliate"}),
         headers={"Idempotency-Key": "tap-1"}),
    # The live room (live/api/room.py).
    Case("POST", "/api/shows/{show}/cards", a_live_show_with_offer, lambda t, a: {"offer_id": t["offer"]}, STAFF),
    Case("DELETE", "/api/shows/{show}/cards/current", a_live_show, None, STAFF),
    Case("POST", "/api/shows/{show}/offers/{offer}/deal", a_live_show_with_offer,
         lambda t, a: {"duration_seconds": 60}, STAFF),
    Case("DELETE", "/api/shows/{show}/offers/{offer}/deal", a_live_show_with_offer, None, STAFF),
    Case("POST", "/api/shows/{show}/chat", a_live_show, lambda t, a: {"text": "hi"}, SIGNED_IN),
    Case("PATCH", "/api/shows/{show}/chat", a_show, lambda t, a: {"slow_mode_seconds": 5}, STAFF),
    Case("DELETE", "/api/shows/{show}/chat/{message}", a_live_show_with_message, None, STAFF),
    Case("POST", "/api/shows/{show}/moderation", a_live_show_and_viewer,
         lambda t, a: {"user_id": t["target"], "action": "mute"}, STAFF),
    Case("PUT", "/api/merchants/me/blocked-words", nothing, lambda t, a: {"words": ["spam"]}, MERCHANTS),
    Case("GET", "/api/shows/{show}/sales", a_live_show_with_offer, None, STAFF),  # the studio's counters
    Case("POST", "/api/shows/{show}/whip", a_live_show_and_offer, lambda t, a: t["sdp"], STAFF, SDP),
    Case("PATCH", "/api/shows/{show}/whip/{session}", a_publishing_show, lambda t, a: t["fragment"], STAFF,
         "application/trickle-ice-sdpfrag"),
    Case("DELETE", "/api/shows/{show}/whip/{session}", a_publishing_show, None, STAFF),
    # Reads that only the show's staff may make.
    Case("GET", "/api/shows/{show}/results", a_show, None, STAFF),
    # Reach: affiliates, their ledger and payouts (live/api/affiliates.py).
    Case("POST", "/api/merchants/me/affiliates", nothing,
         lambda t, a: {"display_name": "A", "email": unique_email("a"), "password": "affiliate-pass-1"}, MERCHANTS),
    Case("GET", "/api/merchants/me/affiliates", nothing, None, MERCHANTS),
    Case("PATCH", "/api/merchants/me/affiliates/{affiliate}", an_affiliate,
         lambda t, a: {"commission": {"percent": 5}}, OWNER),
    Case("DELETE", "/api/merchants/me/affiliates/{affiliate}", an_affiliate, None, OWNER),
    Case("GET", "/api/merchants/me/affiliates/{affiliate}/ledger", an_affiliate, None, OWNER),
    Case("GET", "/api/merchants/me/affiliates/payouts.csv", nothing, None, MERCHANTS),
    Case("GET", "/api/affiliates/me", nothing, None, frozenset({"affiliate"})),
    Case("GET", "/api/affiliates/me/ledger", nothing, None, frozenset({"affiliate"})),
]


def _community_cases() -> list[Case]:
    """Community and trust (live/api/reviews, questions, experts, complaints, signin)."""
    from tests.api import community_targets as ct

    viewer, buyer_or_owner = frozenset({"viewer"}), frozenset({"viewer", "owner"})
    return [
        Case("POST", "/api/products/{product}/reviews", ct.a_product_the_viewer_bought,
             lambda t, a: {"rating": 5, "body": "Good"}, viewer),
        Case("PATCH", "/api/reviews/{review}", ct.the_viewers_review, lambda t, a: {"rating": 4}, viewer),
        Case("POST", "/api/reviews/{review}/votes", ct.someone_elses_review, lambda t, a: {"helpful": True}, viewer),
        Case("POST", "/api/reviews/{review}/reply", ct.someone_elses_review, lambda t, a: {"text": "Thanks"}, OWNER),
        Case("POST", "/api/reviews/{review}/report", ct.someone_elses_review, lambda t, a: {"reason": "Rude"}, OWNER),
        Case("POST", "/api/products/{product}/questions", a_product, lambda t, a: {"text": "Size?"}, SIGNED_IN),
        Case("POST", "/api/questions/{question}/answers", ct.a_question_the_viewer_can_answer,
             lambda t, a: {"text": "Yes"}, STAFF | viewer),
        Case("POST", "/api/shows/{show}/answering", ct.a_live_chat_question,
             lambda t, a: {"message_id": t["message"]}, STAFF),
        Case("PUT", "/api/merchants/me/experts/{target}", ct.a_customer, None, MERCHANTS),
        Case("DELETE", "/api/merchants/me/experts/{target}", ct.a_customer, None, MERCHANTS),
        Case("PUT", "/api/merchants/me/community-settings", nothing,
             lambda t, a: {"expert_min_orders": 2, "expert_min_helpful": 1}, MERCHANTS),
        Case("POST", "/api/orders/{order}/issues", ct.a_product_the_viewer_bought,
             lambda t, a: {"kind": "damaged", "text": "Broken"}, viewer),
        Case("GET", "/api/order-issues/{issue}", ct.the_viewers_complaint, None, buyer_or_owner),
        Case("POST", "/api/order-issues/{issue}/messages", ct.the_viewers_complaint, lambda t, a: {"text": "Hi"},
             buyer_or_owner),
        Case("POST", "/api/order-issues/{issue}/resolve", ct.the_viewers_complaint, lambda t, a: {"refund_cents": 1},
             OWNER),
        Case("POST", "/api/order-issues/{issue}/decline", ct.the_viewers_complaint, lambda t, a: {"reason": "No"},
             OWNER),
        Case("PUT", "/api/viewers/me/credentials", nothing,
             lambda t, a: {"email": unique_email("v"), "password": "pass-word-1"}, viewer),
    ]


CASES += _community_cases()

# Writes anyone may make: sign-up, log-in/out, viewer registration, watching a live show (a WHEP session's
# unguessable URL is the credential that changes or ends it; tests/streams/test_whep.py checks those rules).
# The payment webhook is authenticated by its signature instead (tests/commerce/test_payments.py).
PUBLIC_WRITES = {("POST", "/api/merchants"), ("POST", "/api/sessions"), ("DELETE", "/api/sessions"),
                 ("POST", "/api/viewers"), ("POST", "/api/shows/{show}/whep"),
                 ("PATCH", "/api/shows/{show}/whep/{session}"), ("DELETE", "/api/shows/{show}/whep/{session}"),
                 ("POST", "/api/payments/webhook")}


def _template(path: str) -> str:
    """'/api/shows/{show_id}/offers' and '/api/shows/{show}/offers' compare equal."""
    import re

    return re.sub(r"{[^}]+}", "{}", path)


async def test_every_mutating_endpoint_is_in_the_matrix(client) -> None:
    declared = {(ep.method, _template(ep.path)) for ep in client.app[endpoints_key] if ep.method != "GET"}
    covered = {(c.method, _template(c.path)) for c in CASES} | {(m, _template(p)) for m, p in PUBLIC_WRITES}
    assert declared - covered == set(), "add these endpoints to the authorization matrix"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
async def test_matrix(api: Api, case: Case) -> None:
    world = await make_world(api)
    for name in ACTORS:
        actor = world.actors[name]
        target = await case.prepare(world)
        path = case.path.format(**target)
        body = case.body(target, actor) if case.body else None
        if case.content_type:
            status, answer = await api.call(case.method, path, actor, data=body,
                                            headers={**(case.headers or {}), "Content-Type": case.content_type})
        else:
            status, answer = await api.call(case.method, path, actor, json=body, headers=case.headers)
        if name in case.allowed:
            assert status < 300, f"{name} should be allowed: {status} {answer}"
        else:
            expected = 401 if actor is None else 403
            assert status == expected, f"{name}: expected {expected}, got {status} {answer}"
            assert set(answer["error"]) >= {"code", "message"}
