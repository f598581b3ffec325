-- The top alerts per entity (text/template: .Scored the rows of alerts_scored.sql): the $1
-- entities with the highest score outside the warm-up, each with its $2 highest
-- (interval, artifact) rows, with the one line that explains each.
WITH scored AS (
{{.Scored}}
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
