-- Every scored (interval, entity) and every red-team pair of the frame, labelled
-- (text/template: .Scores the scores.parquet). An entity's score in an interval is the
-- highest score of the artifacts whose value it is; score is NULL for a red-team pair
-- that no graph holds, and the entity is returned for those pairs only.
WITH scored AS (
    SELECT interval_start, value AS entity, max(score) AS score
    FROM read_parquet('{{.Scores}}')
    WHERE value IS NOT NULL
    GROUP BY ALL
)
SELECT coalesce(s.interval_start, p.interval_start) AS interval_start,
       CASE WHEN s.score IS NULL THEN p.entity ELSE '' END AS entity,
       s.score,
       p.entity IS NOT NULL AS positive
FROM scored AS s
FULL OUTER JOIN lanlq_redteam_pairs AS p
    ON s.interval_start = p.interval_start AND s.entity = p.entity
ORDER BY interval_start, entity, s.score;
