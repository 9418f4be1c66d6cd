-- Population cells of a planning area; each cell's demand point is its point on surface.
-- :region_code: a district's own code, or a city code ending in '00' (its districts by prefix).
-- :area: WKT polygon (WGS84) or NULL. Both NULL: every cell.
SELECT p.id, p.name, p.region_code, p.population, p.kind, p.synthetic,
       ST_X(ST_PointOnSurface(p.geom)) AS lon, ST_Y(ST_PointOnSurface(p.geom)) AS lat,
       ST_AsBinary(p.geom) AS wkb
FROM population p
WHERE (CAST(:region_code AS text) IS NULL
       OR p.region_code = :region_code
       OR (right(:region_code, 2) = '00' AND p.region_code LIKE left(:region_code, 4) || '%'))
  AND (CAST(:area AS text) IS NULL
       OR (p.geom && ST_GeomFromText(:area, 4326)
           AND ST_Intersects(ST_GeomFromText(:area, 4326), ST_PointOnSurface(p.geom))))
ORDER BY p.id
LIMIT :max_rows
