"""Building absolute links: ``ONEMAP_PUBLIC_URL`` when set, else the (validated) request.

The request's Host header reaches here only after :mod:`gis_onemap.api.security` has checked it
against ``allowed_hosts``, so a forged Host never lands in a link, ``Location`` or TileJSON.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request


def base_url(request: Request) -> str:
    """The public root of the API, without a trailing slash."""
    configured = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def request_url(request: Request, **params: str) -> str:
    """The public URL of this request (path and query), with ``params`` set in its query.

    Used for ``self``/``next`` links instead of ``request.url``, which always follows the Host.
    """
    url = request.url.include_query_params(**params) if params else request.url
    root_path = request.scope.get("root_path", "")
    path = url.path[len(root_path) :] if root_path and url.path.startswith(root_path) else url.path
    return f"{base_url(request)}{path}" + (f"?{url.query}" if url.query else "")


def link(request: Request, path: str, rel: str, type_: str, title: str = "") -> dict[str, Any]:
    """An OGC API link object to ``path`` on this server."""
    out = {"href": f"{base_url(request)}{path}", "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out
