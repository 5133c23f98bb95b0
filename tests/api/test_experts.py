"""Expert customers and their badge: earned (paid orders and helpful votes, the merchant's thresholds),
named or revoked by the merchant; and the Bayesian rankings."""

from __future__ import annotations

from tests.community import Purchase, buy, purchase, review
from tests.helpers import Actor, Api


async def test_an_expert_is_earned_by_orders_and_helpful_votes(api: Api) -> None:
    p = await purchase(api, stock=20, limit=5)
    await api.call("PUT", "/api/merchants/me/community-settings", p.merchant,
                   json={"expert_min_orders": 2, "expert_min_helpful": 1}, expect=200)
    created = await review(api, p)
    _, before = await api.call("GET", "/api/merchants/me/experts", p.merchant, expect=200)
    assert before["experts"] == []
    await buy(api, p.buyer, p.show, p.offer)
    voter = await api.viewer()
    await api.call("POST", f"/api/reviews/{created['id']}/votes", voter, json={"helpful": True}, expect=201)
    _, after = await api.call("GET", "/api/merchants/me/experts", p.merchant, expect=200)
    assert after["experts"] == [{"user_id": p.buyer.id, "display_name": "Buyer", "source": "earned",
                                 "paid_orders": 2, "helpful_votes": 1}]
    _, page = await api.call("GET", f"/api/products/{p.product_id}/reviews", expect=200)
    assert "expert" in page["reviews"][0]["author"]["badges"]

    await api.call("DELETE", f"/api/merchants/me/experts/{p.buyer.id}", p.merchant, expect=204)
    _, revoked = await api.call("GET", "/api/merchants/me/experts", p.merchant, expect=200)
    assert revoked["experts"] == []
    _, settings = await api.call("GET", "/api/merchants/me/community-settings", p.merchant, expect=200)
    assert settings == {"expert_min_orders": 2, "expert_min_helpful": 1}


async def test_the_merchant_names_an_expert(api: Api) -> None:
    owner = await api.merchant()
    fan = await api.viewer("Fan")
    _, named = await api.call("PUT", f"/api/merchants/me/experts/{fan.id}", owner, expect=200)
    assert named["experts"][0]["user_id"] == fan.id and named["experts"][0]["source"] == "named"
    other = await api.merchant("Other")
    _, theirs = await api.call("GET", "/api/merchants/me/experts", other, expect=200)
    assert theirs["experts"] == [], "experts are per merchant"
    status, _ = await api.call("PUT", "/api/merchants/me/experts/usr_00000000000000000000000", owner)
    assert status == 404
    status, _ = await api.call("PUT", f"/api/merchants/me/experts/{owner.id}", owner)
    assert status == 404, "only customers are experts"


async def _reviews(api: Api, owner: Actor, ratings: list[int]) -> str:
    """A product in a live show, bought and reviewed once per rating; its id."""
    show, offer = await api.live_show(owner, stock=20, limit=1)
    for i, rating in enumerate(ratings):
        buyer = await api.viewer(f"B{i}")
        await review(api, Purchase(owner, show, offer, buyer, await buy(api, buyer, show, offer)), rating=rating)
    return str(offer["product_id"])


async def test_rankings_use_a_bayesian_average(api: Api) -> None:
    owner = await api.merchant()
    many = await _reviews(api, owner, [5, 5, 5, 5, 5, 4])  # 4.83 over six reviews
    lone = await _reviews(api, owner, [5])  # one 5-star review
    poor = await _reviews(api, owner, [1, 1])
    await api.product(owner)  # unrated
    _, ranked = await api.call("GET", f"/api/merchants/{owner.merchant_id}/rankings?by=rating", expect=200)
    top = ranked["products"]
    assert [r["product_id"] for r in top] == [many, lone, poor], "unrated products are not ranked"
    assert top[1]["rating"] == 5.0 > top[0]["rating"] == 4.83
    prior = (29 + 5 + 2) / 9  # the merchant's mean, weighted as five reviews
    assert top[0]["score"] == round((5 * prior + 29) / 11, 4) and top[1]["score"] == round((5 * prior + 5) / 6, 4)
    _, by_sales = await api.call("GET", f"/api/merchants/{owner.merchant_id}/rankings?by=sales&limit=1", expect=200)
    assert [(r["product_id"], r["units_sold"]) for r in by_sales["products"]] == [(many, 6)]
    _, by_reviews = await api.call("GET", f"/api/merchants/{owner.merchant_id}/rankings?by=reviews", expect=200)
    assert [r["reviews"] for r in by_reviews["products"]] == [6, 2, 1, 0]
    status, _ = await api.call("GET", "/api/merchants/mer_00000000000000000000000/rankings")
    assert status == 404
    status, _ = await api.call("GET", f"/api/merchants/{owner.merchant_id}/rankings?by=price")
    assert status == 422
