"""Orders: the one-tap hot path, reading orders, and the payment provider's webhook."""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from live import json_codec, keys, policy
from live.api.routing import ApiRouter, Call, Created, HeaderParam
from live.commerce import queries, refunds, webhooks
from live.errors import Conflict, DomainError, Invalid, validation_error
from live.reach import attribution
from live.schemas.orders import (
    Buyer,
    MerchantOrderList,
    MerchantOrderOut,
    OrderCreated,
    OrderIn,
    OrderList,
    OrderListQuery,
    OrderOut,
    WebhookAck,
    WebhookIn,
)
from live.shows import lifecycle

router = ApiRouter("orders")
MAX_KEY_LENGTH = 64
IDEMPOTENCY_KEY = HeaderParam(
    "Idempotency-Key", "One per tap: a retry with the same key answers the same order",
    schema={"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[\\x20-\\x7e]+$"},
)
WEBHOOK_HEADERS = tuple(
    HeaderParam(name, text) for name, text in (
        ("webhook-id", "The event's id (a repeat is acknowledged as a duplicate)"),
        ("webhook-timestamp", "Unix seconds when the provider signed it"),
        ("webhook-signature", "Standard Webhooks signatures, space-separated (v1,<base64 HMAC-SHA256>)"),
    )
)


def idempotency_key(request: web.Request) -> str:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        raise DomainError("send an Idempotency-Key header (one per tap)", code="idempotency_key_required")
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise Invalid("Idempotency-Key must be 1-64 printable ASCII characters", code="invalid_idempotency_key")
    return key


@router.post("/api/shows/{show_id}/orders", summary="Buy with one tap (needs an Idempotency-Key header)",
             roles=("viewer", "affiliate"), body=OrderIn, response=OrderCreated, status=201, errors=(409, 429),
             extra_responses={200: "A repeat of an earlier tap (same Idempotency-Key): the original order"},
             headers=(IDEMPOTENCY_KEY,), creates=Created("order_id", "/order/id"))
async def create_order(call: Call[OrderIn, None]) -> web.Response:
    """No SQL here: one batched Lua call decides and records; the workers do the rest.

    Read on in this order: the desk (``OrderDesk.reserve`` in live/commerce/orders.py, built once per app by
    ``build_order_desk`` in live/commerce/workers.py), the script runner (``BatchedScript`` in
    live/commerce/scripts.py, over the pipelined connection of pipeline.py), then live/commerce/lua/reserve.lua.
    """
    key = idempotency_key(call.request)
    if not call.user.has_payment_method:
        raise Conflict("save a payment method first (PATCH /api/viewers/me)", code="payment_method_required")
    reservation = await call.app[keys.order_desk_key].reserve(
        call.path("show_id"), call.body.offer_id, call.user.user_id, key, call.body.quantity,
        attribution.order_fields(call.body.ref, call.body.utm),
    )
    # A plain dict (shaped as OrderCreated) encoded by orjson: the order comes from our own script,
    # re-validating it would only cost time on the hottest path.
    body = {"order": reservation.order.public(), "remaining": reservation.remaining}
    return json_codec.json_response(body, 201 if reservation.created else 200)


@router.get("/api/orders/{order_id}", summary="One order (its buyer or the show's merchant)",
            roles=("viewer", "merchant", "affiliate"), response=OrderOut)
async def get_order(call: Call[None, None]) -> OrderOut:
    async with call.session() as session:
        record = await queries.get_order(session, call.redis, call.redis_keys, call.user, call.path("order_id"))
        refunded = await refunds.refunded_by_order(session, [record.id])
    return OrderOut(**record.public(), refunded_cents=refunded.get(record.id, 0))


@router.get("/api/me/orders", summary="The viewer's orders, newest first", roles=("viewer", "affiliate"),
            query=OrderListQuery, response=OrderList)
async def my_orders(call: Call[None, OrderListQuery]) -> OrderList:
    async with call.session() as session:
        records, cursor = await queries.buyer_orders(session, call.user.user_id, call.query.limit, call.query.cursor)
        refunded = await refunds.refunded_by_order(session, [r.id for r in records])
    return OrderList(orders=[OrderOut(**r.public(), refunded_cents=refunded.get(r.id, 0)) for r in records],
                     next_cursor=cursor)


@router.get("/api/shows/{show_id}/orders", summary="A show's orders with buyers' shipping details (merchant)",
            roles=("merchant",), query=OrderListQuery, response=MerchantOrderList)
async def show_orders(call: Call[None, OrderListQuery]) -> MerchantOrderList:
    async with call.session() as session:
        show = await lifecycle.get_show(session, call.path("show_id"))
        policy.require_owner(call.user, show)
        rows, cursor = await queries.show_orders(session, show.id, call.query.limit, call.query.cursor)
        refunded = await refunds.refunded_by_order(session, [r.id for r, _ in rows])
    return MerchantOrderList(
        orders=[MerchantOrderOut(**r.public(), buyer=Buyer.model_validate(buyer), refunded_cents=refunded.get(r.id, 0))
                for r, buyer in rows],
        next_cursor=cursor,
    )


@router.post("/api/payments/webhook", summary="Payment provider events (Standard Webhooks signature)",
             roles=None, response=WebhookAck, errors=(400, 401, 503), headers=WEBHOOK_HEADERS)
async def payment_webhook(call: Call[None, None]) -> WebhookAck:
    """The signature is checked before the body is trusted or even parsed."""
    raw = await call.request.read()
    webhook_id = webhooks.verify(call.settings.resolved_webhook_secret(), call.request.headers, raw)
    try:
        event = WebhookIn.model_validate_json(raw)
    except ValidationError as exc:
        raise validation_error(exc) from exc
    fresh = await call.app[keys.payment_service_key].apply_webhook(webhook_id, event.type, event.data)
    return WebhookAck(received=True, duplicate=not fresh)


