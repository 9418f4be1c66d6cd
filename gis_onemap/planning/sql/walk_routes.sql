-- Walking routes (shortest by length, the same walkable roads as walk.sql) for vertex pairs
-- (:pairs_sql lists them as (source, target) rows); one line per pair, in travel order.
SELECT COALESCE(to_jsonb(d) ->> 'start_vid', to_jsonb(d) ->> 'from_v')::bigint AS start,
       COALESCE(to_jsonb(d) ->> 'end_vid', to_jsonb(d) ->> 'to_v')::bigint AS finish,
       ST_AsGeoJSON(ST_LineMerge(ST_Collect(e.geom ORDER BY d.path_seq)), 7) AS route,
       max(d.agg_cost + d.cost) AS metres
FROM pgr_dijkstra(
       'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM road_edges'
       ' WHERE NOT ferry AND road_class NOT IN (''expressway'', ''urban_expressway'')',
       :pairs_sql, directed => false) AS d
JOIN road_edges e ON e.id = d.edge
GROUP BY 1, 2
