"""A show's results for the merchant's dashboard (and the show's host)."""

from __future__ import annotations

from live import results
from live.api.routing import ApiRouter, Call
from live.reach import reports
from live.schemas.results import ShowResults
from live.shows import lifecycle

router = ApiRouter("results")


@router.get("/api/shows/{show_id}/results", summary="A show's results: viewers, orders, revenue, conversion",
            roles=("merchant", "host"), response=ShowResults)
async def show_results(call: Call[None, None]) -> ShowResults:
    async with call.session() as session:
        show = await lifecycle.staff_show(session, call.user, call.path("show_id"))
        out = await results.show_results(session, show)
        out.by_source = await reports.by_source(session, call.redis, call.redis_keys, show)
        return out
