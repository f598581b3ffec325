-- The top alerts per entity (text/template: .Scores the scores.parquet): the $1
-- entities with the highest score outside the warm-up, each with its $2 highest
-- (interval, artifact) rows, and the one line that explains each (the fused run's
-- explanation, or below score 2 its components; for a roles run, the role change).
WITH scored AS (
    SELECT interval_start, artifact, value, score, warmup, dominant,
           coalesce(explanation,
                    -- A fused row below 2 carries no explanation string: its components say it.
                    nullif(concat_ws('; ',
                        CASE WHEN novelty_surprise IS NOT NULL THEN printf('novelty %d first contacts, weighted %.3g (p=%.2g)',
                            novelty_new_contacts, novelty_value, pow(10, -novelty_surprise)) END,
                        CASE WHEN volume_surprise IS NOT NULL THEN printf('volume %.3g (usual %.3g, p=%.2g)',
                            volume_degree, volume_expected, pow(10, -volume_surprise)) END,
                        CASE WHEN role_surprise IS NOT NULL THEN printf('role change %.3g (p=%.2g)',
                            role_delta, pow(10, -role_surprise)) END), ''),
                    CASE WHEN new THEN 'new artifact'
                         ELSE 'role ' || role_before || ' → ' || role_after END
                    || ', role change δ ' || round(role_delta, 3)) AS why
    FROM read_parquet('{{.Scores}}')
    WHERE NOT warmup
),
best AS (
    SELECT value, max(score) AS best
    FROM scored
    GROUP BY value
    ORDER BY best DESC, value
    LIMIT $1
),
ranked AS (
    SELECT s.*, b.best,
           row_number() OVER (PARTITION BY s.value ORDER BY s.score DESC, s.interval_start, s.artifact) AS k
    FROM scored s JOIN best b USING (value)
)
SELECT value, interval_start, artifact, score, why
FROM ranked
WHERE k <= $2
ORDER BY best DESC, value, k;
