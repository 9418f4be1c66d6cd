"""Committed bearer tokens on a database of the test's own (live servers and access tests:
the server checks tokens on its own connections, so they must be committed)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from sqlalchemy import Engine, text

from gis_onemap.auth.tokens import new_token, token_hash

_names = itertools.count()


def token_maker(engine: Engine, prefix: str) -> Callable[..., str]:
    """``make = token_maker(engine, "live")``; ``make("editor", ["440803"])`` → a committed
    token of that role, limited to those regions (none: the whole city), named uniquely."""

    def make(role: str, regions: list[str] | None = None) -> str:
        token = new_token()
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO api_tokens (name, token_hash, role, region_codes) "
                    "VALUES (:n, :h, :r, :c)"
                ),
                {"n": f"{prefix}-{role}-{next(_names)}", "h": token_hash(token), "r": role,
                 "c": regions or []},
            )  # fmt: skip
        return token

    return make


def auth(token: str) -> dict[str, str]:
    """The ``Authorization`` header of ``token``."""
    return {"Authorization": f"Bearer {token}"}
