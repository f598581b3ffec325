-- The scores over time of the $1 artifacts with the highest single score outside the
-- warm-up (ties by name), ranked from 1, each point marked when the artifact's value is a red-team
-- entity of the interval.
WITH top AS (
    SELECT artifact, row_number() OVER (ORDER BY best DESC, artifact) AS rank
    FROM (SELECT artifact, max(score) AS best FROM (SELECT kind || '::' || value AS artifact, COLUMNS(c -> c <> 'artifact') FROM read_parquet('{{.Scores}}'))
          WHERE NOT coalesce(warmup, false) GROUP BY artifact)
    ORDER BY rank
    LIMIT $1
)
SELECT t.rank, s.artifact, s.interval_start, s.score, p.entity IS NOT NULL AS redteam
FROM (SELECT kind || '::' || value AS artifact, COLUMNS(c -> c <> 'artifact') FROM read_parquet('{{.Scores}}')) AS s
JOIN top AS t ON t.artifact = s.artifact
LEFT JOIN lanlq_redteam_pairs AS p ON p.interval_start = s.interval_start AND p.entity = s.value
ORDER BY t.rank, s.interval_start;
