"""A client that only knows ``GET /collections`` (as QGIS) finds an incident's situation layer
and every link of its document answers 200 on a real server — the live-events link too (it is
a stream: the test reads its ``ready`` event)."""

from __future__ import annotations

import httpx

from tests.live.sse import SSEReader

AT = (110.3594, 21.2707)


def test_every_link_of_a_listed_situation_layer_resolves(server, make_token, make_incident):
    incident = make_incident(*AT)
    headers = {"Authorization": f"Bearer {make_token('viewer')}"}
    with httpx.Client(base_url=server, headers=headers, timeout=30) as c:
        listing = c.get("/collections")
        assert listing.status_code == 200, listing.text
        doc = next(col for col in listing.json()["collections"]
                   if col["id"] == f"situation-{incident}")  # fmt: skip
        assert doc["itemType"] == "feature"
        rels = set()
        for link in doc["links"]:
            rels.add(link["rel"])
            assert link["href"].startswith(server), link
            if link["type"] == "text/event-stream":
                with SSEReader(link["href"], headers) as sse:
                    assert sse.status == 200, getattr(sse, "body", "")
                    assert sse.next_event(timeout=10, kind="ready")
                continue
            resp = c.get(link["href"])
            assert resp.status_code == 200, (link, resp.text)
            if link["rel"] == "self":
                assert resp.json() == doc
        assert {"self", "items", "describedby", "live"} <= rels
