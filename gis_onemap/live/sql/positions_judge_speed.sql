-- Re-judge the new points (:ids) and their neighbours in time for 'impossible_speed' (a
-- geodesic move between two points of a team faster than :max_mps):
--   * a point with both neighbours is flagged when the moves from the previous point and to
--     the next one are both impossible (a spike: the point, not its neighbours, is wrong);
--   * an end of the track (one neighbour N) is flagged when its move to N is impossible and N
--     agrees with its own other neighbour (N is consistent with the track, the end is not);
--   * a track of two points flags nothing: which one is wrong cannot be told.
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
), around AS (
    -- for each candidate: its two previous (rank -1, -2) and two next (1, 2) points
    SELECT c.id, q.rank, q.geom, q.observed_at
    FROM candidates c JOIN team_positions p ON p.id = c.id
    CROSS JOIN LATERAL (
        (SELECT -row_number() OVER (ORDER BY r.observed_at DESC) AS rank, r.geom, r.observed_at
         FROM (SELECT geom, observed_at FROM team_positions
               WHERE team_id = p.team_id AND observed_at < p.observed_at
               ORDER BY observed_at DESC LIMIT 2) r)
        UNION ALL
        (SELECT row_number() OVER (ORDER BY r.observed_at) AS rank, r.geom, r.observed_at
         FROM (SELECT geom, observed_at FROM team_positions
               WHERE team_id = p.team_id AND observed_at > p.observed_at
               ORDER BY observed_at LIMIT 2) r)
    ) q
), speeds AS (
    SELECT c.id,
        max(CASE WHEN a.rank = -1 THEN ST_Distance(geography(a.geom), geography(p.geom))
                 / extract(epoch FROM p.observed_at - a.observed_at) END) AS prev_mps,
        max(CASE WHEN a.rank = 1 THEN ST_Distance(geography(a.geom), geography(p.geom))
                 / extract(epoch FROM a.observed_at - p.observed_at) END) AS next_mps,
        bool_or(a.rank = -2) AS has_prev2,
        bool_or(a.rank = 2) AS has_next2
    FROM candidates c JOIN team_positions p ON p.id = c.id
    LEFT JOIN around a ON a.id = c.id
    GROUP BY c.id
), outer_moves AS (
    -- the move between the neighbour and its own other neighbour (for the track's ends)
    SELECT s.id,
        (SELECT ST_Distance(geography(a1.geom), geography(a2.geom))
                / extract(epoch FROM a1.observed_at - a2.observed_at)
         FROM around a1 JOIN around a2 ON a2.id = a1.id AND a2.rank = -2
         WHERE a1.id = s.id AND a1.rank = -1) AS prev_pair_mps,
        (SELECT ST_Distance(geography(a1.geom), geography(a2.geom))
                / extract(epoch FROM a2.observed_at - a1.observed_at)
         FROM around a1 JOIN around a2 ON a2.id = a1.id AND a2.rank = 2
         WHERE a1.id = s.id AND a1.rank = 1) AS next_pair_mps
    FROM speeds s
), judged AS (
    SELECT s.id,
        CASE
            WHEN s.prev_mps IS NOT NULL AND s.next_mps IS NOT NULL
                THEN s.prev_mps > :max_mps AND s.next_mps > :max_mps
            WHEN s.prev_mps IS NOT NULL
                THEN s.prev_mps > :max_mps AND coalesce(o.prev_pair_mps <= :max_mps, false)
            WHEN s.next_mps IS NOT NULL
                THEN s.next_mps > :max_mps AND coalesce(o.next_pair_mps <= :max_mps, false)
            ELSE false
        END AS impossible
    FROM speeds s JOIN outer_moves o ON o.id = s.id
)
UPDATE team_positions t
SET flags = CASE WHEN j.impossible
                 THEN array_append(array_remove(t.flags, 'impossible_speed'), 'impossible_speed')
                 ELSE array_remove(t.flags, 'impossible_speed') END
FROM judged j
WHERE t.id = j.id
  AND (j.impossible IS DISTINCT FROM ('impossible_speed' = ANY(t.flags)))
