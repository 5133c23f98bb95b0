"""The two-process rooms test on a real three-master Redis Cluster: socket.io's Redis manager subscribes on the
one node its URL names and PUBLISH reaches every node's subscribers, so what is done through server A (card,
tap, chat, ban) reaches a viewer on server B, whatever master the show's keys live on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.cluster.conftest import OwnCluster
from tests.helpers import Api
from tests.processes import RemoteClient
from tests.realtime.test_two_processes import two_servers, what_goes_through_one_reaches_the_other


@pytest.fixture
def servers(own_cluster: OwnCluster, own_database: str, tmp_path: Path) -> Iterator[list[str]]:
    with two_servers(own_cluster.url, own_database, tmp_path, "all", LIVE_REDIS_CLUSTER="true") as (urls, _):
        yield urls


async def test_what_goes_through_one_process_reaches_the_other_on_a_cluster(servers: list[str]) -> None:
    async with aiohttp.ClientSession(base_url=servers[0]) as session:
        await what_goes_through_one_reaches_the_other(servers, Api(RemoteClient(session)))  # type: ignore[arg-type]
