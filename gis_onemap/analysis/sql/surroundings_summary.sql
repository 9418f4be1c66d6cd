-- Totals of the 8 categories around an incident, in one round trip (gis_onemap.analysis.surroundings).
-- :origin  EWKT point (SRID=4326), :radius  metres on the WGS84 spheroid (ST_DWithin on geography),
-- :event_types  text[] or NULL (plans must list one of them), :specialties  text[] or NULL
-- (experts must have one of them).
WITH o AS (SELECT ST_GeogFromText(:origin) AS g),
hz AS (
    SELECT h.level FROM hazard_sources h, o WHERE ST_DWithin(geography(h.geom), o.g, :radius)
),
pt AS (
    SELECT p.target_type, p.population
    FROM protected_targets p, o WHERE ST_DWithin(geography(p.geom), o.g, :radius)
),
rt AS (
    SELECT r.team_type, r.headcount
    FROM rescue_teams r, o WHERE ST_DWithin(geography(r.geom), o.g, :radius)
),
su AS (
    SELECT s.item_name, s.unit, s.quantity, s.depot_id
    FROM supplies s, o WHERE ST_DWithin(geography(s.geom), o.g, :radius)
),
dp AS (
    SELECT d.id FROM depots d, o WHERE ST_DWithin(geography(d.geom), o.g, :radius)
),
sh AS (
    SELECT s.capacity, s.area_m2
    FROM shelters s, o WHERE ST_DWithin(geography(s.geom), o.g, :radius)
),
ex AS (
    SELECT e.id FROM experts e, o
    WHERE ST_DWithin(geography(e.geom), o.g, :radius)
      AND (CAST(:specialties AS text[]) IS NULL OR e.specialties && CAST(:specialties AS text[]))
),
pl AS (
    SELECT p.id FROM plans p, o
    WHERE ST_DWithin(geography(p.geom), o.g, :radius)
      AND (CAST(:event_types AS text[]) IS NULL OR p.event_types && CAST(:event_types AS text[]))
),
supply_depots AS (
    SELECT su.item_name, su.unit, su.depot_id, d.name, sum(su.quantity) AS quantity
    FROM su JOIN depots d ON d.id = su.depot_id
    GROUP BY su.item_name, su.unit, su.depot_id, d.name
),
supply_items AS (
    SELECT su.item_name, su.unit, sum(su.quantity) AS quantity, count(*) AS records,
           coalesce(sum(su.quantity) FILTER (WHERE su.depot_id IS NULL), 0) AS outside_depots
    FROM su GROUP BY su.item_name, su.unit
)
SELECT json_build_object(
    'counts', json_build_object(
        'hazard_sources', (SELECT count(*) FROM hz),
        'protected_targets', (SELECT count(*) FROM pt),
        'rescue_teams', (SELECT count(*) FROM rt),
        'supplies', (SELECT count(*) FROM su),
        'depots', (SELECT count(*) FROM dp),
        'shelters', (SELECT count(*) FROM sh),
        'experts', (SELECT count(*) FROM ex),
        'plans', (SELECT count(*) FROM pl)
    ),
    'hazard_sources_by_level', (
        SELECT coalesce(json_object_agg(lvl, n ORDER BY lvl), '{}'::json)
        FROM (SELECT coalesce(level::text, 'unknown') AS lvl, count(*) AS n FROM hz GROUP BY 1) x
    ),
    'protected_targets_by_type', (
        SELECT coalesce(json_object_agg(
            target_type, json_build_object('count', n, 'population', pop) ORDER BY target_type
        ), '{}'::json)
        FROM (SELECT target_type, count(*) AS n, coalesce(sum(population), 0) AS pop
              FROM pt GROUP BY target_type) x
    ),
    'protected_population', (SELECT coalesce(sum(population), 0) FROM pt),
    'rescue_teams_by_type', (
        SELECT coalesce(json_object_agg(
            team_type, json_build_object('count', n, 'headcount', hc) ORDER BY team_type
        ), '{}'::json)
        FROM (SELECT team_type, count(*) AS n, coalesce(sum(headcount), 0) AS hc
              FROM rt GROUP BY team_type) x
    ),
    'team_headcount', (SELECT coalesce(sum(headcount), 0) FROM rt),
    'supplies_by_item', (
        SELECT coalesce(json_agg(json_build_object(
            'item_name', i.item_name, 'unit', i.unit, 'quantity', i.quantity,
            'records', i.records, 'outside_depots', i.outside_depots,
            'depots', (
                SELECT coalesce(json_agg(json_build_object(
                    'id', sd.depot_id, 'name', sd.name, 'quantity', sd.quantity
                ) ORDER BY sd.quantity DESC, sd.depot_id), '[]'::json)
                FROM supply_depots sd WHERE sd.item_name = i.item_name AND sd.unit = i.unit
            )
        ) ORDER BY i.item_name, i.unit), '[]'::json)
        FROM supply_items i
    ),
    'shelters', (
        SELECT json_build_object(
            'count', count(*),
            'capacity', coalesce(sum(capacity), 0),
            'area_m2', coalesce(sum(area_m2), 0),
            'without_capacity', count(*) FILTER (WHERE capacity IS NULL)
        ) FROM sh
    )
)
