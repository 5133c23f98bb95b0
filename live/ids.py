"""Identifiers: a short type prefix, the creation time in hex and randomness, so ids sort by creation time.

Ids are made by the application (not the database) because orders are created in Redis before SQL sees them,
and because ids from different databases must never collide in a shared Redis.
"""

from __future__ import annotations

import secrets
import time

ID_MAX_LENGTH = 32


def new_id(prefix: str) -> str:
    """``<prefix>_<11 hex ms><12 hex random>``: lexicographic order is creation order (to the millisecond)."""
    return f"{prefix}_{int(time.time() * 1000):011x}{secrets.token_hex(6)}"
