"""Reading one row by its primary key, or answering 404: the lookup every domain module starts with."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from live.errors import NotFound

T = TypeVar("T")


async def found(session: AsyncSession, model: type[T], key: Any, what: str) -> T:
    """The row, or ``404 not_found`` saying "no such <what>"."""
    row = await session.get(model, key)
    if row is None:
        raise NotFound(f"no such {what}")
    return row
