"""The OpenAPI document is valid OpenAPI 3 and describes every route the app serves."""

from __future__ import annotations

from openapi_spec_validator import validate

from live.api.docs import endpoints_key


async def test_openapi_document_validates(client) -> None:
    async with client.get("/api/openapi.json") as response:
        assert response.status == 200
        document = await response.json()
    validate(document)
    assert document["openapi"].startswith("3.")
    for ep in client.app[endpoints_key]:
        path = ep.path
        assert ep.method.lower() in document["paths"][path], f"{ep.method} {path} missing from the document"
    create_offer = document["paths"]["/api/shows/{show_id}/offers"]["post"]
    schema_ref = create_offer["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    offer_in = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert {"product_id", "price_cents", "stock", "per_buyer_limit"} <= set(offer_in["properties"])
    assert "403" in create_offer["responses"] and "422" in create_offer["responses"]


async def test_docs_page_works_offline(client) -> None:
    async with client.get("/api/docs") as response:
        html = await response.text()
    assert response.status == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "http://" not in html and "https://" not in html, "the docs page must not load anything remote"
    for asset in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/swagger-ui/swagger-ui.css",
                  "/static/js/api-docs.js"):
        async with client.get(asset) as response:
            assert response.status == 200, asset
