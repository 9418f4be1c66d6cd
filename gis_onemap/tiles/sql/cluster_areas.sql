-- Appended to cluster.sql's features for categories with areas: polygons are never aggregated.
    UNION ALL
    SELECT ST_AsMVTGeom({table}.geom_3857, bounds.merc, {extent}, {buffer}, true),
           {table}.id, 1, NULL::boolean{columns}
    FROM {table}, bounds
    WHERE ST_Intersects({table}.geom, bounds.geo)
      AND ST_GeometryType({table}.geom_3857) <> 'ST_Point'{where}
