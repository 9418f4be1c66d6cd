    UNION ALL
    SELECT ST_AsMVTGeom(ST_Transform({table}.geom, 3857), bounds.merc, {extent}, {buffer}, true),
           {table}.id, 1, NULL::boolean{columns}
    FROM {table}, bounds
    WHERE ST_Intersects({table}.geom, bounds.geo)
      AND ST_GeometryType({table}.geom) <> 'ST_Point'{where}
