"""Migrations upgrade from empty and downgrade to empty, on SQLite and (in CI) PostgreSQL, and the models
match the migrated schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from db import migrate
from db.models import Base
from db.session import make_engine
from tests.services import create_database, drop_database


async def _tables(engine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def _roundtrip(url: str) -> None:
    engine = make_engine(url)
    try:
        assert await _tables(engine) == set()
        await migrate.upgrade(engine)
        assert await _tables(engine) >= set(Base.metadata.tables)
        assert await migrate.current_revision(engine) is not None
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
        assert diff == [], f"models and migrations disagree: {diff}"
        await migrate.downgrade(engine)
        assert await _tables(engine) <= {"alembic_version"}
        await migrate.upgrade(engine)
        assert await _tables(engine) >= set(Base.metadata.tables)
    finally:
        await engine.dispose()


def test_sqlite_upgrade_and_downgrade(tmp_path: Path) -> None:
    import asyncio

    asyncio.run(_roundtrip(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"))


def test_configured_database_upgrade_and_downgrade(tmp_path: Path) -> None:
    """PostgreSQL when LIVE_TEST_DATABASE_URL is set (CI), otherwise a second SQLite file."""
    import asyncio

    url = create_database("migrations", tmp_path)
    try:
        asyncio.run(_roundtrip(url))
    finally:
        drop_database(url)
