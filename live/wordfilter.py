"""The merchant's blocked words: matching whole words after Unicode normalisation. Chat, reviews, questions
and complaints all pass the same list."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"\w+")


def words_of(text: str) -> list[str]:
    """Lower-case words after Unicode normalisation, so 'ＳＰＡＭ' and 'Spam' are the same word."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def normalize_blocked(entries: Iterable[str]) -> list[str]:
    """Each entry as its normalised words joined by one space; empty entries and repeats dropped."""
    seen: dict[str, None] = {}
    for entry in entries:
        words = " ".join(words_of(entry))
        if words:
            seen.setdefault(words, None)
    return list(seen)


def find_blocked(text: str, blocked: Iterable[str]) -> str | None:
    """The first blocked entry (a word or a phrase of words) the text contains as whole words, else None.
    Whole words, so blocking 'ass' does not refuse 'class'."""
    padded = " " + " ".join(words_of(text)) + " "
    return next((entry for entry in blocked if f" {entry} " in padded), None)
