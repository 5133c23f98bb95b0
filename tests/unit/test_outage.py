"""A database that is away is told apart from a statement the database refused, on real errors: the first
is waited out (503, entries stay pending), the second goes to the dead letters after its deliveries."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from db.outage import is_outage
from db.session import make_engine
from tests.conftest import free_port


async def _error_of(url: str, *statements: str) -> BaseException:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    except Exception as exc:
        return exc
    finally:
        await engine.dispose()
    raise AssertionError("no error")


async def test_an_unreachable_postgres_is_an_outage() -> None:
    exc = await _error_of(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/x", "SELECT 1")
    assert is_outage(exc), repr(exc)


@pytest.mark.parametrize("statements", [
    ("CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)"),
    ("CREATE TABLE u (id INTEGER CHECK (id > 0))", "INSERT INTO u VALUES (-1)"),
])
async def test_a_refused_statement_is_not_an_outage(tmp_path: Path, statements: tuple[str, ...]) -> None:
    exc = await _error_of(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", *statements)
    assert not is_outage(exc), repr(exc)
