"""A Jepsen-style history of what clients asked and were told, and one checker of the order invariants.

Fault tests record every request and answer (a tap, a payment, an expiry, a refund) with its times, then
hand the history and the final SQL rows to ``check``. The checker judges only what a user could have
relied on: an answer they were given, and what the durable store holds at the end.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Op = Literal["reserve", "pay", "refund", "expire"]
OPS: tuple[str, ...] = ("reserve", "pay", "refund", "expire")
HOLDING = ("reserved", "paid")  # order states that hold stock and count towards a buyer's limit
ACKNOWLEDGED = (200, 201)  # 201 a new order, 200 the same order again for a repeated Idempotency-Key


@dataclass(slots=True)
class Event:
    """One request and its answer. ``status`` is the HTTP status for a tap, and for pay/refund/expire the
    outcome as the test saw it ("succeeded", "failed", "refunded", "expired")."""

    op: str
    status: int | str
    t0: float
    t1: float
    key: str | None = None
    buyer: str | None = None
    offer: str | None = None
    quantity: int | None = None
    order_id: str | None = None
    code: str | None = None


@dataclass
class History:
    events: list[Event] = field(default_factory=list)

    def record(self, op: str, *, status: int | str, t0: float | None = None, t1: float | None = None,
               **fields: Any) -> Event:
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}; one of {OPS}")
        now = time.monotonic()
        event = Event(op=op, status=status, t0=now if t0 is None else t0, t1=now if t1 is None else t1, **fields)
        self.events.append(event)
        return event

    def of(self, op: str) -> list[Event]:
        return [e for e in self.events if e.op == op]

    def acknowledged(self) -> list[Event]:
        """Taps the server said yes to, with the order id it gave."""
        return [e for e in self.of("reserve") if e.status in ACKNOWLEDGED and e.order_id]

    def dump(self, path: Path) -> None:
        """Keep the history beside a failing test's artifacts, one JSON object a line."""
        with path.open("w") as out:
            for event in self.events:
                out.write(json.dumps(asdict(event)) + "\n")


def as_row(order: Any) -> dict[str, Any]:
    """An ORM ``Order`` (or a dict) as the plain fields the checker reads."""
    if isinstance(order, Mapping):
        return dict(order)
    return {name: getattr(order, name) for name in
            ("id", "buyer_id", "offer_id", "idempotency_key", "quantity", "status")}


def check(history: History, *, stock: Mapping[str, int], sql_orders: Iterable[Any],
          limit: Mapping[str, int] | int | None = None, remaining: Mapping[str, int] | None = None,
          excused: Collection[str] = ()) -> list[str]:
    """Every broken promise, as one line each (empty: the history is fine).

    ``stock`` is what each offer was given; ``remaining`` (optional) is its counter at the end, to prove
    that expired stock came back; ``excused`` are acknowledged order ids that ``live reconcile`` named as
    unrecoverable (the data-loss case), which must not be counted as silently lost.
    """
    rows = [as_row(o) for o in sql_orders]
    by_id = {row["id"]: row for row in rows}
    problems: list[str] = []
    problems += _no_server_errors(history)
    problems += _one_order_per_key(history, rows)
    problems += _acknowledged_persisted(history, by_id, set(excused))
    problems += _not_oversold(rows, stock, remaining)
    problems += _within_limits(rows, limit)
    problems += _charges_settled(history, by_id)
    return problems


def _no_server_errors(history: History) -> list[str]:
    """Trouble on our side is a 503 with Retry-After, never a 500."""
    return [f"{e.op} key={e.key} answered {e.status}" for e in history.events
            if isinstance(e.status, int) and e.status >= 500 and e.status != 503]


def _one_order_per_key(history: History, rows: list[dict[str, Any]]) -> list[str]:
    problems = []
    answers: dict[tuple[str | None, str | None], set[str]] = defaultdict(set)
    for e in history.acknowledged():
        answers[(e.buyer, e.key)].add(e.order_id or "")
    for (buyer, key), ids in answers.items():
        if len(ids) > 1:
            problems.append(f"buyer {buyer} key {key} was answered with {len(ids)} orders: {sorted(ids)}")
    stored: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in rows:
        stored[(row["buyer_id"], row["idempotency_key"])].append(row["id"])
    for (buyer, key), rows_ids in stored.items():
        if len(rows_ids) > 1:
            problems.append(f"buyer {buyer} key {key} has {len(rows_ids)} orders in SQL: {sorted(rows_ids)}")
    return problems


def _acknowledged_persisted(history: History, by_id: Mapping[str, dict[str, Any]], excused: set[str]) -> list[str]:
    problems = []
    for e in history.acknowledged():
        row = by_id.get(e.order_id or "")
        if row is None:
            if e.order_id not in excused:
                problems.append(f"acknowledged order {e.order_id} (buyer {e.buyer}, key {e.key}) is not in SQL")
            continue
        told = {"buyer_id": e.buyer, "offer_id": e.offer, "quantity": e.quantity, "idempotency_key": e.key}
        for name, value in told.items():
            if value is not None and row[name] != value:
                problems.append(f"order {e.order_id}: {name} is {row[name]!r} in SQL, the buyer was told {value!r}")
    return problems


def _not_oversold(rows: list[dict[str, Any]], stock: Mapping[str, int],
                  remaining: Mapping[str, int] | None) -> list[str]:
    problems = []
    held: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["status"] in HOLDING:
            held[row["offer_id"]] += int(row["quantity"])
    for offer, units in held.items():
        if offer not in stock:
            problems.append(f"offer {offer} has orders but no known stock")
        elif units > stock[offer]:
            problems.append(f"offer {offer} oversold: {units} units held of stock {stock[offer]}")
    for offer, left in (remaining or {}).items():
        if left + held[offer] != stock.get(offer):
            problems.append(f"offer {offer}: {left} left + {held[offer]} held != stock {stock.get(offer)} "
                            "(expired stock not returned, or units leaked)")
    return problems


def _within_limits(rows: list[dict[str, Any]], limit: Mapping[str, int] | int | None) -> list[str]:
    if limit is None:
        return []
    bought: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        if row["status"] in HOLDING:
            bought[(row["buyer_id"], row["offer_id"])] += int(row["quantity"])
    problems = []
    for (buyer, offer), units in bought.items():
        cap = limit if isinstance(limit, int) else limit.get(offer)
        if cap is not None and units > cap:
            problems.append(f"buyer {buyer} holds {units} of offer {offer}, over the limit of {cap}")
    return problems


def _charges_settled(history: History, by_id: Mapping[str, dict[str, Any]]) -> list[str]:
    """A card charged is an order paid, or money given back; never a charge on an order that expired."""
    refunded = {e.order_id for e in history.of("refund") if e.status in ("refunded", "succeeded")}
    problems = []
    for e in history.of("pay"):
        if e.status != "succeeded" or e.order_id in refunded:
            continue
        row = by_id.get(e.order_id or "")
        if row is None:
            problems.append(f"order {e.order_id} was charged but is not in SQL")
        elif row["status"] != "paid":
            problems.append(f"order {e.order_id} was charged but ended {row['status']} without a refund")
    for e in history.of("expire"):
        row = by_id.get(e.order_id or "")
        if row is not None and row["status"] == "paid" and e.order_id not in refunded:
            problems.append(f"order {e.order_id} was seen expired, then ended paid")
    return problems
