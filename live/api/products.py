"""Catalogue: a merchant's products."""

from __future__ import annotations

from db.models import Product
from live import catalogue
from live.api.routing import ApiRouter, Call, Created
from live.schemas.catalogue import ProductIn, ProductList, ProductOut, ProductPatch, ProductQuery

router = ApiRouter("products")
OWNER = ("merchant",)


def product_out(product: Product) -> ProductOut:
    data = {k: getattr(product, k) for k in ProductOut.model_fields if k != "archived"}
    return ProductOut(**data, archived=product.archived_at is not None)


@router.post("/api/products", summary="Create a product", roles=OWNER, body=ProductIn, response=ProductOut,
             status=201, errors=(409,), creates=Created("product_id"))
async def create_product(call: Call[ProductIn, None]) -> ProductOut:
    assert call.user.merchant_id
    async with call.session() as session:
        return product_out(await catalogue.create_product(session, call.user.merchant_id, call.body))


@router.get("/api/products", summary="The merchant's products", roles=OWNER, query=ProductQuery,
            response=ProductList)
async def list_products(call: Call[None, ProductQuery]) -> ProductList:
    assert call.user.merchant_id
    async with call.session() as session:
        products = await catalogue.list_products(session, call.user.merchant_id, call.query.include_archived)
    return ProductList(products=[product_out(p) for p in products])


@router.get("/api/products/{product_id}", summary="One product", roles=OWNER, response=ProductOut)
async def get_product(call: Call[None, None]) -> ProductOut:
    async with call.session() as session:
        return product_out(await catalogue.get_owned_product(session, call.user, call.path("product_id")))


@router.patch("/api/products/{product_id}", summary="Update or archive a product", roles=OWNER,
              body=ProductPatch, response=ProductOut, errors=(409,))
async def update_product(call: Call[ProductPatch, None]) -> ProductOut:
    async with call.session() as session:
        product = await catalogue.get_owned_product(session, call.user, call.path("product_id"))
        return product_out(await catalogue.update_product(session, product, call.body))


@router.delete("/api/products/{product_id}", summary="Archive a product (it stays in past shows)",
               roles=OWNER, response=ProductOut)
async def archive_product(call: Call[None, None]) -> ProductOut:
    async with call.session() as session:
        product = await catalogue.get_owned_product(session, call.user, call.path("product_id"))
        return product_out(await catalogue.update_product(session, product, ProductPatch(archived=True)))
