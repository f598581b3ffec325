-- The $1 highest scores of .Scores outside the warm-up (whose histories are still
-- empty, so its scores say little), each with whether its value is a red-team entity
-- of its interval.
SELECT s.interval_start, s.artifact, s.value, s.score, s.new, s.role_before, s.role_after,
       p.entity IS NOT NULL AS redteam
FROM (
    SELECT * FROM (SELECT kind || '::' || value AS artifact, COLUMNS(c -> c <> 'artifact') FROM read_parquet('{{.Scores}}'))
    WHERE NOT coalesce(warmup, false)
    ORDER BY score DESC, interval_start, artifact
    LIMIT $1
) AS s
LEFT JOIN lanlq_redteam_pairs AS p ON p.interval_start = s.interval_start AND p.entity = s.value
ORDER BY s.score DESC, s.interval_start, s.artifact;
