-- Service-area bands (small ones; large ones are drawn on a grid): the reachable parts of roads within each band's time, buffered, with a
-- 1 m hole at every covered node that is not reached in time. Filled in by gis_onemap.roads.areas:
-- {c} {rc} are trusted column names and {edges} the edges query built from numbers by
-- gis_onemap.roads.routing.edges_sql; values from clients only come as bound parameters.
WITH dd AS (  -- each vertex reached within the longest band and its time (gis_onemap.roads.network)
    SELECT unnest(CAST(:nodes AS bigint[])) AS node, unnest(CAST(:costs AS float8[])) AS agg_cost
),
reached AS (
    SELECT e.geom, {c} AS c, {rc} AS rc, a.agg_cost AS ca, b.agg_cost AS cb
    FROM ({edges}) es
    JOIN road_edges e ON e.id = es.id
    LEFT JOIN dd a ON a.node = e.source
    LEFT JOIN dd b ON b.node = e.target
    WHERE a.node IS NOT NULL OR b.node IS NOT NULL
),
bands AS (SELECT unnest(CAST(:bands AS float8[])) AS t),
parts AS (
    SELECT bands.t,
           -- share of the edge reachable from its source end (moving along it) and from its
           -- target end (moving against it), each 0 when that way is closed or not reached
           CASE WHEN r.ca IS NOT NULL AND r.ca <= bands.t AND r.c >= 0 THEN
                CASE WHEN r.c = 0 THEN 1 ELSE least(1, (bands.t - r.ca) / r.c) END
           ELSE 0 END AS f1,
           CASE WHEN r.cb IS NOT NULL AND r.cb <= bands.t AND r.rc >= 0 THEN
                CASE WHEN r.rc = 0 THEN 1 ELSE least(1, (bands.t - r.cb) / r.rc) END
           ELSE 0 END AS f2,
           r.geom
    FROM reached r CROSS JOIN bands
),
lines AS (
    SELECT t, CASE WHEN f1 + f2 >= 1 THEN geom ELSE ST_LineSubstring(geom, 0, f1) END AS g
    FROM parts WHERE f1 > 0 OR (f1 + f2 >= 1 AND f2 > 0)
    UNION ALL
    SELECT t, ST_LineSubstring(geom, 1 - f2, 1) FROM parts WHERE f2 > 0 AND f1 + f2 < 1
),
polys AS (
    SELECT t, ST_Buffer(geography(ST_Collect(g)), :buffer_m, 'quad_segs=2')::geometry AS poly,
           count(*) AS n
    FROM lines GROUP BY t
)
-- a node the buffer happens to cover but that cannot be reached in time (a 3 m stub of a
-- one-way street, the other carriageway) gets a 1 m hole: inside means reachable in time
SELECT p.t, ST_AsGeoJSON(coalesce(ST_Difference(p.poly, (
           SELECT ST_Buffer(geography(ST_Collect(v.geom)), 1.0, 'quad_segs=2')::geometry
           FROM road_vertices v LEFT JOIN dd ON dd.node = v.id
           WHERE v.geom && p.poly AND ST_Intersects(p.poly, v.geom)
             AND (dd.agg_cost IS NULL OR dd.agg_cost > p.t))), p.poly), 7),
       p.n
FROM polys p ORDER BY p.t
