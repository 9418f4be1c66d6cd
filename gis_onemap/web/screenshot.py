"""Screenshot of the one map with an incident set: ``python -m gis_onemap.web.screenshot URL OUT``.

Drives Debian's headless Chromium with Playwright (a dev dependency); used for
``docs/screenshot-map.png`` against a server with the demo data loaded.
"""

from __future__ import annotations

import argparse
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def screenshot(
    base_url: str,
    out: Path,
    incident: tuple[float, float] = (110.36, 21.27),
    radius_m: int = 3000,
    event_type: str = "hazardous_chemicals",
    size: tuple[int, int] = (1280, 800),
) -> Path:
    """Open ``/map``, set an incident, wait for the surroundings and save a PNG to ``out``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        page.goto(f"{base_url.rstrip('/')}/map")
        # predicates as functions: a bare expression is run with eval, which the CSP refuses
        page.wait_for_function("() => document.body.dataset.ready === '1'", timeout=60_000)
        page.select_option("#radius-select", str(radius_m))
        page.select_option("#event-select", event_type)
        page.evaluate(f"() => OneMap.setIncident({incident[0]}, {incident[1]})")
        page.wait_for_function(
            "() => document.querySelectorAll('#surroundings-list .sur-cat').length === 8",
            timeout=60_000,
        )
        page.evaluate("() => document.getElementById('surroundings').scrollIntoView()")
        page.evaluate(
            "() => new Promise(r => { OneMap.map.once('idle', r); OneMap.map.triggerRepaint(); })"
        )
        page.wait_for_timeout(500)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        browser.close()
    return out


def main() -> None:
    """Command line: screenshot the map page of a running server into a PNG."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("url", help="base URL of a running server, e.g. http://127.0.0.1:8000")
    ap.add_argument("out", type=Path, help="PNG file to write")
    args = ap.parse_args()
    path = screenshot(args.url, args.out)
    print(f"{path}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
