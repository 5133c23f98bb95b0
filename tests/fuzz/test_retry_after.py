"""A 429 tells the caller when to try again in the Retry-After header too, as the OpenAPI document says,
so a plain HTTP client (or a proxy) can wait without reading the body."""

from __future__ import annotations

from tests.helpers import Api


async def test_slow_mode_answers_429_with_retry_after(api: Api) -> None:
    merchant = await api.merchant()
    viewer = await api.viewer()
    show, _ = await api.live_show(merchant)
    await api.call("PATCH", f"/api/shows/{show['id']}/chat", merchant, json={"slow_mode_seconds": 30}, expect=200)
    await api.call("POST", f"/api/shows/{show['id']}/chat", viewer, json={"text": "one"}, expect=201)
    async with api.client.post(f"/api/shows/{show['id']}/chat", json={"text": "two"},
                               headers=viewer.headers) as response:
        body = await response.json()
    assert response.status == 429 and body["error"]["code"] == "slow_mode"
    wait_ms = body["error"]["retry_after_ms"]
    assert 25_000 < wait_ms <= 30_000
    assert int(response.headers["Retry-After"]) == -(-wait_ms // 1000), "whole seconds, rounded up"
