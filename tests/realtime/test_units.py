"""The room's plain functions, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from live.errors import DomainError
from live.realtime import cards, chat, protocol, reactions
from live.realtime.staff import latest_changes
from live.schemas.shows import OfferOut


def test_blocked_words_match_whole_words_and_phrases() -> None:
    blocked = chat.normalize_blocked(["Spam", "buy now", "SPAM", "!!", "Crème"])
    assert blocked == ["spam", "buy now", "crème"]
    assert chat.find_blocked("this is SPAM.", blocked) == "spam"
    assert chat.find_blocked("Buy\tnow, please", blocked) == "buy now"
    assert chat.find_blocked("ｓｐａｍ", blocked) == "spam"  # full-width letters
    assert chat.find_blocked("CRÈME brûlée", blocked) == "crème"
    for fine in ["spammer", "class", "buy it now", "now buy", ""]:
        assert chat.find_blocked(fine, blocked) is None, fine


def test_staff_get_each_order_once_per_send_in_its_latest_state() -> None:
    a_reserved, b_reserved = {"id": "a", "status": "reserved"}, {"id": "b", "status": "reserved"}
    a_paid, b_failed = {"id": "a", "status": "paid"}, {"id": "b", "status": "payment_failed"}
    assert latest_changes([a_reserved, b_reserved, a_paid]) == [a_paid, b_reserved]
    assert latest_changes([b_failed, a_reserved, b_reserved]) == [b_failed, a_reserved]  # a late 'reserved'


def test_reactions_are_read_once_the_second_is_complete() -> None:
    assert reactions.due_second(100.4) == 98
    assert reactions.due_second(100.6) == 99
    times: list[float] = []
    assert all(reactions.allow(times, 10.0 + i * 0.01) for i in range(reactions.PER_SOCKET_PER_SECOND))
    assert not reactions.allow(times, 10.5)
    assert reactions.allow(times, 11.2)
    counter = reactions.ReactionCounter()
    counter.add("s", "heart", 5.2)
    counter.add("s", "heart", 5.9)
    counter.add("s", "fire", 6.1)
    assert counter.take("s") == {5: {"heart": 2}, 6: {"fire": 1}}
    assert counter.take("s") == {}


def test_payloads_are_validated_like_http_bodies() -> None:
    assert protocol.parse(protocol.ShowRef, {"show_id": "shw_0a"}).show_id == "shw_0a"
    for bad in [None, "x", [1], {"show_id": 1}, {"show_id": "shw_0a", "more": 1}, {"show_id": "SHW"}]:
        with pytest.raises(DomainError) as err:
            protocol.parse(protocol.ShowRef, bad)
        assert err.value.code == "validation_error" and err.value.status == 422
    ends = datetime(2030, 1, 1, tzinfo=UTC)
    card = protocol.parse(protocol.SocketCardIn,
                          {"show_id": "shw_0a", "offer_id": "off_0b", "deal_ends_at": ends.isoformat()})
    assert card.deal_ends_at == ends and card.pinned is False
    with pytest.raises(DomainError):
        protocol.parse(protocol.SocketCardIn,
                       {"show_id": "shw_0a", "offer_id": "off_0b", "deal_ends_at": "2030-01-01T00:00:00"})


def test_a_card_is_on_sale_inside_its_window_of_a_live_show() -> None:
    now = datetime.now(UTC)
    base = OfferOut(id="off_1", show_id="shw_1", product_id="prd_1", position=0, title="T", description="",
                    image_url=None, list_price_cents=200, price_cents=100, currency="USD", stock=5, remaining=5,
                    per_buyer_limit=1, sale_starts_at=None, sale_ends_at=None)
    assert cards.on_sale("live", base, now)
    assert not cards.on_sale("scheduled", base, now)
    assert not cards.on_sale("live", base.model_copy(update={"sale_ends_at": now}), now)
    assert not cards.on_sale("live", base.model_copy(update={"sale_starts_at": now + timedelta(seconds=1)}), now)
    state = cards.CardState("off_1", True, now)
    assert cards.CardState.from_json(state.to_json()) == state
    assert cards.CardState.from_json(None) is None
    card = cards.render(base, state, "live", 3, now)
    assert card.remaining == 3 and card.pinned and card.on_sale and card.deal_ends_at is None
