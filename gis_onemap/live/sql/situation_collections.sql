-- The situation layers GET /collections lists: open incidents (no final report 终报 filed),
-- newest first, with the region that decides who may see them (the smallest region holding
-- the point, as live/events.py), the incident's point and its annotations' extent and count.
-- :all_regions = the caller is not limited to regions; else :patterns are 'code%' LIKE patterns.
-- :incident_id (optional) picks one incident, open or not (GET /collections/situation-{id}).
SELECT i.id,
       ST_X(i.geom) AS lon,
       ST_Y(i.geom) AS lat,
       r.code AS region_code,
       a.n,
       ST_XMin(a.e) AS x0, ST_YMin(a.e) AS y0, ST_XMax(a.e) AS x1, ST_YMax(a.e) AS y1,
       EXISTS (SELECT 1 FROM incident_reports f
               WHERE f.incident_id = i.id AND f.kind = 'final') AS closed
FROM incidents i
LEFT JOIN LATERAL (
    SELECT g.code FROM regions g WHERE ST_Covers(g.geom, i.geom) ORDER BY ST_Area(g.geom) LIMIT 1
) r ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS n, ST_Extent(s.geom) AS e
    FROM situation_annotations s WHERE s.incident_id = i.id
) a ON true
WHERE (CAST(:incident_id AS bigint) IS NULL AND NOT EXISTS (
          SELECT 1 FROM incident_reports f WHERE f.incident_id = i.id AND f.kind = 'final')
       OR i.id = CAST(:incident_id AS bigint))
  AND (:all_regions OR r.code LIKE ANY (CAST(:patterns AS text[])))
ORDER BY i.id DESC
LIMIT :n
