"""Verified-buyer reviews: who may review, once, editing, votes, the merchant's reply and report (never a
delete), blocked words, the summary and sorting, and the card's rating."""

from __future__ import annotations

from tests.community import purchase, review
from tests.helpers import Api


async def test_only_a_buyer_with_a_paid_order_may_review(api: Api) -> None:
    p = await purchase(api)
    stranger = await api.viewer("Stranger")
    status, body = await api.call("POST", f"/api/products/{p.product_id}/reviews", stranger,
                                  json={"rating": 5, "body": "I never bought it"})
    assert status == 403 and body["error"]["code"] == "not_a_buyer"
    status, body = await api.call("POST", f"/api/products/{p.product_id}/reviews", p.merchant,
                                  json={"rating": 5, "body": "My own product is great"})
    assert status == 403
    declined = await api.viewer("Declined", payment_method="pm_card_declined")
    await api.tap(declined, p.show["id"], p.offer["id"])
    status, body = await api.call("POST", f"/api/products/{p.product_id}/reviews", declined,
                                  json={"rating": 1, "body": "An order that was not paid"})
    assert status == 403 and body["error"]["code"] == "not_a_buyer"

    created = await review(api, p, rating=4, body="Fits well", title="Nice")
    assert created["verified_purchase"] is True and created["rating"] == 4 and created["title"] == "Nice"
    assert created["author"]["display_name"] == "Buyer" and "buyer" in created["author"]["badges"]
    assert created["edited_at"] is None and created["reply"] is None and created["helpful"] == 0


async def test_one_review_per_buyer_and_product_then_edit(api: Api) -> None:
    p = await purchase(api)
    first = await review(api, p, rating=2, body="Meh")
    status, body = await api.call("POST", f"/api/products/{p.product_id}/reviews", p.buyer,
                                  json={"rating": 5, "body": "Second try"})
    assert status == 409 and body["error"]["code"] == "already_reviewed"
    other = await api.viewer()
    status, body = await api.call("PATCH", f"/api/reviews/{first['id']}", other, json={"rating": 1})
    assert status == 403 and body["error"]["code"] == "not_author"
    _, edited = await api.call("PATCH", f"/api/reviews/{first['id']}", p.buyer, json={"rating": 4, "body": "Better"},
                               expect=200)
    assert edited["rating"] == 4 and edited["body"] == "Better" and edited["edited_at"]
    _, page = await api.call("GET", f"/api/products/{p.product_id}/reviews", expect=200)
    assert page["summary"]["count"] == 1 and page["summary"]["average"] == 4.0


async def test_votes_once_per_viewer_and_never_on_your_own(api: Api) -> None:
    p = await purchase(api)
    created = await review(api, p)
    path = f"/api/reviews/{created['id']}/votes"
    status, body = await api.call("POST", path, p.buyer, json={"helpful": True})
    assert status == 403 and body["error"]["code"] == "own_review"
    voters = [await api.viewer(f"V{i}") for i in range(3)]
    for voter in voters[:2]:
        _, counted = await api.call("POST", path, voter, json={"helpful": True}, expect=201)
    assert counted["helpful"] == 2
    _, counted = await api.call("POST", path, voters[2], json={"helpful": False}, expect=201)
    assert counted["helpful"] == 2
    status, body = await api.call("POST", path, voters[0], json={"helpful": True})
    assert status == 409 and body["error"]["code"] == "already_voted"
    _, page = await api.call("GET", f"/api/products/{p.product_id}/reviews", expect=200)
    assert page["reviews"][0]["helpful"] == 2


async def test_the_merchant_replies_once_and_reports_but_cannot_edit_hide_or_delete(api: Api) -> None:
    p = await purchase(api)
    created = await review(api, p, rating=1, body="Broke on day one")
    rid = created["id"]
    other = await api.merchant("Other")
    status, _ = await api.call("POST", f"/api/reviews/{rid}/reply", other, json={"text": "Not my product"})
    assert status == 403
    _, replied = await api.call("POST", f"/api/reviews/{rid}/reply", p.merchant, json={"text": "Sorry! Write to us."},
                                expect=201)
    assert replied["reply"]["text"] == "Sorry! Write to us."
    status, body = await api.call("POST", f"/api/reviews/{rid}/reply", p.merchant, json={"text": "Again"})
    assert status == 409 and body["error"]["code"] == "already_replied"
    _, reported = await api.call("POST", f"/api/reviews/{rid}/report", p.merchant, json={"reason": "Insults"},
                                 expect=200)
    assert reported["reported"] is True

    status, _ = await api.call("PATCH", f"/api/reviews/{rid}", p.merchant, json={"rating": 5})
    assert status == 403
    status, body = await api.call("DELETE", f"/api/reviews/{rid}", p.merchant)
    assert status == 405 and body["error"]["code"] == "method_not_allowed"
    _, page = await api.call("GET", f"/api/products/{p.product_id}/reviews", expect=200)
    assert [r["id"] for r in page["reviews"]] == [rid], "a reported review still shows"
    assert page["summary"] == {"average": 1.0, "count": 1, "histogram": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0}}
    _, mine = await api.call("GET", "/api/merchants/me/reviews", p.merchant, expect=200)
    assert mine["reviews"][0]["id"] == rid and mine["reviews"][0]["product_title"] == "Thing"
    assert mine["reviews"][0]["author_id"] == p.buyer.id, "the merchant may name the reviewer an expert"
    assert set(page["reviews"][0]["author"]) == {"display_name", "badges"}, "no account ids in public"


async def test_reviews_pass_the_merchants_blocked_words(api: Api) -> None:
    p = await purchase(api)
    await api.call("PUT", "/api/merchants/me/blocked-words", p.merchant, json={"words": ["scam"]}, expect=200)
    status, body = await api.call("POST", f"/api/products/{p.product_id}/reviews", p.buyer,
                                  json={"rating": 1, "body": "What a SCAM."})
    assert status == 422 and body["error"]["code"] == "blocked_words"
    status, body = await api.call("POST", f"/api/products/{p.product_id}/reviews", p.buyer,
                                  json={"rating": 1, "title": "scam", "body": "Bad"})
    assert status == 422 and body["error"]["code"] == "blocked_words"
    created = await review(api, p, rating=3, body="Scampi-coloured, fine")  # whole words only
    status, body = await api.call("PATCH", f"/api/reviews/{created['id']}", p.buyer, json={"body": "a scam"})
    assert status == 422 and body["error"]["code"] == "blocked_words"


async def test_summary_sorting_paging_and_the_card(api: Api) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=20, limit=1)
    from tests.community import Purchase, buy

    ids = []
    for i, rating in enumerate((5, 3, 4)):
        buyer = await api.viewer(f"B{i}")
        p = Purchase(owner, show, offer, buyer, await buy(api, buyer, show, offer))
        ids.append((await review(api, p, rating=rating, body=f"review {i}"))["id"])
    voter = await api.viewer("Voter")
    await api.call("POST", f"/api/reviews/{ids[1]}/votes", voter, json={"helpful": True}, expect=201)
    base = f"/api/products/{offer['product_id']}/reviews"
    _, page = await api.call("GET", base, expect=200)
    assert page["summary"]["average"] == 4.0 and page["summary"]["count"] == 3
    assert page["summary"]["histogram"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert [r["id"] for r in page["reviews"]] == ids[::-1]
    _, page = await api.call("GET", base + "?sort=rating", expect=200)
    assert [r["rating"] for r in page["reviews"]] == [5, 4, 3]
    _, page = await api.call("GET", base + "?sort=helpful", expect=200)
    assert page["reviews"][0]["id"] == ids[1]
    _, first = await api.call("GET", base + "?limit=2", expect=200)
    _, second = await api.call("GET", f"{base}?limit=2&cursor={first['next_cursor']}", expect=200)
    assert len(first["reviews"]) == 2 and [r["id"] for r in second["reviews"]] == [ids[0]]
    assert second["next_cursor"] is None
    status, body = await api.call("GET", base + "?cursor=nonsense!")
    assert status == 422 and body["error"]["code"] == "invalid_cursor"
    _, detail = await api.call("GET", f"/api/shows/{show['id']}", expect=200)
    assert detail["offers"][0]["rating"] == 4.0 and detail["offers"][0]["reviews"] == 3
