"""The socket.io protocol of the show room in one place: event names, room names, payload models of the
events clients send, and the error acknowledgement."""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from pydantic import StringConstraints, ValidationError

from live.errors import DomainError, validation_error
from live.schemas.common import Id, Input, Name
from live.schemas.reach import Attribution
from live.schemas.room import CardIn, ChatIn, ChatSettingsIn, DealIn, ModerationIn, ReactionKind

M = TypeVar("M", bound=Input)
NAMESPACE = "/"

# Server -> client events.
SHOW, CARD, STOCK, CHAT, CHAT_REMOVED, REACTIONS, VIEWERS, ORDER, MODERATED = (
    "show", "card", "stock", "chat", "chat_removed", "reactions", "viewers", "order", "moderated",
)


ANSWERING = "answering"  # community: the chat question the host is answering now
# Server -> the show's staff only (the staff room): live.realtime.staff.
STAFF_ORDERS, OFFER_COUNTERS = "staff_orders", "offer_counters"

# Client -> server events (``chat`` and ``answering`` are named as the events the room sends back).
JOIN, LEAVE, REACT, SLOW_MODE = "join", "leave", "react", "slow_mode"
PUSH_CARD, UNPIN_CARD, START_DEAL, END_DEAL = "push_card", "unpin_card", "start_deal", "end_deal"
DELETE_MESSAGE, MODERATE = "delete_message", "moderate"

SHOW_ROOM_PREFIX = "show:"


def show_room(show_id: str) -> str:
    return SHOW_ROOM_PREFIX + show_id


def staff_room(show_id: str) -> str:
    """Only the show's host and merchant sockets enter this room (they join it with the show's)."""
    return f"staff:{show_id}"


def user_room(user_id: str) -> str:
    """Every socket of a signed-in user is in this room: ``order`` events go here."""
    return f"user:{user_id}"


# A random id a page keeps in localStorage: an anonymous watcher's identity for the audience figures and limits.
DeviceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


class ConnectAuth(Input):
    """``auth`` of the socket.io connection: a token (viewer, host or merchant), or only a display name for
    an anonymous watcher; and the page's device id."""

    token: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None
    name: Name | None = None
    device_id: DeviceId | None = None


class ShowRef(Input):
    show_id: Id


class JoinIn(ShowRef, Attribution):
    """A join may carry the page's device id (honest audience figures) and where the viewer came from (viewer
    counts by source)."""

    device_id: DeviceId | None = None


class SocketCardIn(CardIn, ShowRef):
    pass


class SocketDealIn(DealIn, ShowRef):
    offer_id: Id


class SocketOfferRef(ShowRef):
    offer_id: Id


class SocketChatIn(ChatIn, ShowRef):
    pass


class SocketReactIn(ShowRef):
    kind: ReactionKind


class SocketMessageRef(ShowRef):
    message_id: Id


class SocketModerationIn(ModerationIn, ShowRef):
    pass


class SocketChatSettingsIn(ChatSettingsIn, ShowRef):
    pass


class SocketAnsweringIn(ShowRef):
    message_id: Id | None = None


def parse(model: type[M], data: Any) -> M:
    """A payload as the model, or an ``Invalid`` naming the first bad field (never a raw exception).

    The payload was decoded from JSON already; it is validated as JSON again so that a socket event accepts
    exactly what the HTTP endpoint accepts (strict types, ISO datetimes)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DomainError("the event payload must be a JSON object", code="validation_error", status=422)
    try:
        return model.model_validate_json(json.dumps(data))
    except ValidationError as exc:
        raise validation_error(exc, "payload") from exc


def error_ack(exc: DomainError) -> dict[str, Any]:
    """The acknowledgement of a refused event: the same shape as an HTTP error body."""
    return {"error": {"code": exc.code, "message": exc.message, **exc.extra}}
