"""JWTs from the identity provider: verified offline against a PEM key or a JWKS file."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gis_onemap.auth.jwt import verifier
from gis_onemap.auth.principal import Role
from tests.auth.helpers import bearer, client_for
from tests.samples import sample_feature

ITEMS = "/collections/shelters/items"
AUD, ISS = "onemap", "https://idp.bureau.example"


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def jwt_settings(settings, rsa_key, tmp_path):
    pem = tmp_path / "idp.pem"
    pem.write_bytes(_pem(rsa_key))
    return settings.model_copy(
        update={
            "jwt_public_key_file": pem,
            "jwt_audience": AUD,
            "jwt_issuer": ISS,
            "jwt_role_claim": "onemap_role",
            "jwt_region_claim": "division_codes",
        }
    )


def _claims(**extra):
    now = int(time.time())
    base = {"sub": "li.si", "aud": AUD, "iss": ISS, "iat": now, "exp": now + 600}
    base.update(extra)
    return base


def _sign(key, alg="RS256", headers=None, **claims) -> str:
    return jwt.encode(_claims(**claims), key, algorithm=alg, headers=headers)


def test_role_claim_decides_what_the_caller_may_do(jwt_settings, db_session, rsa_key):
    editor = _sign(rsa_key, onemap_role="editor")
    viewer = _sign(rsa_key, onemap_role="viewer")
    with client_for(jwt_settings, db_session, bearer(editor)) as c:
        assert c.post(ITEMS, json=sample_feature("shelters")).status_code == 201
    with client_for(jwt_settings, db_session, bearer(viewer)) as c:
        assert c.post(ITEMS, json=sample_feature("shelters")).status_code == 403
        assert c.get(ITEMS).status_code == 200


def test_region_claim_is_honoured(jwt_settings, rsa_key):
    token = _sign(rsa_key, onemap_role="editor", division_codes=["440803", "440881"])
    p = verifier(jwt_settings).principal(token)
    assert (p.name, p.role, p.region_codes) == ("li.si", Role.editor, ("440803", "440881"))
    assert p.in_region("440803") and not p.in_region("440802")
    single = verifier(jwt_settings).principal(
        _sign(rsa_key, onemap_role="viewer", division_codes="4408")
    )
    assert single.region_codes == ("4408",)


def _unauthorized(jwt_settings, db_session, token):
    with client_for(jwt_settings, db_session, bearer(token)) as c:
        r = c.get(ITEMS)
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert "Traceback" not in r.text
        return r


def test_wrong_key_is_401(jwt_settings, db_session, other_key):
    _unauthorized(jwt_settings, db_session, _sign(other_key, onemap_role="admin"))


def test_expired_is_401(jwt_settings, db_session, rsa_key):
    r = _unauthorized(
        jwt_settings, db_session, _sign(rsa_key, onemap_role="admin", exp=int(time.time()) - 60)
    )
    assert "expired" in r.json()["description"]


@pytest.mark.parametrize(
    "token",
    [
        "eyJhbGciOiJSUzI1NiJ9.not-base64!.sig",
        "a.b.c",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.",
    ],
)
def test_malformed_is_401(jwt_settings, db_session, token):
    _unauthorized(jwt_settings, db_session, token)


def test_wrong_audience_issuer_missing_exp_or_role_is_401(jwt_settings, db_session, rsa_key):
    for token in (
        _sign(rsa_key, onemap_role="admin", aud="someone-else"),
        _sign(rsa_key, onemap_role="admin", iss="https://evil.example"),
        jwt.encode(
            {k: v for k, v in _claims(onemap_role="admin").items() if k != "exp"},
            rsa_key,
            algorithm="RS256",
        ),
        _sign(rsa_key),  # no role claim
        _sign(rsa_key, onemap_role="superuser"),
        _sign(rsa_key, role="admin"),  # the default claim name, but this server reads another
    ):
        _unauthorized(jwt_settings, db_session, token)


def test_alg_none_and_hs256_with_the_public_key_are_401(jwt_settings, db_session, rsa_key):
    unsigned = jwt.encode(_claims(onemap_role="admin"), None, algorithm="none")
    _unauthorized(jwt_settings, db_session, unsigned)
    # the classic confusion: HMAC keyed with the (public) PEM text
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(_claims(onemap_role="admin")).encode())
    sig = hmac.new(_pem(rsa_key), f"{head}.{body}".encode(), hashlib.sha256).digest()
    _unauthorized(jwt_settings, db_session, f"{head}.{body}.{b64(sig)}")


def test_symmetric_algorithms_cannot_be_configured(jwt_settings, rsa_key):
    bad = jwt_settings.model_copy(update={"jwt_algorithms": ["HS256"]})
    with pytest.raises(ValueError, match="asymmetric"):
        verifier(bad)


def test_jwks_file_with_key_ids(settings, db_session, tmp_path, rsa_key, other_key):
    ec_key = ec.generate_private_key(ec.SECP256R1())
    jwks = {
        "keys": [
            {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key())), "kid": "r1"},
            {**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key())), "kid": "e1"},
        ]
    }
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks))
    s = settings.model_copy(update={"jwt_jwks_file": path})
    ok_rsa = _sign(rsa_key, headers={"kid": "r1"}, role="editor")
    ok_ec = _sign(ec_key, alg="ES256", headers={"kid": "e1"}, role="editor")
    for token in (ok_rsa, ok_ec):
        with client_for(s, db_session, bearer(token)) as c:
            assert c.post(ITEMS, json=sample_feature("shelters")).status_code == 201
    for token in (
        _sign(other_key, headers={"kid": "r1"}, role="editor"),  # right kid, wrong key
        _sign(rsa_key, headers={"kid": "zz"}, role="editor"),  # unknown kid
    ):
        with client_for(s, db_session, bearer(token)) as c:
            assert c.get(ITEMS).status_code == 401


def test_a_cached_jwt_is_not_honoured_past_its_expiry(jwt_settings, db_session, rsa_key):
    s = jwt_settings.model_copy(update={"token_cache_ttl_s": 60})
    with client_for(s, db_session) as c:
        # signed once the app is up, with ≥ 4 s to live: a busy machine's app start-up or
        # first request must not outlast the token before it is verified and cached
        exp = int(time.time()) + 5
        headers = bearer(_sign(rsa_key, onemap_role="viewer", exp=exp))
        assert c.get(ITEMS, headers=headers).status_code == 200  # verified and cached
        time.sleep(max(0.0, exp - time.time()) + 0.2)
        assert c.get(ITEMS, headers=headers).status_code == 401
