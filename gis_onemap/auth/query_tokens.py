"""Refuse credentials in the query string, and keep them out of the access log.

Tokens belong in the ``Authorization`` header: URLs end up in access logs, proxies and browser
history. uvicorn writes its access line from the *same* ``scope`` dict it hands to the app,
after the app has answered, so this outermost middleware overwrites ``scope["query_string"]``
in place with a redacted copy before answering 400: the secret never reaches a log line.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

#: Query parameters that look like credentials (compared case-insensitively).
TOKEN_PARAMS = frozenset({"access_token", "token", "api_key", "apikey", "api-key", "key"})
REDACTED = "REDACTED"


def redact_query(query: bytes) -> tuple[bytes, bool]:
    """The query string with credential values replaced, and whether there were any.

    >>> redact_query(b"limit=5&access_token=om_secret")
    (b'limit=5&access_token=REDACTED', True)
    >>> redact_query(b"limit=5")
    (b'limit=5', False)
    """
    if not query:
        return query, False
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    found = False
    out = []
    for k, v in pairs:
        if k.lower() in TOKEN_PARAMS:
            found, v = True, REDACTED
        out.append((k, v))
    if not found:
        return query, False
    return urlencode(out).encode("latin-1"), True


class QueryTokenGuard:
    """ASGI middleware: 400 for a request with a token in its query string (redacted first)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Pass the request on with tokens in its query string redacted."""
        if scope["type"] != "http" or not scope.get("query_string"):
            await self.app(scope, receive, send)
            return
        redacted, found = redact_query(scope["query_string"])
        if not found:
            await self.app(scope, receive, send)
            return
        scope["query_string"] = redacted  # in place: the server's access log reads this dict
        body = orjson.dumps(
            {
                "code": "InvalidParameterValue",
                "description": "send tokens in the 'Authorization: Bearer' header, "
                "never in the URL",
                "status": 400,
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
