"""`live reconcile` reports a clean balance, and catches a unit that appears or vanishes."""

from __future__ import annotations

import os
import subprocess
import sys

from aiohttp.test_utils import TestClient

from live import keys
from tests.commerce.checks import assert_reconciled, balances, drained
from tests.helpers import Api


def run_cli(client: TestClient, *args: str) -> subprocess.CompletedProcess[str]:
    settings = client.app[keys.settings_key]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVE_")}
    env.update(LIVE_DATABASE_URL=settings.resolved_database_url(), LIVE_REDIS_URL=settings.redis_url or "",
               LIVE_REDIS_PREFIX=settings.redis_prefix, LIVE_SECRET_KEY=settings.secret_key or "",
               LIVE_DATA_DIR=str(settings.data_dir))
    return subprocess.run([sys.executable, "-m", "live", "reconcile", *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


async def test_reconcile_cli_clean_then_detects_tampering(api: Api, client: TestClient) -> None:
    owner = await api.merchant()
    show, offer = await api.live_show(owner, stock=10, limit=3)
    for _ in range(3):
        await api.tap(await api.viewer(), show["id"], offer["id"], quantity=2)
    await assert_reconciled(client, show["id"])
    clean = run_cli(client, "--show", show["id"])
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert offer["id"] in clean.stdout and "1 offers checked, 0 with differences" in clean.stdout

    # A unit appears from nowhere in the counter: reconcile must say so and fail.
    redis = client.app[keys.redis_key]
    await redis.hincrby(client.app[keys.redis_keys_key].show(show["id"]).stock, offer["id"], 1)
    await drained(client, show["id"])
    assert not (await balances(client, show["id"]))[0].ok
    dirty = run_cli(client, "--show", show["id"])
    assert dirty.returncode == 1 and "units created or lost" in dirty.stdout
