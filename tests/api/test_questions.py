"""Questions and answers: anyone signed in asks; the merchant, its hosts and buyers of the product answer
(labelled); answered questions list first."""

from __future__ import annotations

from tests.community import purchase
from tests.helpers import Api


async def test_who_may_answer_and_the_labels(api: Api) -> None:
    p = await purchase(api)
    host = await api.host(p.merchant)
    asker = await api.viewer("Asker")
    base = f"/api/products/{p.product_id}/questions"
    status, _ = await api.call("POST", base, json={"text": "Anonymous?"})
    assert status == 401
    _, first = await api.call("POST", base, asker, json={"text": "Does it run small?"}, expect=201)
    _, second = await api.call("POST", base, asker, json={"text": "Is it waterproof?"}, expect=201)
    assert first["author"]["display_name"] == "Asker" and first["answers"] == [] and first["answered_at"] is None

    path = f"/api/questions/{first['id']}/answers"
    for stranger in (await api.viewer("Stranger"), await api.merchant("Other"), await api.host(
            await api.merchant("Third"))):
        status, body = await api.call("POST", path, stranger, json={"text": "I guess"})
        assert status == 403 and body["error"]["code"] == "not_allowed_to_answer"
    await api.call("POST", path, p.buyer, json={"text": "A little"}, expect=201)
    await api.call("POST", path, host, json={"text": "Take one size up"}, expect=201)
    _, answered = await api.call("POST", path, p.merchant, json={"text": "Yes, half a size"}, expect=201)
    assert [a["label"] for a in answered["answers"]] == ["buyer", "host", "merchant"]
    assert "buyer" in answered["answers"][0]["author"]["badges"]
    assert answered["answers"][2]["author"]["badges"] == ["merchant"]
    assert answered["answered_at"]

    _, listed = await api.call("GET", base, expect=200)
    assert [q["id"] for q in listed["questions"]] == [first["id"], second["id"]], "answered first"
    _, inbox = await api.call("GET", "/api/merchants/me/questions?unanswered=true", p.merchant, expect=200)
    assert [q["id"] for q in inbox["questions"]] == [second["id"]]
    _, mine = await api.call("GET", "/api/me/questions", p.buyer, expect=200)
    assert [q["id"] for q in mine["questions"]] == [first["id"]], "a question the buyer answered"


async def test_questions_pass_blocked_words_and_need_a_real_product(api: Api) -> None:
    p = await purchase(api)
    await api.call("PUT", "/api/merchants/me/blocked-words", p.merchant, json={"words": ["rival shop"]}, expect=200)
    asker = await api.viewer()
    status, body = await api.call("POST", f"/api/products/{p.product_id}/questions", asker,
                                  json={"text": "Is it cheaper at Rival Shop?"})
    assert status == 422 and body["error"]["code"] == "blocked_words"
    status, body = await api.call("POST", "/api/products/prd_00000000000000000000000/questions", asker,
                                  json={"text": "Hello?"})
    assert status == 404
