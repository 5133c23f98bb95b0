"""Telling a database that is away (down, restarting, unreachable) from a statement the database refused.

An outage is worth waiting out: callers retry later or answer 503. A refusal (a constraint, a value out of
range) will fail the same way every time, so retrying it only blocks what comes after it.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import exc as sa_exc

try:  # asyncpg is only installed for PostgreSQL deployments
    from asyncpg import exceptions as pg_exc

    _ASYNCPG_OUTAGES: tuple[type[BaseException], ...] = (
        pg_exc.PostgresConnectionError, pg_exc.CannotConnectNowError, pg_exc.InterfaceError,
        pg_exc.AdminShutdownError, pg_exc.CrashShutdownError,
    )
except ImportError:  # pragma: no cover
    _ASYNCPG_OUTAGES = ()

_OUTAGES: tuple[type[BaseException], ...] = (
    ConnectionError, TimeoutError, asyncio.TimeoutError, sa_exc.TimeoutError, *_ASYNCPG_OUTAGES,
)


def is_outage(exc: BaseException) -> bool:
    """True when the database could not be reached or dropped the connection, rather than refusing the
    statement (SQLite's 'database is locked' counts as an outage too: it passes)."""
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError | sa_exc.OperationalError):
            return True
        return exc.orig is not None and is_outage(exc.orig)
    if isinstance(exc, _OUTAGES):
        return True
    cause = exc.__cause__
    return cause is not None and cause is not exc and is_outage(cause)
