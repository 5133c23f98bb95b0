"""Affiliates: the people a merchant pays for the buyers they bring. Each signs in with an account of role
'affiliate' belonging to the merchant. Terms are kept as a history, so new terms apply to new orders only."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Affiliate, AffiliateTerms, User, utcnow
from live import accounts, policy
from live.auth import Principal
from live.errors import Forbidden, NotFound
from live.ids import new_id
from live.schemas.reach import AffiliateCreate, CommissionIn


@dataclass(frozen=True, slots=True)
class Terms:
    percent_bp: int  # basis points of the order amount: 1000 = 10%
    per_new_buyer_cents: int
    effective_at: datetime

    @property
    def percent(self) -> float:
        return self.percent_bp / 100


def basis_points(commission: CommissionIn) -> int:
    """The API's percent (two decimals at most) as integer basis points."""
    return round(commission.percent * 100)


def _terms_row(affiliate_id: str, commission: CommissionIn) -> AffiliateTerms:
    return AffiliateTerms(id=new_id("trm"), affiliate_id=affiliate_id, percent_bp=basis_points(commission),
                          per_new_buyer_cents=commission.per_new_buyer_cents, effective_at=utcnow())


async def create_affiliate(session: AsyncSession, merchant_id: str, data: AffiliateCreate) -> tuple[Affiliate, User]:
    user = await accounts.new_member(session, "affiliate", merchant_id, data.display_name, data.email, data.password)
    await session.flush()  # the user row first: the affiliate refers to it
    affiliate = Affiliate(id=new_id("aff"), merchant_id=merchant_id, user_id=user.id, code=secrets.token_hex(5),
                          display_name=data.display_name)
    session.add(affiliate)
    await session.flush()
    session.add(_terms_row(affiliate.id, data.commission))
    await accounts.commit_new(session)
    return affiliate, user


async def list_affiliates(session: AsyncSession, merchant_id: str) -> list[tuple[Affiliate, User]]:
    rows = await session.execute(select(Affiliate, User).join(User, User.id == Affiliate.user_id)
                                 .where(Affiliate.merchant_id == merchant_id).order_by(Affiliate.id))
    return [(a, u) for a, u in rows.all()]


async def get_owned(session: AsyncSession, principal: Principal, affiliate_id: str) -> tuple[Affiliate, User]:
    """An affiliate of the calling merchant (another merchant's gets 403, an unknown id 404)."""
    row = (await session.execute(select(Affiliate, User).join(User, User.id == Affiliate.user_id)
                                 .where(Affiliate.id == affiliate_id))).first()
    if row is None:
        raise NotFound("no such affiliate")
    if not policy.owns(principal, row[0].merchant_id):
        raise Forbidden("this affiliate belongs to another merchant", code="not_owner")
    return row[0], row[1]


async def get_mine(session: AsyncSession, principal: Principal) -> tuple[Affiliate, User]:
    """The signed-in affiliate's own record."""
    row = (await session.execute(select(Affiliate, User).join(User, User.id == Affiliate.user_id)
                                 .where(Affiliate.user_id == principal.user_id))).first()
    if row is None:
        raise NotFound("no affiliate record for this account")
    return row[0], row[1]


async def set_terms(session: AsyncSession, affiliate: Affiliate, commission: CommissionIn) -> None:
    session.add(_terms_row(affiliate.id, commission))
    await session.commit()


async def deactivate(session: AsyncSession, affiliate: Affiliate) -> None:
    """Links stop attributing (new clicks and orders); the ledger stays, and the affiliate can still read
    what they are owed."""
    if affiliate.active:
        affiliate.active, affiliate.deactivated_at = False, utcnow()
        await session.commit()


async def current_terms(session: AsyncSession, affiliate_ids: list[str]) -> dict[str, Terms]:
    rows = await session.scalars(select(AffiliateTerms).where(AffiliateTerms.affiliate_id.in_(affiliate_ids))
                                 .order_by(AffiliateTerms.effective_at, AffiliateTerms.id))
    latest: dict[str, Terms] = {}
    for row in rows:  # the newest wins
        latest[row.affiliate_id] = Terms(row.percent_bp, row.per_new_buyer_cents, row.effective_at)
    return latest


async def terms_at(session: AsyncSession, affiliate_id: str, moment: datetime) -> Terms | None:
    """The terms in effect when an order was placed (None: before the affiliate existed)."""
    row = await session.scalar(
        select(AffiliateTerms).where(AffiliateTerms.affiliate_id == affiliate_id,
                                     AffiliateTerms.effective_at <= moment)
        .order_by(AffiliateTerms.effective_at.desc(), AffiliateTerms.id.desc()).limit(1))
    return Terms(row.percent_bp, row.per_new_buyer_cents, row.effective_at) if row else None


async def active_by_code(session: AsyncSession, code: str) -> Affiliate | None:
    return await session.scalar(select(Affiliate).where(Affiliate.code == code, Affiliate.active.is_(True)))
