"""Catalogue domain: a merchant's products. ``inventory`` is the free stock (not allocated to any show)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Product, utcnow
from live import policy
from live.auth import Principal
from live.ids import new_id
from live.lookup import found
from live.schemas.catalogue import ProductIn, ProductPatch
from live.storage import commit_or_conflict


async def _commit_sku(session: AsyncSession) -> None:
    await commit_or_conflict(session, "a product with this sku exists", "sku_taken")


async def create_product(session: AsyncSession, merchant_id: str, data: ProductIn) -> Product:
    product = Product(id=new_id("prd"), merchant_id=merchant_id, **data.model_dump())
    session.add(product)
    await _commit_sku(session)
    return product


async def list_products(session: AsyncSession, merchant_id: str, include_archived: bool = False) -> list[Product]:
    query = select(Product).where(Product.merchant_id == merchant_id).order_by(Product.id)
    if not include_archived:
        query = query.where(Product.archived_at.is_(None))
    return list(await session.scalars(query))


async def get_owned_product(session: AsyncSession, principal: Principal, product_id: str) -> Product:
    """The product, if the caller is its merchant's owner (403 for another merchant's)."""
    product = await found(session, Product, product_id, "product")
    policy.require_product_owner(principal, product)
    return product


async def update_product(session: AsyncSession, product: Product, patch: ProductPatch) -> Product:
    changes = patch.model_dump(exclude_unset=True)
    archived = changes.pop("archived", None)
    for field, value in changes.items():
        if value is None and field not in ("image_url",):
            continue
        setattr(product, field, value)
    if archived is not None:
        product.archived_at = (product.archived_at or utcnow()) if archived else None
    product.updated_at = utcnow()
    await _commit_sku(session)
    return product
