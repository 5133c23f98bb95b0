"""The catalogue through the HTTP API."""

from __future__ import annotations

from tests.helpers import Api


async def test_create_list_update_archive(api: Api) -> None:
    owner = await api.merchant()
    product = await api.product(owner, sku="TEE-1", title="Tee", price_cents=1999, currency="EUR", inventory=5,
                                image_url="https://cdn.example.com/tee.png", description="Soft")
    assert product["sku"] == "TEE-1" and product["price_cents"] == 1999 and product["currency"] == "EUR"
    assert product["inventory"] == 5 and product["archived"] is False
    _, listed = await api.call("GET", "/api/products", owner, expect=200)
    assert [p["id"] for p in listed["products"]] == [product["id"]]

    _, updated = await api.call("PATCH", f"/api/products/{product['id']}", owner,
                                json={"title": "Tee v2", "inventory": 9}, expect=200)
    assert updated["title"] == "Tee v2" and updated["inventory"] == 9 and updated["sku"] == "TEE-1"

    _, archived = await api.call("DELETE", f"/api/products/{product['id']}", owner, expect=200)
    assert archived["archived"] is True
    _, listed = await api.call("GET", "/api/products", owner, expect=200)
    assert listed["products"] == []
    _, everything = await api.call("GET", "/api/products?include_archived=true", owner, expect=200)
    assert [p["id"] for p in everything["products"]] == [product["id"]]


async def test_sku_is_unique_per_merchant(api: Api) -> None:
    a, b = await api.merchant(), await api.merchant()
    await api.product(a, sku="SAME")
    await api.product(b, sku="SAME")  # another merchant may use it
    status, body = await api.call("POST", "/api/products", a, json={
        "sku": "SAME", "title": "x", "price_cents": 1, "currency": "USD"})
    assert status == 409 and body["error"]["code"] == "sku_taken"


async def test_merchants_only_see_their_products(api: Api) -> None:
    a, b = await api.merchant(), await api.merchant()
    product = await api.product(a)
    _, listed = await api.call("GET", "/api/products", b, expect=200)
    assert listed["products"] == []
    await api.call("GET", f"/api/products/{product['id']}", b, expect=403)
