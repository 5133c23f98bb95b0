"""The history checker catches each broken promise on a hand-made history, and passes a good one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults.history import History, check

STOCK = {"o1": 2}


def order(order_id: str, buyer: str, key: str, status: str = "paid", quantity: int = 1,
          offer: str = "o1") -> dict[str, Any]:
    return {"id": order_id, "buyer_id": buyer, "offer_id": offer, "idempotency_key": key,
            "quantity": quantity, "status": status}


def tap(h: History, buyer: str, key: str, status: int, order_id: str | None = None, quantity: int = 1) -> None:
    h.record("reserve", status=status, buyer=buyer, key=key, offer="o1", quantity=quantity, order_id=order_id)


def good() -> tuple[History, list[dict[str, Any]]]:
    h = History()
    tap(h, "b1", "k1", 201, "A")
    tap(h, "b1", "k1", 200, "A")  # a retry of the same key: the same order
    tap(h, "b2", "k2", 201, "B")
    tap(h, "b3", "k3", 409)  # sold out
    tap(h, "b4", "k4", 503)  # trouble on our side, said honestly
    h.record("pay", status="succeeded", order_id="A")
    h.record("pay", status="succeeded", order_id="B")
    return h, [order("A", "b1", "k1"), order("B", "b2", "k2")]


def test_a_good_history_passes() -> None:
    h, rows = good()
    assert check(h, stock=STOCK, sql_orders=rows, limit=1, remaining={"o1": 0}) == []


def test_a_500_is_caught() -> None:
    h, rows = good()
    tap(h, "b5", "k5", 500)
    assert any("answered 500" in p for p in check(h, stock=STOCK, sql_orders=rows))


def test_two_orders_for_one_key_are_caught_in_answers_and_in_sql() -> None:
    h, rows = good()
    tap(h, "b1", "k1", 200, "C")
    rows.append(order("C", "b1", "k1", status="expired"))
    problems = check(h, stock=STOCK, sql_orders=rows)
    assert any("was answered with 2 orders" in p for p in problems)
    assert any("has 2 orders in SQL" in p for p in problems)


def test_an_acknowledged_order_missing_from_sql_is_caught_unless_reconcile_named_it() -> None:
    h, rows = good()
    rows = rows[:1]
    problems = check(h, stock=STOCK, sql_orders=rows)
    assert any("acknowledged order B" in p for p in problems)
    assert not any("acknowledged order B" in p for p in check(h, stock=STOCK, sql_orders=rows, excused={"B"}))


def test_an_order_stored_unlike_its_answer_is_caught() -> None:
    h, rows = good()
    rows[1]["quantity"] = 2
    assert any("quantity is 2 in SQL" in p for p in check(h, stock={"o1": 3}, sql_orders=rows))


def test_overselling_is_caught() -> None:
    h, rows = good()
    tap(h, "b6", "k6", 201, "D")
    rows.append(order("D", "b6", "k6", status="reserved"))
    assert any("oversold: 3 units held of stock 2" in p for p in check(h, stock=STOCK, sql_orders=rows))


def test_stock_not_returned_after_expiry_is_caught() -> None:
    h, rows = good()
    rows[1]["status"] = "expired"
    h.record("expire", status="expired", order_id="B")
    h.events = [e for e in h.events if not (e.op == "pay" and e.order_id == "B")]
    assert check(h, stock=STOCK, sql_orders=rows, remaining={"o1": 1}) == []
    assert any("expired stock not returned" in p for p in check(h, stock=STOCK, sql_orders=rows,
                                                                 remaining={"o1": 0}))


def test_a_buyer_over_the_limit_is_caught() -> None:
    h, rows = good()
    rows[1]["buyer_id"] = "b1"
    rows[1]["idempotency_key"] = "k9"
    assert any("holds 2 of offer o1, over the limit of 1" in p
               for p in check(h, stock=STOCK, sql_orders=rows, limit={"o1": 1}))


def test_a_charge_on_an_expired_order_is_caught_unless_refunded() -> None:
    h, rows = good()
    rows[1]["status"] = "expired"
    problems = check(h, stock=STOCK, sql_orders=rows)
    assert any("order B was charged but ended expired" in p for p in problems)
    h.record("refund", status="refunded", order_id="B")
    assert check(h, stock=STOCK, sql_orders=rows) == []


def test_an_order_seen_expired_that_ends_paid_is_caught() -> None:
    h, rows = good()
    h.record("expire", status="expired", order_id="A")
    assert any("seen expired, then ended paid" in p for p in check(h, stock=STOCK, sql_orders=rows))


def test_unknown_ops_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown op"):
        History().record("teleport", status=200)
