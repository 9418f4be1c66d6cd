-- Re-judge the new points (:ids) and their neighbours in time: a point is 'impossible_speed'
-- when every neighbour it has (previous and next point of its team) implies a speed above
-- :max_mps (geodesic distance / time apart). One outlier between good points is flagged;
-- the good points, each with another good neighbour, are not.
WITH new AS (
    SELECT id, team_id, observed_at FROM team_positions WHERE id = ANY(CAST(:ids AS bigint[]))
), candidates AS (
    SELECT id FROM new
    UNION
    SELECT prev.id FROM new n CROSS JOIN LATERAL (
        SELECT q.id FROM team_positions q
        WHERE q.team_id = n.team_id AND q.observed_at < n.observed_at
        ORDER BY q.observed_at DESC LIMIT 1) prev
    UNION
    SELECT nxt.id FROM new n CROSS JOIN LATERAL (
        SELECT q.id FROM team_positions q
        WHERE q.team_id = n.team_id AND q.observed_at > n.observed_at
        ORDER BY q.observed_at LIMIT 1) nxt
), judged AS (
    SELECT p.id,
           (prev.mps IS NOT NULL OR nxt.mps IS NOT NULL)
           AND coalesce(prev.mps > :max_mps, true)
           AND coalesce(nxt.mps > :max_mps, true) AS impossible
    FROM candidates c
    JOIN team_positions p ON p.id = c.id
    LEFT JOIN LATERAL (
        SELECT ST_Distance(geography(q.geom), geography(p.geom))
               / extract(epoch FROM p.observed_at - q.observed_at) AS mps
        FROM team_positions q
        WHERE q.team_id = p.team_id AND q.observed_at < p.observed_at
        ORDER BY q.observed_at DESC LIMIT 1) prev ON true
    LEFT JOIN LATERAL (
        SELECT ST_Distance(geography(q.geom), geography(p.geom))
               / extract(epoch FROM q.observed_at - p.observed_at) AS mps
        FROM team_positions q
        WHERE q.team_id = p.team_id AND q.observed_at > p.observed_at
        ORDER BY q.observed_at LIMIT 1) nxt ON true
)
UPDATE team_positions t
SET flags = CASE WHEN j.impossible
                 THEN array_append(array_remove(t.flags, 'impossible_speed'), 'impossible_speed')
                 ELSE array_remove(t.flags, 'impossible_speed') END
FROM judged j
WHERE t.id = j.id
  AND (j.impossible IS DISTINCT FROM ('impossible_speed' = ANY(t.flags)))
