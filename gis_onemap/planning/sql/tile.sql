-- One Web-Mercator vector tile of the population layer (layer "population", feature ids kept).
WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env),
mvt AS (
  SELECT ST_AsMVTGeom(ST_Transform(p.geom, 3857), b.env, 4096, 64, true) AS geom,
         p.id, p.name, p.region_code, p.kind, p.population, p.synthetic
  FROM population p, b
  WHERE p.geom && ST_Transform(b.env, 4326)
)
SELECT ST_AsMVT(mvt.*, 'population', 4096, 'geom', 'id') FROM mvt WHERE geom IS NOT NULL
