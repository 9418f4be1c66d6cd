-- Shelters that can serve an area (within :margin_m of its envelope), with capacity inputs,
-- why one is unusable ({unusable}: the category's declared SQL, NULL when usable) and the
-- distance to the nearest major hazard source (levels :levels) within :clearance_m.
SELECT s.id, s.name, s.shelter_type, s.space_type, s.hazards_served, s.effective_area_m2,
       s.capacity, s.region_code,
       ST_X(ST_PointOnSurface(s.geom)) AS lon, ST_Y(ST_PointOnSurface(s.geom)) AS lat,
       {unusable} AS unusable,
       (SELECT min(ST_Distance(h.geom::geography, s.geom::geography))
          FROM hazard_sources h
         WHERE h.level = ANY(:levels)
           AND ST_DWithin(h.geom::geography, s.geom::geography, :clearance_m)) AS hazard_m
FROM shelters s
WHERE ST_DWithin(s.geom::geography,
                 ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)::geography, :margin_m)
ORDER BY s.id
LIMIT :max_rows
