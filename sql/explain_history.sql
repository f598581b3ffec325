-- The history of one entity's artifacts before an interval, from the scores
-- (text/template: .Scores; $1 the interval start, $2 the entity value): in how many
-- earlier intervals each was scored, when last, its usual role (the most frequent), and
-- its mean and largest volume (fused runs only, else NULL).
SELECT artifact, count(*) AS intervals, max(interval_start) AS last_seen,
       mode(role_after) AS usual_role, avg(volume_degree) AS mean_volume,
       max(volume_degree) AS max_volume
FROM (SELECT kind || '::' || value AS artifact, COLUMNS(c -> c <> 'artifact') FROM read_parquet('{{.Scores}}'))
WHERE interval_start < $1 AND value = $2
GROUP BY artifact
ORDER BY artifact;
