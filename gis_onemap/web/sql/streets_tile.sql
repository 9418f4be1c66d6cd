-- The "roads" layer of one base-map tile from the loaded road network (gis_onemap.web.streets).
-- :z/:x/:y the tile, :classes the road classes drawn at this zoom, :layer the MVT layer name.
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS env,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326) AS box
),
rows AS (
    SELECT ST_AsMVTGeom(ST_Transform(e.geom, 3857), b.env, 4096, 64, true) AS geom,
           e.road_class AS class, e.name, e.bridge, e.tunnel, e.ferry, e.oneway
    FROM road_edges e, bounds b
    WHERE e.geom && b.box AND e.road_class = ANY(CAST(:classes AS text[]))
)
SELECT ST_AsMVT(rows, :layer, 4096, 'geom') FROM rows WHERE geom IS NOT NULL
