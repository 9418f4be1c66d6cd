"""Re-rank features found in a straight line by travel time.

``by=time`` on nearest and surroundings.

Given features already chosen (the surroundings within a radius, say), each one is snapped to
the network and its ETA comes from one Dijkstra from the origin over the reversed graph
(``to_origin``: from the feature to the incident, the way teams and supplies travel) or the
graph itself. One search serves every feature of every category: SciPy's Dijkstra over the
network held in memory (:mod:`gis_onemap.roads.network`, the edges and costs pgRouting routes
on), bounded by :data:`gis_onemap.roads.service.MAX_BOUND_S`; route lengths of the reached ones
come from one many-to-one ``pgr_dijkstra``. Features that are too far from a road, or that
cannot be reached at all, are kept after the reachable ones, by straight-line distance, flagged
``reachable: false, fallback: "straight_line"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gis_onemap.analysis.inputs import Origin
from gis_onemap.roads import network, routing
from gis_onemap.roads.routing import Snap
from gis_onemap.roads.service import MAX_BOUND_S, Avoid, RoadService, point_of


def rank_key(props: dict[str, Any]) -> tuple[int, float, float]:
    """Sort key: reachable first by ETA, then the rest by straight-line distance.

    >>> sorted([{"reachable": False, "distance_m": 5.0}, {"reachable": True, "eta_s": 90.0,
    ...   "distance_m": 900.0}, {"reachable": True, "eta_s": 30.0, "distance_m": 1000.0}],
    ...   key=rank_key)[0]["eta_s"]
    30.0
    """
    if props.get("reachable"):
        return (0, float(props["eta_s"]), float(props.get("distance_m") or 0.0))
    return (1, float(props.get("distance_m") or 0.0), 0.0)


def annotate_by_time(
    service: RoadService,
    origin: Origin,
    features: Sequence[dict[str, Any]],
    *,
    to_origin: bool = True,
    avoid: Avoid = Avoid(),
) -> Snap:
    """Add travel fields to each feature's properties, in place; returns the origin's snap.

    The fields are ``eta_s``, ``route_length_m``, ``snap_distance_m``, ``reachable`` (and
    ``fallback``).
    """
    start = service.snap(origin)
    # a feature without a geometry cannot be placed on the network: it falls back
    points = [point_of(f) if f.get("geometry") else None for f in features]
    found = iter(
        routing.snap_many(service.session, [p for p in points if p is not None], service.max_snap_m)
    )
    snaps = [None if p is None else next(found) for p in points]
    wanted = sorted({s.vertex for s in snaps if s is not None})
    costs: dict[int, float] = {}
    if wanted:
        # one search over the network held in memory, bounded by 4 hours: a time bound
        # doubled round by round (as nearest_by_time does) would search the whole network
        # about eight times whenever one feature cannot be reached (a one-way trap)
        net = network.current(service.session)
        closed = network.closed_edges(
            service.session, avoid_closures=avoid.closures, avoid_areas=avoid.areas
        )
        dist = net.times(start.vertex, MAX_BOUND_S, net.edge_mask(closed), towards=to_origin)
        costs = net.at_vertices(dist, wanted)
    reached = [v for v in wanted if v in costs]
    lengths: dict[int, float] = {}
    if reached:
        reach = max(costs[v] for v in reached) + 1.0
        lengths = service.lengths(start, reached, to_origin, avoid, reach)
    for feature, s in zip(features, snaps, strict=True):
        props = feature.setdefault("properties", {})
        ok = s is not None and s.vertex in costs
        eta = costs[s.vertex] if ok and s is not None else None
        length = lengths.get(s.vertex) if ok and s is not None else None
        props.update(
            eta_s=None if eta is None else round(eta, 1),
            route_length_m=None if length is None else round(length, 1),
            snap_distance_m=None if s is None else round(s.distance_m, 2),
            reachable=ok,
        )
        if ok:
            props.pop("fallback", None)
        else:
            props["fallback"] = "straight_line"
    return start


def surroundings_by_time(
    service: RoadService,
    origin: Origin,
    result: dict[str, Any],
    *,
    to_origin: bool = True,
    avoid: Avoid = Avoid(),
) -> dict[str, Any]:
    """A surroundings result with every listed feature ranked by ETA (in place; returned).

    One search covers the features of all categories; each category's list is then sorted by
    :func:`rank_key`. Totals (``summary``) still count everything within the radius.
    """
    collections = result.get("collections", {})
    features = [f for c in collections.values() for f in c.get("features", [])]
    start = annotate_by_time(service, origin, features, to_origin=to_origin, avoid=avoid)
    for collection in collections.values():
        collection["features"].sort(key=lambda f: rank_key(f["properties"]))
    result["by"] = "time"
    result["direction"] = "to" if to_origin else "from"
    result["origin_snap_distance_m"] = round(start.distance_m, 2)
    return result
