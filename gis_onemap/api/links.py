"""Building absolute links (honours ``ONEMAP_BASE_URL`` behind a proxy)."""

from __future__ import annotations

from typing import Any

from fastapi import Request


def base_url(request: Request) -> str:
    """The public root of the API, without a trailing slash."""
    configured = request.app.state.settings.base_url
    return (configured or str(request.base_url)).rstrip("/")


def link(request: Request, path: str, rel: str, type_: str, title: str = "") -> dict[str, Any]:
    out = {"href": f"{base_url(request)}{path}", "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out
