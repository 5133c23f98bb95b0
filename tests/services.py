"""The real backing services a test run uses: Redis and PostgreSQL from LIVE_TEST_* when set (CI), otherwise
an embedded redis-server and a SQLite file. Each run gets its own PostgreSQL database and Redis key prefix,
so a test never touches data it did not create."""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from db import migrate
from db.session import make_engine

REDIS_URL_ENV = "LIVE_TEST_REDIS_URL"
DATABASE_URL_ENV = "LIVE_TEST_DATABASE_URL"


@dataclass
class Services:
    redis_url: str
    database_url: str


def using_postgres() -> bool:
    return bool(os.environ.get(DATABASE_URL_ENV))


async def _admin_execute(base_url: str, statement: str) -> None:
    admin = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await admin.dispose()


def create_database(name_hint: str, tmp_dir: Path) -> str:
    """A fresh, migrated database: a new PostgreSQL database on the test server, or a new SQLite file."""
    base = os.environ.get(DATABASE_URL_ENV)
    if base:
        name = f"live_{name_hint}_{secrets.token_hex(4)}"
        asyncio.run(_admin_execute(base, f'CREATE DATABASE "{name}"'))
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite+aiosqlite:///{tmp_dir / f'{name_hint}.db'}"
    return url


def drop_database(url: str) -> None:
    base = os.environ.get(DATABASE_URL_ENV)
    if base and make_url(url).get_backend_name() == "postgresql":
        name = make_url(url).database
        asyncio.run(_admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def migrate_to_head(url: str) -> None:
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
