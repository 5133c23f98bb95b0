"""Payment providers. ``PaymentProvider`` is the interface a real adapter (Stripe, Adyen...) implements;
``SandboxProvider`` is the built-in stand-in: it is the only faked part of the system, and it still talks
to our webhook endpoint over real HTTP with real signatures."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Literal, Protocol

import aiohttp

from live.commerce import webhooks

log = logging.getLogger("live.commerce.providers")
_SUCCESS = range(200, 300)  # the 2xx a webhook endpoint acknowledges with

ChargeStatus = Literal["succeeded", "failed", "pending"]


@dataclass(frozen=True, slots=True)
class ChargeResult:
    status: ChargeStatus
    reference: str
    failure_code: str | None = None


class PaymentProvider(Protocol):
    name: str

    async def charge(self, *, order_id: str, amount_cents: int, currency: str, method: str) -> ChargeResult:
        """Capture the amount with a saved method. Idempotent by ``order_id``."""
        ...

    async def refund(self, reference: str, amount_cents: int | None = None) -> None:
        """Give money back on a captured charge: ``amount_cents`` of it, or all of it when None. A full refund
        is idempotent by ``reference``."""
        ...

    async def close(self) -> None:
        ...


class SandboxProvider:
    """Test methods: ``pm_card_visa`` succeeds, ``pm_card_declined`` is declined, ``pm_card_async``
    answers 'pending' and succeeds a moment later through a signed webhook posted to our endpoint."""

    name = "sandbox"

    def __init__(self, webhook_url: str, webhook_secret: str, async_delay_seconds: float = 1.0):
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.async_delay_seconds = async_delay_seconds
        self._charges: dict[str, ChargeResult] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None
        self.refunds: list[str] = []  # every refunded charge's reference, in order
        self.refunded: list[tuple[str, int | None]] = []  # (reference, amount_cents or None for the whole)

    async def charge(self, *, order_id: str, amount_cents: int, currency: str, method: str) -> ChargeResult:
        if order_id in self._charges:
            return self._charges[order_id]
        reference = f"ch_{secrets.token_hex(8)}"
        if method == "pm_card_visa":
            result = ChargeResult("succeeded", reference)
        elif method == "pm_card_declined":
            result = ChargeResult("failed", reference, "card_declined")
        elif method == "pm_card_async":
            result = ChargeResult("pending", reference)
            task = asyncio.create_task(self._confirm_later(order_id, reference))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            result = ChargeResult("failed", reference, "unknown_payment_method")
        self._charges[order_id] = result
        return result

    async def refund(self, reference: str, amount_cents: int | None = None) -> None:
        """A full refund is idempotent by reference, as a real provider's refund with an idempotency key."""
        if amount_cents is None and (reference, None) in self.refunded:
            return
        self.refunds.append(reference)
        self.refunded.append((reference, amount_cents))

    async def _confirm_later(self, order_id: str, reference: str) -> None:
        await asyncio.sleep(self.async_delay_seconds)
        body = json.dumps({"type": "payment.succeeded", "data": {"reference": reference, "order_id": order_id}})
        headers = webhooks.signed_headers(self.webhook_secret, f"evt_{secrets.token_hex(8)}", body.encode())
        if self._http is None:
            self._http = aiohttp.ClientSession()
        for attempt in range(5):  # like a real provider: retry until the endpoint says 2xx
            try:
                async with self._http.post(self.webhook_url, data=body, headers=headers) as response:
                    if response.status in _SUCCESS:
                        return
                    log.warning("webhook refused", extra={"status": response.status, "order_id": order_id})
            except aiohttp.ClientError:
                log.warning("webhook delivery failed", extra={"attempt": attempt, "order_id": order_id})
            await asyncio.sleep(0.5 * (attempt + 1))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
