-- Walking distance (m) over the road network from each start vertex to every vertex within
-- :max_m. Walkers use every road but expressways and ferries, in both directions. The start
-- column is named from_v (pgRouting 3.4) or start_vid (3.6+): read it from the row as JSON.
SELECT COALESCE(to_jsonb(d) ->> 'start_vid', to_jsonb(d) ->> 'from_v')::bigint AS start,
       d.node, d.agg_cost AS metres
FROM pgr_drivingDistance(
       'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM road_edges'
       ' WHERE NOT ferry AND road_class NOT IN (''expressway'', ''urban_expressway'')',
       CAST(:starts AS bigint[]), :max_m, directed => false) AS d
