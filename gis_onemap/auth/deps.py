"""Who is asking and what they may do: ``get_principal``, ``require_role``, ``require_read``.

``Authorization: Bearer <token>`` carries either an opaque token (``om_…``, looked up by its
SHA-256 hash in ``api_tokens``) or a JWT from the bureau's identity provider (verified
offline, :mod:`gis_onemap.auth.jwt`). No header → anonymous; an unknown, revoked, malformed or
expired token → 401 with ``WWW-Authenticate: Bearer``; a role too low → 403.

Lookups are cached in-process for ``token_cache_ttl_s`` (default 1 s): a busy client then
costs one dictionary probe per request, and a revocation reaches every process within the TTL
(:func:`forget_cached_tokens` drops the cache at once in the process that revokes).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from gis_onemap.auth.jwt import looks_like_jwt, verifier
from gis_onemap.auth.principal import ANONYMOUS, Principal, Role
from gis_onemap.auth.tokens import token_hash
from gis_onemap.db.tables import API_TOKENS
from gis_onemap.errors import Forbidden, Unauthorized

#: Paths every caller may read even with ``anonymous_read=false``: the landing page, health,
#: conformance and the API description (clients need them to learn how to authenticate), and
#: the map page itself — its HTML holds only the shipped configuration (category definitions,
#: event vocabulary, district outlines), and a browser cannot send a header when it navigates:
#: the page's own sign-in (static/auth.js) then adds the token to every request it makes.
OPEN_PATHS = frozenset({"/", "/healthz", "/conformance", "/api", "/api.html", "/map"})
#: Prefixes that stay open: scripts and styles of the map page and of /api.html, and the
#: offline base map (district outlines shipped with the project) hold no resource data.
OPEN_PREFIXES = ("/map/static/", "/map/basemap/", "/api-static/")
_CACHE_MAX = 10_000


class TokenCache:
    """token hash → (principal, expiry on the monotonic clock); only valid tokens are kept."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, key: str) -> Principal | None:
        """The cached principal of ``key``, or ``None`` when absent or expired."""
        hit = self._entries.get(key)
        if hit is None:
            return None
        if hit[1] < time.monotonic():
            self._entries.pop(key, None)
            return None
        return hit[0]

    def put(self, key: str, principal: Principal, ttl_s: float) -> None:
        """Cache ``principal`` under ``key`` for ``ttl_s`` seconds (nothing when ``ttl_s <= 0``)."""
        if ttl_s <= 0:
            return
        if len(self._entries) >= _CACHE_MAX:  # bounded: a flood of tokens cannot grow it
            self._entries.clear()
        self._entries[key] = (principal, time.monotonic() + ttl_s)

    def clear(self) -> None:
        """Forget every cached principal (after a token is revoked)."""
        self._entries.clear()


def _cache(app: Any) -> TokenCache:
    cache = getattr(app.state, "token_cache", None)
    if cache is None:
        cache = app.state.token_cache = TokenCache()
    return cache


def forget_cached_tokens(app: Any) -> None:
    """Drop this app's token cache (call after revoking a token in this process)."""
    _cache(app).clear()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization`` header; ``None`` without one; 401 for other schemes.

    >>> bearer_token("Bearer om_abc"), bearer_token(None)
    ('om_abc', None)
    """
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthorized("use 'Authorization: Bearer <token>'")
    return token


def _lookup(app: Any, token: str) -> tuple[Principal, float]:
    """The caller and how long it may be cached (seconds)."""
    settings = app.state.settings
    ttl = settings.token_cache_ttl_s
    if looks_like_jwt(token):
        jwt_verifier = verifier(settings)
        if jwt_verifier is None:
            raise Unauthorized("unknown or revoked token")
        principal, exp = jwt_verifier.verify(token)
        return principal, min(ttl, exp - time.time())  # never cached past its expiry
    t = API_TOKENS
    with app.state.engine.connect() as conn:
        row = conn.execute(
            select(t.c.name, t.c.role, t.c.region_codes).where(
                t.c.token_hash == token_hash(token), t.c.revoked_at.is_(None)
            )
        ).first()
    if row is None:
        raise Unauthorized("unknown or revoked token")
    return Principal(row.name, Role[row.role], tuple(row.region_codes or ())), ttl


def get_principal(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """The caller: anonymous without an ``Authorization`` header."""
    token = bearer_token(authorization)
    if token is None:
        return ANONYMOUS
    key = token_hash(token)
    cache = _cache(request.app)
    principal = cache.get(key)
    if principal is None:
        principal, ttl = _lookup(request.app, token)
        cache.put(key, principal, ttl)
    return principal


async def current_principal(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """:func:`get_principal` as an ``async`` dependency.

    Anonymous callers and cached tokens (nearly every request) cost no hop to the thread pool
    (bench/OVERHEAD.md); only a token lookup (a database query or a JWT signature check) runs
    there.
    """
    token = bearer_token(authorization)
    if token is None:
        return ANONYMOUS
    principal = _cache(request.app).get(token_hash(token))
    if principal is not None:
        return principal
    return await run_in_threadpool(get_principal, request, authorization)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


#: Declared on guarded routes only so that the OpenAPI document lists the Bearer scheme and
#: marks exactly the operations that need it (Swagger UI's "Authorize"); it parses nothing
#: that ``get_principal`` does not parse again.
BEARER_SCHEME = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token from `onemap token create`, or a JWT of the identity provider.",
)


def require_role(role: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency: 401 for anonymous callers, 403 when the caller's role is below ``role``.

    Use on a route: ``dependencies=[Depends(require_role(Role.editor))]``.
    """

    async def _check(
        principal: PrincipalDep,
        _scheme: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER_SCHEME)],
    ) -> Principal:
        if principal.role >= role:
            return principal
        if principal.role == Role.anonymous:
            raise Unauthorized(f"this needs a token with the role '{role.name}'")
        raise Forbidden(f"this needs the role '{role.name}' (yours: '{principal.role.name}')")

    _check.__name__ = f"require_{role.name}"
    return _check


def is_open_path(path: str) -> bool:
    """Paths readable without a token even when anonymous reads are off.

    >>> [is_open_path(p) for p in ("/healthz", "/map/static/abc/app.js", "/collections")]
    [True, True, False]
    """
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


async def require_read(request: Request, principal: PrincipalDep) -> Principal:
    """The app-wide read check: the caller, or 401 when a token is required and missing.

    With ``anonymous_read=false`` every route but the open ones needs a token (``async``: no I/O of
    its own, so no hop to the thread pool).
    """
    if (
        principal.role == Role.anonymous
        and not request.app.state.settings.anonymous_read
        and not is_open_path(request.url.path)
    ):
        raise Unauthorized("this server needs a token for reading")
    return principal


#: Route guards: ``@router.post(..., dependencies=[EDITOR])``.
EDITOR = Depends(require_role(Role.editor))
ADMIN = Depends(require_role(Role.admin))
