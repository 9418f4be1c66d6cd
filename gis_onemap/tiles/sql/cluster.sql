-- One category in one tile below the cluster zoom: points aggregated on a {cells}x{cells} grid
-- of the tile (found with the GiST index of geom; cell index from the stored Web-Mercator
-- position, geom_3857 of migration 0012, so clusters never straddle tiles), one feature per non-empty cell at the mean Mercator
-- position of its points with `point_count`; a cell holding a single point keeps that
-- feature's id and properties. Areas (polygons) are not aggregated. Filled in by
-- gis_onemap.tiles.layers (see layer.sql for the placeholders).
WITH bounds AS (
    SELECT merc, ST_Transform(merc, 4326) AS geo,
           ST_XMin(merc) AS west, {cells} / (ST_XMax(merc) - ST_XMin(merc)) AS kx,
           ST_YMin(merc) AS south, {cells} / (ST_YMax(merc) - ST_YMin(merc)) AS ky
    FROM (
        SELECT ST_TileEnvelope(%(tile_z)s::int, %(tile_x)s::int, %(tile_y)s::int) AS merc
    ) AS envelope
),
cells AS (
    SELECT count(*) AS point_count, min({table}.id) AS first_id,
           avg(ST_X({table}.geom_3857)) AS mx, avg(ST_Y({table}.geom_3857)) AS my
    FROM {table}, bounds
    WHERE {table}.geom && bounds.geo{points_only}{where}
    GROUP BY
        greatest(0, least({cells} - 1, floor((ST_X({table}.geom_3857) - bounds.west) * bounds.kx))),
        greatest(0, least({cells} - 1, floor((ST_Y({table}.geom_3857) - bounds.south) * bounds.ky)))
),
features AS (
    SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(cells.mx, cells.my), 3857),
                        bounds.merc, {extent}, {buffer}, true) AS geom,
           CASE WHEN cells.point_count = 1 THEN cells.first_id END AS id,
           cells.point_count,
           CASE WHEN cells.point_count > 1 THEN true END AS cluster{columns}
    FROM cells CROSS JOIN bounds
    LEFT JOIN {table} ON {table}.id = CASE WHEN cells.point_count = 1 THEN cells.first_id END{areas}
)
SELECT ST_AsMVT(features.*, '{layer}', {extent}, 'geom', 'id') FROM features
