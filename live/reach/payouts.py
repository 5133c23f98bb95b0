"""The payouts sheet: one row per affiliate (and currency) with what they earned and what refunds took
back in a period, for the merchant to pay them. The figures are the ledger's totals over the period's
entries, so the sheet and the ledger always agree."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from live.reach import affiliates, ledger

COLUMNS = ("affiliate_id", "code", "display_name", "email", "currency", "earned_cents", "reversed_cents",
           "net_cents", "pending_cents")


def _cell(text: str) -> str:
    """A spreadsheet must not run a name as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


async def csv_text(session: AsyncSession, merchant_id: str, start: datetime | None, end: datetime | None,
                   now: datetime, hold: timedelta) -> str:
    """Earned: commission past its hold period; reversed: taken back by refunds; net = earned - reversed
    (what to pay); pending: still in its hold period, paid in a later run. Entries created in [start, end)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    rows = await affiliates.list_affiliates(session, merchant_id)
    entries = await ledger.entries_of(session, [a.id for a, _ in rows], start, end)
    for affiliate, user in rows:
        mine = [e for e in entries if e.affiliate_id == affiliate.id]
        for currency in sorted({e.currency for e in mine}):
            sums = ledger.totals([e for e in mine if e.currency == currency], now, hold)
            writer.writerow((affiliate.id, affiliate.code, _cell(affiliate.display_name), _cell(user.email or ""),
                             currency,
                             sums.earned, sums.reversed, sums.net, sums.pending))
    return out.getvalue()
