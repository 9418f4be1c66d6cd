"""JWTs from the bureau's identity provider, verified offline (PyJWT).

The key comes from a PEM public key file or a JWKS file (``jwt_public_key_file`` /
``jwt_jwks_file``); only asymmetric algorithms are accepted, so a token signed with ``none``
or with HS256 using the *public* key as a shared secret (the classic confusion attack) fails.
The role and region codes are read from configurable claims.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt

from gis_onemap.auth.principal import Principal, Role
from gis_onemap.errors import Unauthorized
from gis_onemap.settings import Settings

log = logging.getLogger(__name__)

#: Asymmetric algorithms PyJWT verifies with a public key.
ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


def looks_like_jwt(token: str) -> bool:
    """Opaque tokens are ``om_…``; a JWT is three base64url parts.

    >>> looks_like_jwt("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"), looks_like_jwt("om_abc")
    (True, False)
    """
    return token.count(".") == 2 and not token.startswith("om_")


def safe_algorithms(algorithms: list[str]) -> list[str]:
    """The configured algorithms, refusing symmetric ones and ``none``.

    >>> safe_algorithms(["RS256", "ES256"])
    ['RS256', 'ES256']
    >>> safe_algorithms(["HS256"])
    Traceback (most recent call last):
    ...
    ValueError: jwt_algorithms: only asymmetric algorithms are allowed, not ['HS256']
    """
    bad = [a for a in algorithms if a not in ASYMMETRIC]
    if bad or not algorithms:
        raise ValueError(f"jwt_algorithms: only asymmetric algorithms are allowed, not {bad}")
    return list(algorithms)


@dataclass(frozen=True)
class JwtVerifier:
    """Verifies tokens against the configured keys (by ``kid`` when the JWKS has several)."""

    keys: tuple[tuple[str | None, Any], ...]  # (kid, key object)
    algorithms: tuple[str, ...]
    audience: str | None
    issuer: str | None
    role_claim: str
    region_claim: str

    def _key_for(self, token: str) -> Any:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            raise Unauthorized("malformed token") from None
        for k, key in self.keys:
            if kid is None or k is None or k == kid:
                return key
        raise Unauthorized("token signed with an unknown key")

    def principal(self, token: str) -> Principal:
        """The caller described by a valid token; 401 for anything else."""
        return self.verify(token)[0]

    def verify(self, token: str) -> tuple[Principal, float]:
        """The caller and the token's expiry (Unix seconds): a cache must not outlive it."""
        key = self._key_for(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(self.algorithms),
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp"], "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token expired") from None
        except jwt.PyJWTError as exc:
            log.info("JWT refused: %s", exc)  # the reason in the log, not in the answer
            raise Unauthorized("invalid token") from None
        principal = principal_from_claims(claims, self.role_claim, self.region_claim)
        return principal, float(claims["exp"])


def principal_from_claims(claims: dict[str, Any], role_claim: str, region_claim: str) -> Principal:
    """Role and regions from verified claims; a missing or unknown role → 401.

    >>> principal_from_claims({"sub": "li", "r": "editor", "g": "440803"}, "r", "g")
    Principal(name='li', role=<Role.editor: 2>, region_codes=('440803',))
    """
    role = claims.get(role_claim)
    if isinstance(role, list):  # some providers send a list of roles: take the highest known
        known = [Role[r] for r in role if isinstance(r, str) and r in Role.__members__]
        role = max(known).name if known else None
    if not isinstance(role, str) or role not in Role.__members__ or role == "anonymous":
        raise Unauthorized("the token carries no known role")
    regions = claims.get(region_claim) or ()
    if isinstance(regions, str):
        regions = (regions,)
    codes = tuple(str(r) for r in regions if str(r).isdigit())
    name = str(claims.get("sub") or claims.get("preferred_username") or "jwt")
    return Principal(name, Role[role], codes)


def _load_keys(key_file: Path | None, jwks_file: Path | None) -> tuple[tuple[str | None, Any], ...]:
    keys: list[tuple[str | None, Any]] = []
    if key_file:
        keys.append((None, _pem_key(Path(key_file).read_bytes())))
    if jwks_file:
        jwks = jwt.PyJWKSet.from_dict(json.loads(Path(jwks_file).read_text()))
        keys.extend((k.key_id, k.key) for k in jwks.keys)
    return tuple(keys)


def _pem_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    return load_pem_public_key(pem)  # a key object: PyJWT then never treats it as an HMAC secret


@lru_cache(maxsize=8)
def _verifier_cached(
    key_file: Path | None,
    jwks_file: Path | None,
    algorithms: tuple[str, ...],
    audience: str | None,
    issuer: str | None,
    role_claim: str,
    region_claim: str,
) -> JwtVerifier | None:
    keys = _load_keys(key_file, jwks_file)
    if not keys:
        return None
    return JwtVerifier(
        keys, tuple(safe_algorithms(list(algorithms))), audience, issuer, role_claim, region_claim
    )


def verifier(settings: Settings) -> JwtVerifier | None:
    """The verifier for these settings (keys read once), or ``None`` when JWTs are off."""
    if not settings.jwt_public_key_file and not settings.jwt_jwks_file:
        return None
    return _verifier_cached(
        settings.jwt_public_key_file,
        settings.jwt_jwks_file,
        tuple(settings.jwt_algorithms),
        settings.jwt_audience,
        settings.jwt_issuer,
        settings.jwt_role_claim,
        settings.jwt_region_claim,
    )
