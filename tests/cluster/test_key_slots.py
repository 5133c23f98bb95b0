"""Every key of one show hashes to one Redis Cluster slot (the scripts and MULTIs of a show rely on it), with
or without a deployment prefix, and different shows spread over the slots; a cluster is named by a node's URL."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from pydantic import ValidationError
from redis.crc import key_slot

from live.config import Settings
from live.rediskeys import RedisKeys, ShowKeys


def every_key(show_keys: ShowKeys) -> list[str]:
    """Each property and each one-argument key builder of ShowKeys, flattened."""
    found: list[str] = []
    for name, member in inspect.getmembers(ShowKeys):
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            value = getattr(show_keys, name)
        elif inspect.isfunction(member):
            params = list(inspect.signature(member).parameters)[1:]
            args = [["off_1", "off_2"]] if name == "ended_keys" else ["x"] * len(params)
            value = member(show_keys, *args)
        else:
            continue
        found += [value] if isinstance(value, str) else list(value)
    return found


def test_every_key_of_a_show_is_on_the_show_slot() -> None:
    for prefix in ("", "tenant-a:"):
        show_keys = RedisKeys(prefix).show("shw_123")
        keys = every_key(show_keys)
        assert len(keys) > 30
        slot = key_slot(b"show:shw_123")
        assert [key for key in keys if key_slot(key.encode()) != slot] == []


def test_shows_spread_over_slots() -> None:
    slots = {key_slot(RedisKeys().show(f"shw_{i}").stream.encode()) for i in range(100)}
    assert len(slots) > 90


def test_a_cluster_needs_the_url_of_a_node(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="LIVE_REDIS_URL"):
        Settings(data_dir=tmp_path, redis_url=None, redis_cluster=True)
