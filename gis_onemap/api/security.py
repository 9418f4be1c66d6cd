"""HTTP hardening in one pure-ASGI middleware: Host check, body content types, security headers.

Why one pure-ASGI middleware rather than ``BaseHTTPMiddleware`` or a custom route class:

- it runs before routing and body parsing, so a cross-site ``text/plain`` POST (a "simple"
  request a browser sends without a CORS preflight: CSRF) is refused with 415 before any handler
  reads the body, and a forged ``Host`` is refused before anything builds a link from it;
- it only wraps ``send`` to add headers to ``http.response.start``: no body buffering, no extra
  task per request (``BaseHTTPMiddleware`` costs both), so small GETs and streamed exports stay as
  fast as before;
- a route class would have to be set on every router, and 404/405 responses and the static
  assets would escape it.

What it does:

- **Host**: unless ``public_url`` is set *and* used, links follow the request's Host; a Host not
  in ``allowed_hosts`` (nor the address the request arrived at, nor ``public_url``'s host) gets
  400, so it never lands in a link, ``Location`` or TileJSON ``tiles``.
- **Bodies**: ``POST``/``PUT``/``PATCH`` with a body must be JSON (``application/json``,
  ``application/geo+json``, ``application/merge-patch+json`` or any ``+json``); the import
  endpoints take only ``multipart/form-data``. Others get 415 and nothing runs.
- **Headers**: ``X-Content-Type-Options: nosniff`` on every response; on HTML a
  ``Content-Security-Policy`` (the map page's, unless the response brought its own, as the map
  products do: :func:`html_product_response`), ``X-Frame-Options`` and ``Referrer-Policy``;
  ``Cache-Control: private`` and ``Vary: Authorization, X-API-Key`` on every response that does
  not declare itself publicly cacheable (tiles, static assets, base map), because items, exports,
  analyses and products differ by credential (personal data).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import orjson
from fastapi.responses import HTMLResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gis_onemap.api.errors import error_body
from gis_onemap.settings import Settings

#: Request headers that change what a response contains (API keys; bearer tokens).
CREDENTIAL_HEADERS = ("Authorization", "X-API-Key")
FRAME_ANCESTORS = "frame-ancestors 'self'"
_JSON_TYPES = ("application/json", "application/geo+json", "application/merge-patch+json")
_IMPORT_PATH = re.compile(r"^/collections/[^/]+/import/?$")
_META_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"', re.I)


def media_type(content_type: str) -> str:
    """The bare media type of a ``Content-Type`` value, lower case.

    >>> media_type("Application/JSON; charset=utf-8")
    'application/json'
    >>> media_type("")
    ''
    """
    return content_type.split(";", 1)[0].strip().lower()


def is_json_type(content_type: str) -> bool:
    """Whether a request body of this type is JSON (RFC 6839 ``+json`` suffixes included).

    >>> [is_json_type(t) for t in ("application/json", "application/geo+json; charset=utf-8",
    ...  "application/merge-patch+json", "application/vnd.oai.openapi+json")]
    [True, True, True, True]
    >>> [is_json_type(t) for t in ("text/plain", "application/x-www-form-urlencoded",
    ...  "multipart/form-data; boundary=x", "", "application/jsonp")]
    [False, False, False, False, False]
    """
    mt = media_type(content_type)
    return mt in _JSON_TYPES or (mt.startswith("application/") and mt.endswith("+json"))


def host_name(host_header: str) -> str:
    """The host of a ``Host`` header, without port, lower case (IPv6 keeps its brackets).

    >>> host_name("LocalHost:8000"), host_name("[::1]:8000"), host_name("127.0.0.1")
    ('localhost', '[::1]', '127.0.0.1')
    """
    host = host_header.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def map_page_csp(settings: Settings) -> str:
    """The CSP of the ``/map`` page (and any other HTML without its own policy).

    Everything comes from this server; MapLibre builds its workers from ``blob:`` URLs and draws
    canvas icons as ``data:`` images; styles: MapLibre's stylesheet plus inline ``style``
    attributes of its markers. An external base map (``basemap_url``) adds its own origin.

    >>> csp = map_page_csp(Settings(basemap_url="http://tiles.intranet:8080/{z}/{x}/{y}.png"))
    >>> "img-src 'self' data: blob: http://tiles.intranet:8080;" in csp, csp.split("; ")[:2]
    (True, ["default-src 'self'", "script-src 'self'"])
    """
    extra = ""
    if settings.basemap_url:
        parts = urlsplit(settings.basemap_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            extra = f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob:{extra}; connect-src 'self'{extra}; font-src 'self' data:; "
        f"object-src 'none'; base-uri 'none'; form-action 'self'; {FRAME_ANCESTORS}"
    )


def html_product_response(html: str, status_code: int = 200) -> HTMLResponse:
    """An offline map product (:func:`gis_onemap.maps.offline_html`) as a response.

    Its CSP header is the product's own ``<meta>`` policy (hashes of its inline scripts) plus
    ``frame-ancestors``, which a ``<meta>`` policy cannot carry.
    """
    found = _META_CSP.search(html[:4096])
    policy = f"{found.group(1)}; {FRAME_ANCESTORS}" if found else None
    headers = {"Content-Security-Policy": policy} if policy else None
    return HTMLResponse(html, status_code=status_code, headers=headers)


def with_script_hashes(response: HTMLResponse, settings: Settings) -> HTMLResponse:
    """A page of this server with inline scripts under the map page's policy.

    ``response`` is e.g. Swagger UI's ``/api.html``; its own inline scripts are allowed by
    hash, so nothing injected runs.
    """
    from gis_onemap.maps.offline import script_hashes  # folium: imported only when needed

    hashes = " ".join(script_hashes(bytes(response.body).decode("utf-8")))
    response.headers["Content-Security-Policy"] = map_page_csp(settings).replace(
        "script-src 'self';", f"script-src 'self' {hashes};", 1
    )
    return response


class SecurityMiddleware:
    """Pure-ASGI middleware: see the module docstring."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.any_host = "*" in settings.allowed_hosts
        self.allowed_hosts = {h.strip().lower() for h in settings.allowed_hosts}
        if settings.public_url:
            self.allowed_hosts.add(host_name(urlsplit(settings.public_url).netloc))
        self.html_csp = map_page_csp(settings)

    def _refusal(self, scope: Scope, headers: Headers) -> tuple[int, str, str] | None:
        if not self.any_host:
            host = host_name(headers.get("host", ""))
            server = scope.get("server")
            served = host_name(str(server[0])) if server else None
            # the address the connection really arrived at is never forged: always allowed
            if host not in self.allowed_hosts and host != served and f"[{served}]" != host:
                return 400, "InvalidHost", "the Host header names a host this server does not serve"
        method = scope["method"]
        if method in ("POST", "PUT", "PATCH") and (
            headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers
        ):
            ctype = headers.get("content-type", "")
            if _IMPORT_PATH.match(scope["path"]):
                if media_type(ctype) != "multipart/form-data":
                    return (
                        415,
                        "UnsupportedMediaType",
                        "an import must be sent as multipart/form-data",
                    )
            elif not is_json_type(ctype):
                return (
                    415,
                    "UnsupportedMediaType",
                    "the request body must be JSON (Content-Type: application/json, "
                    "application/geo+json or application/merge-patch+json)",
                )
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then add the security headers to its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope, Headers(scope=scope))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add_headers(MutableHeaders(scope=message))
            await send(message)

        if refusal is None:
            await self.app(scope, receive, send_with_headers)
            return
        status, code, text = refusal
        body = orjson.dumps(error_body(status, code, text))
        await send_with_headers(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _add_headers(self, headers: MutableHeaders) -> None:
        headers["X-Content-Type-Options"] = "nosniff"
        if media_type(headers.get("content-type", "")) == "text/html":
            if "content-security-policy" not in headers:
                headers["Content-Security-Policy"] = self.html_csp
            headers["X-Frame-Options"] = "SAMEORIGIN"
            headers["Referrer-Policy"] = "no-referrer"
        cache = headers.get("cache-control", "")
        if "public" in cache.lower():
            return  # tiles, static assets, base map: the same for everybody
        if not cache:
            headers["Cache-Control"] = "private"
        elif not re.search(r"\b(private|no-store)\b", cache, re.I):
            headers["Cache-Control"] = f"{cache}, private"
        vary = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
        lower = {v.lower() for v in vary}
        vary += [h for h in CREDENTIAL_HEADERS if h.lower() not in lower]
        headers["Vary"] = ", ".join(vary)


__all__ = [
    "SecurityMiddleware",
    "html_product_response",
    "is_json_type",
    "map_page_csp",
    "with_script_hashes",
]
