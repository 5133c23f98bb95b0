"""Signing keys: which keys the server refuses (published ones, weak ones), and the key id (``kid``) a token
names so that a rotated key keeps verifying the tokens it signed.

The deny-list stays here even after a key leaves the repository: anyone who read the repository once knows it.
"""

from __future__ import annotations

import hashlib
import math
import string

MIN_ENTROPY_BITS = 256  # 32 bytes
MIN_DISTINCT_CHARACTERS = 12
GENERATE_HINT = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"

# Every signing key this repository ever published (compose defaults, examples, README snippets).
PUBLISHED_KEYS = frozenset({
    "change-me-to-a-long-random-secret-of-32-chars",  # docker-compose.yml's old default
    "live-turn-secret",  # the old compose TURN secret
    "bench-secret-" + "x" * 40,
    "worker-test-secret-0123456789abcdef",
    "another-secret-of-at-least-32-bytes!",
    "x" * 40,
    "k" * 40,
    "s3cret",
})

_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)


class WeakSecret(ValueError):
    """A configured key the server must not sign with."""


def entropy_bits(key: str) -> float:
    """An upper estimate: length times the bits of the character classes used. A random key from
    ``secrets.token_urlsafe(32)`` or ``openssl rand -hex 32`` scores 256 or more."""
    pool = sum(len(chars) for chars in _CLASSES if any(c in chars for c in key))
    if any(not any(c in chars for chars in _CLASSES) for c in key):
        pool += 33  # punctuation, space and the rest
    return len(key) * math.log2(pool) if pool else 0.0


def check_not_published(key: str) -> None:
    if key.strip() in PUBLISHED_KEYS:
        raise WeakSecret(f"this secret key was published in the repository: anyone can sign tokens with it; "
                         f"{GENERATE_HINT}")


def check_secret_key(key: str) -> None:
    """Refuse a published key, or one with less than 32 bytes of entropy (estimated)."""
    check_not_published(key)
    if entropy_bits(key) < MIN_ENTROPY_BITS or len(set(key)) < MIN_DISTINCT_CHARACTERS:
        raise WeakSecret(f"the secret key is too weak (it needs 32 bytes of entropy); {GENERATE_HINT}")


def key_id(key: str) -> str:
    """A short public name of a key (a hash: it tells nothing about the key)."""
    return hashlib.sha256(b"kid:" + key.encode()).hexdigest()[:12]
