"""Bearer tokens: generated once, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "om_"


def new_token() -> str:
    """A fresh random token (shown to the admin once, never stored).

    >>> t = new_token(); t.startswith("om_") and len(t) > 40
    True
    """
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token (SHA-256, hex): tokens are long random strings, so a plain
    hash is enough (no salt/KDF needed, unlike passwords) and lookups stay one index probe.

    >>> token_hash("om_x") == hashlib.sha256(b"om_x").hexdigest()
    True
    """
    return hashlib.sha256(token.encode()).hexdigest()
