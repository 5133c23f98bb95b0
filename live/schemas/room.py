"""The live room: product cards, flash deals, chat and its moderation. The same models validate HTTP bodies
and socket.io event payloads (the socket versions add ``show_id``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from live.schemas.common import Id, Input, Output, UtcTime, _no_control_chars
from live.schemas.shows import HostOut, OfferOut, ShowState

CHAT_MAX_CHARS = 300
ChatText = Annotated[
    str, StringConstraints(min_length=1, max_length=CHAT_MAX_CHARS), AfterValidator(_no_control_chars)
]
SlowModeSeconds = Annotated[int, Field(ge=0, le=3600, description="Seconds a viewer waits between messages")]
DealSeconds = Annotated[int, Field(ge=5, le=24 * 3600, description="How long the deal runs from now")]
BlockedWord = Annotated[
    str, StringConstraints(min_length=1, max_length=50), AfterValidator(_no_control_chars)
]
ModerationAction = Literal["mute", "unmute", "ban", "unban"]
ReactionKind = Literal["heart", "fire", "clap", "laugh", "wow"]


class CardIn(Input):
    offer_id: Id
    pinned: bool = False
    deal_ends_at: UtcTime | None = Field(
        default=None, description="Starts a flash deal on the offer that ends then (its sale window)"
    )


class DealIn(Input):
    duration_seconds: DealSeconds


class ChatIn(Input):
    text: ChatText


class ChatSettingsIn(Input):
    slow_mode_seconds: SlowModeSeconds


class ModerationIn(Input):
    user_id: Id
    action: ModerationAction


class BlockedWordsIn(Input):
    words: Annotated[list[BlockedWord], Field(max_length=500)]


class Card(OfferOut):
    """An offer as the viewers' card shows it."""

    pinned: bool
    on_sale: bool = Field(description="The show is live and the offer's sale window is open")
    deal_ends_at: datetime | None = Field(description="Countdown target: the end of the offer's sale window")
    pushed_at: datetime


class CardOut(Output):
    card: Card | None


class ChatMessageOut(Output):
    id: str
    show_id: str
    user_id: str
    display_name: str
    text: str
    staff: bool = Field(description="Written by the show's host or merchant")
    created_at: datetime


class ChatSettingsOut(Output):
    show_id: str
    slow_mode_seconds: int


class ModerationOut(Output):
    show_id: str
    user_id: str
    muted: bool
    banned: bool


class BlockedWordsOut(Output):
    words: list[str]


class RoomShow(Output):
    """The show as the room sees it."""

    id: str
    merchant_id: str
    title: str
    description: str
    state: ShowState
    started_at: datetime | None
    ended_at: datetime | None
    host: HostOut
    slow_mode_seconds: int
    paused: bool = Field(description="The host's video is off air (the show may still be live)")
