-- A batch of positions in one statement; a (team, time) already stored is skipped (a retry,
-- a duplicate in the batch). Times ahead of the server clock by more than :future_s are
-- kept, flagged 'future'.
INSERT INTO team_positions (team_id, observed_at, speed_mps, heading_deg, flags, geom)
SELECT p.team_id, p.observed_at, p.speed, p.heading,
       CASE WHEN p.observed_at > now() + make_interval(secs => :future_s)
            THEN ARRAY['future']::text[] ELSE '{}'::text[] END,
       ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)
FROM unnest(
    CAST(:team_ids AS bigint[]), CAST(:times AS timestamptz[]),
    CAST(:lons AS double precision[]), CAST(:lats AS double precision[]),
    CAST(:speeds AS double precision[]), CAST(:headings AS double precision[])
) AS p(team_id, observed_at, lon, lat, speed, heading)
ORDER BY p.team_id, p.observed_at
ON CONFLICT (team_id, observed_at) DO NOTHING
RETURNING id
