-- The alerts of lanlq score --follow (text/template: .Scored the rows of
-- alerts_scored.sql): for each interval after $1 (NULL: every one), its $2 highest rows and every row
-- scoring above $3 (NULL: none), in interval order, then rank (score, ties by
-- artifact), one row an alert.
WITH scored AS (
{{.Scored}}
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY interval_start ORDER BY score DESC, artifact) AS rank
    FROM scored
    WHERE $1::TIMESTAMP IS NULL OR interval_start > $1::TIMESTAMP
)
SELECT interval_start, value, artifact, kind, score, rank, dominant, why
FROM ranked
WHERE rank <= $2::BIGINT OR score > $3::DOUBLE
ORDER BY interval_start, rank;
