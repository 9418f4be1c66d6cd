"""Helpers of the browser tests: watch a page's requests and errors, blocking other hosts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PageWatch:
    """What a page did: requests to other hosts (blocked), console errors, uncaught errors."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


LOCAL_PREFIXES = ("http://127.0.0.1", "data:", "blob:", "file:")


def watch_page(page: Any) -> PageWatch:
    """Block every request to a host other than 127.0.0.1 and record it; record errors."""
    w = PageWatch()

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(LOCAL_PREFIXES):
            r.continue_()
        else:
            w.blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: w.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: w.console_errors.append(f"uncaught: {e}"))
    # ERR_ABORTED = cancelled by the page (MapLibre drops tiles that left the view): not a failure
    page.on(
        "requestfailed",
        lambda r: (
            None if "ERR_ABORTED" in str(r.failure) else w.failed.append(f"{r.url} {r.failure}")
        ),
    )
    return w
