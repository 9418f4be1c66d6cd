-- One category's features in one WebMercatorQuad tile as one MVT layer (z >= cluster zoom).
-- pygeoapi/tipg style: ST_AsMVTGeom -> CTE -> ST_AsMVT. Filled in by gis_onemap.tiles.layers:
-- {table} {layer} {columns} {spatial} {where} {extent} {buffer} {max_features} are trusted
-- identifiers and constants; values from clients only ever come as bound parameters.
-- geom_3857 is the stored Web-Mercator copy of geom (migration 0012): no feature is
-- transformed per tile; the GiST index of geom finds them (the envelope transformed once).
-- NULL when the tile would hold more than {max_features} features (the caller then clusters
-- it, so that no tile grows past ~500 KB however dense the data); the LIMIT keeps that cheap.
WITH bounds AS (
    SELECT ST_TileEnvelope(%(tile_z)s::int, %(tile_x)s::int, %(tile_y)s::int) AS merc,
           ST_Transform(ST_TileEnvelope(%(tile_z)s::int, %(tile_x)s::int, %(tile_y)s::int), 4326) AS geo
),
features AS (
    SELECT ST_AsMVTGeom({table}.geom_3857, bounds.merc, {extent}, {buffer}, true) AS geom,
           {table}.id{columns}
    FROM {table}, bounds
    WHERE {spatial}{where}
    LIMIT {max_features} + 1
)
SELECT CASE WHEN count(*) > {max_features} THEN NULL
            ELSE ST_AsMVT(features.*, '{layer}', {extent}, 'geom', 'id') END
FROM features
