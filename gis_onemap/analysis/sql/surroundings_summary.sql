-- Totals of the 8 categories around an incident, in one round trip (gis_onemap.analysis.surroundings).
-- :origin  EWKT point (SRID=4326), :radius  metres on the WGS84 spheroid (ST_DWithin on geography),
-- :event_types  text[] or NULL (plans must list one of them), :specialties  text[] or NULL
-- (experts must have one of them), :include_unusable  boolean (count expired stock and deployed
-- teams too), :site_radius  metres (enterprise plans apply near their hazard source).
-- The upper-case markers (teams and supplies reason, plan applies) are replaced once, at load,
-- by the SQL the categories declare (Category.usable, analysis.jurisdiction): trusted text,
-- never client input.
WITH o AS (SELECT ST_GeogFromText(:origin) AS g),
hz AS (
    SELECT h.level FROM hazard_sources h, o WHERE ST_DWithin(geography(h.geom), o.g, :radius)
),
pt AS (
    SELECT p.target_type, p.population
    FROM protected_targets p, o WHERE ST_DWithin(geography(p.geom), o.g, :radius)
),
rt_all AS (
    SELECT rescue_teams.tier, rescue_teams.specialties, rescue_teams.headcount,
           __RESCUE_TEAMS_REASON__ AS reason
    FROM rescue_teams, o WHERE ST_DWithin(geography(rescue_teams.geom), o.g, :radius)
),
rt AS (SELECT * FROM rt_all WHERE reason IS NULL OR :include_unusable),
su_all AS (
    SELECT supplies.item_name, supplies.unit, supplies.quantity, supplies.depot_id,
           __SUPPLIES_REASON__ AS reason
    FROM supplies, o WHERE ST_DWithin(geography(supplies.geom), o.g, :radius)
),
su AS (SELECT * FROM su_all WHERE reason IS NULL OR :include_unusable),
su_out AS (SELECT * FROM su_all WHERE reason IS NOT NULL AND NOT :include_unusable),
dp AS (
    SELECT d.id FROM depots d, o WHERE ST_DWithin(geography(d.geom), o.g, :radius)
),
sh AS (
    SELECT s.capacity, s.effective_area_m2
    FROM shelters s, o WHERE ST_DWithin(geography(s.geom), o.g, :radius)
),
ex AS (
    SELECT e.id FROM experts e, o
    WHERE ST_DWithin(geography(e.geom), o.g, :radius)
      AND (CAST(:specialties AS text[]) IS NULL OR e.specialties && CAST(:specialties AS text[]))
),
pl AS (
    SELECT plans.id FROM plans
    WHERE __PLAN_APPLIES__
      AND (CAST(:event_types AS text[]) IS NULL
           OR plans.event_types && CAST(:event_types AS text[]))
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
),
supply_out AS (
    SELECT item_name, unit, sum(quantity) AS quantity, count(*) AS records
    FROM su_out GROUP BY item_name, unit
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
    'rescue_teams_by_tier', (
        SELECT coalesce(json_object_agg(
            tier, json_build_object('count', n, 'headcount', hc) ORDER BY tier
        ), '{}'::json)
        FROM (SELECT tier, count(*) AS n, coalesce(sum(headcount), 0) AS hc
              FROM rt GROUP BY tier) x
    ),
    'rescue_teams_by_specialty', (
        SELECT coalesce(json_object_agg(
            spec, json_build_object('count', n, 'headcount', hc) ORDER BY spec
        ), '{}'::json)
        FROM (SELECT spec, count(*) AS n, coalesce(sum(headcount), 0) AS hc
              FROM rt CROSS JOIN LATERAL unnest(rt.specialties) AS spec GROUP BY spec) x
    ),
    'team_headcount', (SELECT coalesce(sum(headcount), 0) FROM rt),
    'supplies_by_item', (
        SELECT coalesce(json_agg(json_build_object(
            'item_name', i.item_name, 'unit', i.unit, 'quantity', i.quantity,
            'records', i.records, 'outside_depots', i.outside_depots,
            'excluded_records', coalesce(x.records, 0),
            'excluded_quantity', coalesce(x.quantity, 0),
            'depots', (
                SELECT coalesce(json_agg(json_build_object(
                    'id', sd.depot_id, 'name', sd.name, 'quantity', sd.quantity
                ) ORDER BY sd.quantity DESC, sd.depot_id), '[]'::json)
                FROM supply_depots sd WHERE sd.item_name = i.item_name AND sd.unit = i.unit
            )
        ) ORDER BY i.item_name, i.unit), '[]'::json)
        FROM supply_items i
        LEFT JOIN supply_out x ON x.item_name = i.item_name AND x.unit = i.unit
    ),
    'shelters', (
        SELECT json_build_object(
            'count', count(*),
            'capacity', coalesce(sum(capacity), 0),
            'effective_area_m2', coalesce(sum(effective_area_m2), 0),
            'without_capacity', count(*) FILTER (WHERE capacity IS NULL)
        ) FROM sh
    )
)
