"""Bearer tokens: generated once, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from gis_onemap.auth.principal import Role
from gis_onemap.db.tables import API_TOKENS
from gis_onemap.errors import Conflict, InvalidInput, NotFound

TOKEN_PREFIX = "om_"


def new_token() -> str:
    """A fresh random token (shown to the admin once, never stored).

    >>> t = new_token(); t.startswith("om_") and len(t) > 40
    True
    """
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token (SHA-256, hex).

    Tokens are long random strings, so a plain hash is enough (no salt/KDF needed, unlike passwords)
    and lookups stay one index probe.

    >>> token_hash("om_x") == hashlib.sha256(b"om_x").hexdigest()
    True
    """
    return hashlib.sha256(token.encode()).hexdigest()


# --- the api_tokens table: create, list, revoke (the CLI and, later, admin endpoints) ---------


@dataclass(frozen=True)
class TokenInfo:
    """A stored token, without its secret (only the hash is stored)."""

    name: str
    role: str
    region_codes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None


def known_region_codes() -> frozenset[str]:
    """The 6-digit administrative codes the project knows.

    The demo city and its districts (the same list the map page and base map use).
    """
    from gis_onemap.web.basemap import districts

    return frozenset(d.code for d in districts() if d.code)


def check_region_codes(codes: Iterable[str], known: Iterable[str] | None = None) -> tuple[str, ...]:
    """Each code must be a known code or a prefix of one (``4408`` = the city and its districts).

    Else :class:`InvalidInput` naming the bad codes.

    >>> check_region_codes(["4408", "440803"], known={"440800", "440803"})
    ('4408', '440803')
    >>> check_region_codes(["440899"], known={"440800"})
    Traceback (most recent call last):
    ...
    gis_onemap.errors.InvalidInput: unknown region code(s): 440899
    """
    known_set = frozenset(known) if known is not None else known_region_codes()
    out: list[str] = []
    bad: list[str] = []
    for raw in codes:
        code = raw.strip()
        ok = code.isdigit() and 2 <= len(code) <= 6 and any(k.startswith(code) for k in known_set)
        (out if ok else bad).append(code)
    if bad:
        raise InvalidInput(f"unknown region code(s): {', '.join(bad)}")
    return tuple(dict.fromkeys(out))


def create_token(conn: Connection, name: str, role: Role, region_codes: Iterable[str] = ()) -> str:
    """Store a new token's hash and return the token (the only time it is visible)."""
    name = name.strip()
    if not name:
        raise InvalidInput("a token needs a name")
    if role == Role.anonymous:
        raise InvalidInput("a token's role is viewer, editor or admin")
    codes = check_region_codes(region_codes) if region_codes else ()
    t = API_TOKENS
    if conn.execute(select(t.c.id).where(t.c.name == name)).first() is not None:
        raise Conflict(f"a token named {name!r} exists already")
    token = new_token()
    conn.execute(
        insert(t).values(
            name=name, token_hash=token_hash(token), role=role.name, region_codes=list(codes)
        )
    )
    return token


def list_tokens(conn: Connection) -> list[TokenInfo]:
    """Every API token (name, role, regions, created, revoked), by name; never the secret."""
    t = API_TOKENS
    rows = conn.execute(
        select(t.c.name, t.c.role, t.c.region_codes, t.c.created_at, t.c.revoked_at).order_by(
            t.c.name
        )
    )
    return [
        TokenInfo(r.name, r.role, tuple(r.region_codes or ()), r.created_at, r.revoked_at)
        for r in rows
    ]


def revoke_token(conn: Connection, name: str) -> None:
    """Mark a token revoked (kept for the audit trail); unknown or already revoked → error."""
    t = API_TOKENS
    done = conn.execute(
        update(t)
        .where(t.c.name == name, t.c.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(t.c.id)
    ).first()
    if done is None:
        raise NotFound(f"no active token named {name!r}")
