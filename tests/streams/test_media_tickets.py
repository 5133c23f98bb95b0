"""A media node takes a ticket (the query of a placement redirect) once, and only for its own show, action
and node: the ticket is what stands in for the Authorization header a cross-origin redirect drops."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from live.config import Settings
from live.keys import this_node_key
from live.tickets import TicketService
from tests.helpers import Api, sdp_offer
from tests.streams.conftest import LiveShow

SDP = {"Content-Type": "application/sdp"}


async def test_a_ticket_is_good_once_and_only_here(api: Api, live_show: LiveShow, client: TestClient,
                                                 settings: Settings) -> None:
    tickets = TicketService(settings.resolved_secret_key())
    here = client.app[this_node_key].id
    for token, why in ((tickets.issue(live_show.id, "watch", "another-node", None), "for another node"),
                       (tickets.issue("shw_other", "watch", here, None), "for another show"),
                       (tickets.issue(live_show.id, "publish", here, None), "for publishing"),
                       (TicketService("x" * 40).issue(live_show.id, "watch", here, None), "forged")):
        async with client.post(f"/api/shows/{live_show.id}/whep?ticket={token}",
                               data=await sdp_offer("recvonly"), headers=SDP) as response:
            assert response.status == 403, why
            assert (await response.json())["error"]["code"] == "invalid_ticket"
    token = tickets.issue(live_show.id, "watch", here, None)
    async with client.post(f"/api/shows/{live_show.id}/whep?ticket={token}", data=await sdp_offer("recvonly"),
                           headers=SDP) as response:
        first = response.status
    async with client.post(f"/api/shows/{live_show.id}/whep?ticket={token}", data=await sdp_offer("recvonly"),
                           headers=SDP) as response:
        assert (first, response.status) == (201, 403), "a ticket is for one call"
