"""Request body size limit: a pure ASGI middleware, so a huge body is refused while it streams.

``Content-Length`` above the limit is answered 413 at once, before a byte of the body is read;
a body without one (chunked) is counted as it arrives and refused as soon as it passes the
limit. JSON and other bodies get ``max_body_bytes``; multipart uploads to
``/collections/{id}/import`` get ``max_upload_bytes`` (what happens inside an upload is bounded
by ``gis_onemap.io``).

Starlette's own ``RequestBodyLimitMiddleware`` answers in plain text with one limit per route;
this one answers with the API's JSON error document and picks the limit by path.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gis_onemap.errors import LimitExceeded

#: Paths whose POST bodies are file uploads (``max_upload_bytes``).
UPLOAD_PATH = re.compile(r"^/collections/[^/]+/import/?$")


class BodyTooLarge(LimitExceeded):
    """The request body is larger than the limit for its path."""


def _message(limit: int) -> str:
    """The client's message for a body over ``limit`` bytes.

    >>> _message(10 * 1024**2)
    'the request body is larger than 10485760 bytes (10.0 MB)'
    """
    return f"the request body is larger than {limit} bytes ({limit / 1024**2:.1f} MB)"


class BodySizeLimit:
    """Refuse request bodies over ``max_body_bytes`` (uploads: ``max_upload_bytes``) with 413."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, scope: Scope) -> int:
        """The limit for this request: uploads have their own."""
        if scope.get("method") == "POST" and UPLOAD_PATH.match(scope.get("path", "")):
            return self.max_upload_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Bound the request body, then pass the request on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is None and "transfer-encoding" not in headers:
            # no body framing, so no body (HTTP/1.1, RFC 9112 §6.3): nothing to count, and
            # no wrapped receive/send on every GET (bench/OVERHEAD.md)
            await self.app(scope, receive, send)
            return
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge(_message(limit))
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(_message(limit))
            return message

        replaced = False

        async def guarded_send(message: Message) -> None:
            nonlocal started, replaced
            if message["type"] == "http.response.start":
                started = True
                if exceeded and message.get("status") != 413:
                    # a layer turned our error into another one (FastAPI makes any error
                    # while parsing a form a 400): the client still gets the 413
                    replaced = True
                    await self._refuse(scope, receive, send, limit)
                    return
            elif replaced:
                return  # the body of the replaced response
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        body = {
            "code": BodyTooLarge.code,
            "description": _message(limit),
            "status": BodyTooLarge.status_code,
        }
        # the rest of the body is not read: the connection cannot be reused
        response = JSONResponse(body, status_code=413, headers={"Connection": "close"})
        await response(scope, receive, send)
