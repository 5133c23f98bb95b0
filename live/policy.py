"""Who may do what, in one place, for HTTP, socket.io and media alike: the show's owner (its merchant's
account), its staff (the host or the owner), a viewer banned from it. Plain functions over the caller and the
rows they ask about, so every transport asks the same question the same way; whether a viewer is banned is
the ban store's answer (live.bans), passed in.
"""

from __future__ import annotations

from db.models import Product, Show, User
from live.auth import Principal
from live.errors import Conflict, Forbidden, Unauthorized


def owns(principal: Principal, merchant_id: str) -> bool:
    """The merchant's own account (a host of the merchant does not own its shows or products)."""
    return principal.role == "merchant" and principal.merchant_id == merchant_id


def hosts_for(principal: Principal, merchant_id: str) -> bool:
    """A host account of the merchant (not the merchant's own account)."""
    return principal.role == "host" and principal.merchant_id == merchant_id


def may_host(user: User, merchant_id: str) -> bool:
    """One of the merchant's hosts, or its own account: who may host its shows."""
    return user.merchant_id == merchant_id and user.role in ("host", "merchant")


def is_staff(principal: Principal | None, show: Show) -> bool:
    """The show's host or its merchant: they run the show, are never muted, and see its orders live."""
    return principal is not None and (principal.user_id == show.host_id or owns(principal, show.merchant_id))


def is_staff_account(user: User, show: Show) -> bool:
    """An account that is the show's staff, now or by role (any host of the merchant): never moderated."""
    return user.id == show.host_id or may_host(user, show.merchant_id)


def require_owner(principal: Principal, show: Show) -> None:
    if not owns(principal, show.merchant_id):
        raise Forbidden("only the show's merchant may do this", code="not_owner")


def require_staff(principal: Principal, show: Show) -> None:
    if not is_staff(principal, show):
        raise Forbidden("only the show's host or merchant may do this", code="not_host")


def require_product_owner(principal: Principal, product: Product) -> None:
    if not owns(principal, product.merchant_id):
        raise Forbidden("this product belongs to another merchant")


def require_order_reader(principal: Principal, buyer_id: str, merchant_id: str | None) -> None:
    """An order is its buyer's and its show's merchant's to read (``merchant_id`` None: the show is gone)."""
    if buyer_id != principal.user_id and (merchant_id is None or not owns(principal, merchant_id)):
        raise Forbidden("this order belongs to someone else")


def require_signed_in(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthorized("anonymous watchers can watch; sign in to take part", code="sign_in_required")
    return principal


def refuse_banned(banned: bool) -> None:
    if banned:
        raise Forbidden("the host banned you from this show", code="banned")


def check_can_publish(principal: Principal, show: Show) -> None:
    """The show's host or merchant, while the show is live: going live opens the sale, which a media
    (re)connect must never do by accident, so the studio starts the show first and then publishes."""
    require_staff(principal, show)
    if show.state == "scheduled":
        raise Conflict("start the show before publishing (POST /api/shows/{id}/start)", code="show_not_live")
    if show.state != "live":
        raise Conflict("the show has ended", code="show_ended")


def check_can_watch(show: Show, banned: bool) -> None:
    """Anyone while the show is live, unless banned from it (an anonymous viewer cannot be told apart, so the
    ban is about the account, as it is for chat)."""
    if show.state != "live":
        code = "show_not_live" if show.state == "scheduled" else "show_ended"
        raise Conflict("the show is not live", code=code)
    refuse_banned(banned)
