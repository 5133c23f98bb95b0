"""Identifiers: a short type prefix, the creation time in hex and randomness, so ids sort by creation time.

Ids are made by the application (not the database) because orders are created in Redis before SQL sees them,
and because ids from different databases must never collide in a shared Redis.
"""

from __future__ import annotations

import itertools
import random
import secrets
import time

_fast_random = random.Random(secrets.randbits(64))
_sequence = itertools.count()

ID_MAX_LENGTH = 32


def new_id(prefix: str) -> str:
    """``<prefix>_<11 hex ms><12 hex random>``: lexicographic order is creation order (to the millisecond)."""
    return f"{prefix}_{int(time.time() * 1000):011x}{secrets.token_hex(6)}"


def new_order_id(show_id: str) -> str:
    """``ord_<show hex>_<ms hex><random>``: the show is readable from the id, so an order is found in its
    show's Redis keys without a lookup, and ids sort by creation time within a show. The random part comes
    from a fast generator (an order id is not a secret: reading an order checks who asks), and the tap
    script refuses an id that exists, so a collision can never overwrite an order."""
    sequence = next(_sequence) & 0xFFFF  # orders made in one millisecond by one process keep their order
    stamp = int(time.time() * 1000)
    return f"ord_{show_id.removeprefix('shw_')}_{stamp:011x}{sequence:04x}{_fast_random.getrandbits(32):08x}"


def show_of_order(order_id: str) -> str | None:
    """The show id inside an order id, or None if it is not one of ours."""
    prefix, _, rest = order_id.partition("_")
    show_hex, sep, tail = rest.partition("_")
    if prefix != "ord" or not sep or not show_hex or not tail:
        return None
    if not all(c in "0123456789abcdef" for c in show_hex + tail):
        return None
    return f"shw_{show_hex}"
