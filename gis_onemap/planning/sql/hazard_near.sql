-- Distance (m) from each given point to the nearest major hazard source (levels :levels) within
-- :clearance_m; NULL when none is that close. :lons/:lats are parallel arrays.
SELECT k.n,
       (SELECT min(ST_Distance(h.geom::geography, k.pt::geography))
          FROM hazard_sources h
         WHERE h.level = ANY(:levels)
           AND ST_DWithin(h.geom::geography, k.pt::geography, :clearance_m)) AS hazard_m
FROM (SELECT n, ST_SetSRID(ST_MakePoint(x, y), 4326) AS pt
        FROM unnest(CAST(:lons AS double precision[]), CAST(:lats AS double precision[]))
             WITH ORDINALITY AS u(x, y, n)) AS k
ORDER BY k.n
