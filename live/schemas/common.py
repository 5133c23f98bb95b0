"""Building blocks shared by the request and response models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from live.ids import ID_MAX_LENGTH


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, BaseModel):
        return _has_nul(value.__dict__)
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple | set):
        return any(_has_nul(item) for item in value)
    return False


def _refuse_nul(model: BaseModel) -> BaseModel:
    """After validation (a model validator before it would see JSON's strings, not its parsed values)."""
    if _has_nul(model.__dict__):
        raise ValueError("text must not contain NUL characters")
    return model


class Input(BaseModel):
    """Request bodies: strict types (a string is not a number), unknown fields refused, and no NUL in any
    text (PostgreSQL cannot store one)."""

    model_config = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)

    _no_nul = model_validator(mode="after")(_refuse_nul)


class Query(BaseModel):
    """Query strings arrive as text, so numbers are parsed; unknown parameters and NULs are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    _no_nul = model_validator(mode="after")(_refuse_nul)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Bidirectional controls (embeddings, overrides, isolates, marks) make text display in another order than it
# is stored: a name or message could pose as something else.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _no_control_chars(value: str) -> str:
    if any(c < " " and c not in "\n\t" for c in value):
        raise ValueError("must not contain control characters")
    if not BIDI_CONTROLS.isdisjoint(value):
        raise ValueError("must not contain bidirectional control characters (U+202A-E, U+2066-9, U+200E/F, U+061C)")
    return value


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _in_range(value: datetime) -> datetime:
    """Times near year 1 or 9999 overflow once shifted to UTC or given an hour (a calendar event's end)."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("must be between 1970 and 9000 (UTC)") from exc
    if not EARLIEST <= utc < LATEST:
        raise ValueError("must be between 1970 and 9000 (UTC)")
    return utc


Moment = Annotated[AwareDatetime, AfterValidator(_in_range),
                   Field(description="A time with its UTC offset, between 1970 and 9000")]


def _iso_text(value: Any) -> Any:
    """A query's time is ISO 8601 text, as documented: a bare number is not read as a Unix time."""
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("must be an ISO 8601 time with its UTC offset, e.g. 2026-12-01T18:00:00Z")
    return value


QueryMoment = Annotated[Moment, BeforeValidator(_iso_text)]


# The same rule as _no_control_chars, in the document (so generated clients and fuzzers know it).
_NO_CONTROL_CHARS = Field(json_schema_extra={"pattern": "^[^\\x00-\\x08\\x0b-\\x1f]*$"})
Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=r"^[a-z]+_[0-9a-f]+$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=80), AfterValidator(_no_control_chars),
                 _NO_CONTROL_CHARS]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_control_chars),
                  _NO_CONTROL_CHARS]
Text = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_no_control_chars), _NO_CONTROL_CHARS]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(description="ISO 4217 code")]
# Caps on money and quantities, so that price x quantity of any tap (at most 10^11 minor units) fits the 64-bit
# money columns, the payment provider's amount and a JavaScript number exactly.
MAX_PRICE_CENTS = 100_000_000  # 1,000,000.00 per unit
MAX_QUANTITY_PER_TAP = 1000
Cents = Annotated[int, Field(ge=0, le=MAX_PRICE_CENTS, description="Integer minor units (cents), at most 1,000,000.00")]
Units = Annotated[int, Field(ge=0, le=10_000_000)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
PaymentMethodRef = Annotated[
    str,
    StringConstraints(pattern=r"^pm_[A-Za-z0-9_]{1,60}$"),
    Field(description="A payment provider's saved-method reference, e.g. pm_card_visa"),
]
Url = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://[^\s]+$")]
