-- Nearest road vertex of each point (parallel arrays :lons/:lats) and its geodesic distance (m).
SELECT u.n, v.id AS vertex, ST_Distance(v.geom::geography, u.pt::geography) AS snap_m
FROM (SELECT n, ST_SetSRID(ST_MakePoint(x, y), 4326) AS pt
        FROM unnest(CAST(:lons AS double precision[]), CAST(:lats AS double precision[]))
             WITH ORDINALITY AS w(x, y, n)) AS u
CROSS JOIN LATERAL (SELECT id, geom FROM road_vertices ORDER BY geom <-> u.pt LIMIT 1) AS v
ORDER BY u.n
