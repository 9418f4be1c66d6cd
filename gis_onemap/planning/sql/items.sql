-- Population features as GeoJSON, keyset-paged by id; every filter optional (NULL = off).
SELECT json_build_object(
         'type', 'Feature', 'id', p.id,
         'geometry', ST_AsGeoJSON(p.geom, 7)::json,
         'properties', json_build_object(
           'name', p.name, 'region_code', p.region_code, 'kind', p.kind,
           'population', p.population, 'population_day', p.population_day,
           'population_night', p.population_night, 'synthetic', p.synthetic)) AS feature
FROM population p
WHERE (CAST(:after AS bigint) IS NULL OR p.id > :after)
  AND (CAST(:x0 AS double precision) IS NULL
       OR p.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))
  AND (CAST(:region_code AS text) IS NULL OR p.region_code = :region_code)
  AND (CAST(:kind AS text) IS NULL OR p.kind = :kind)
ORDER BY p.id
LIMIT :limit
