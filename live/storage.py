"""Small helpers the domain modules share for their SQL sessions."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from live.errors import Conflict


async def commit_or_conflict(session: AsyncSession, message: str, code: str) -> None:
    """Commit; a unique constraint lost to a concurrent writer becomes a 409 with this code, not a 500."""
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(message, code=code) from exc
