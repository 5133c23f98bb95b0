"""Placement's choices over the nodes' heartbeats, and media tickets: what each may be used for."""

from __future__ import annotations

import pytest

from live.auth import Principal
from live.errors import Forbidden
from live.media_nodes import Node
from live.placement import NoMediaNode, choose_origin, choose_viewer_node
from live.tickets import Action, TicketService


def nodes(*specs: tuple[str, int, int, dict[str, int]]) -> dict[str, Node]:
    return {name: Node(name, f"http://{name}", capacity, load, relays) for name, capacity, load, relays in specs}


def test_the_origin_is_the_recorded_live_node_else_the_least_loaded() -> None:
    live = nodes(("a", 10, 5, {}), ("b", 10, 1, {}), ("c", 100, 20, {}))
    assert choose_origin(live, "a").id == "a", "the host's node stays the origin while it lives"
    assert choose_origin(live, "dead").id == "b", "a dead origin is replaced by the least occupied node"
    assert choose_origin(live, None).id == "b"
    with pytest.raises(NoMediaNode):
        choose_origin({}, None)


def test_viewers_fill_the_origin_then_an_edge_that_relays_then_the_least_loaded() -> None:
    live = nodes(("o", 2, 1, {}), ("e1", 2, 0, {}), ("e2", 2, 1, {"s": 1}))
    assert choose_viewer_node(live, live["o"], "s").id == "o", "the origin while it has room"
    live = nodes(("o", 2, 2, {}), ("e1", 2, 0, {}), ("e2", 2, 1, {"s": 1}))
    assert choose_viewer_node(live, live["o"], "s").id == "e2", "an edge already relaying, though busier"
    live = nodes(("o", 2, 2, {}), ("e1", 4, 1, {}), ("e2", 2, 2, {"s": 2}))
    assert choose_viewer_node(live, live["o"], "s").id == "e1", "the relaying edge is full: the least loaded"
    live = nodes(("o", 2, 2, {}), ("e1", 2, 2, {}))
    assert choose_viewer_node(live, live["o"], "s").id == "o", "all full: the origin decides (at_capacity)"


def test_a_ticket_is_bound_to_its_show_action_node_and_principal() -> None:
    tickets = TicketService("s" * 40)
    host = Principal("usr_1", "host", "mer_1", "Hana")
    token = tickets.issue("shw_1", "publish", "node-a", host)
    ticket = tickets.verify(token, "shw_1", ("publish",), "node-a")
    assert ticket.principal == host and ticket.action == "publish"
    cases: tuple[tuple[str, tuple[Action, ...], str], ...] = (
        ("shw_2", ("publish",), "node-a"), ("shw_1", ("watch", "pull"), "node-a"), ("shw_1", ("publish",), "node-b"))
    for show, actions, node in cases:
        with pytest.raises(Forbidden):
            tickets.verify(token, show, actions, node)
    with pytest.raises(Forbidden):
        TicketService("t" * 40).verify(token, "shw_1", ("publish",), "node-a")  # another deployment's key
    pull = tickets.issue("shw_1", "pull", "node-a", None)
    assert tickets.verify(pull, "shw_1", ("pull",), "node-a").principal is None


def test_a_ticket_expires() -> None:
    token = TicketService("s" * 40, ttl_seconds=-1).issue("shw_1", "watch", "node-a", None)  # issued long ago
    with pytest.raises(Forbidden):
        TicketService("s" * 40).verify(token, "shw_1", ("watch",), "node-a")
