-- Every interval of interval_scores.parquet (.Intervals) with Δ(t), Δ over known
-- artifacts, and whether red-team lines fall in it.
SELECT i.interval_start, i.score, i.score_known,
       i.interval_start IN (SELECT interval_start FROM lanlq_redteam_pairs) AS redteam
FROM read_parquet('{{.Intervals}}') AS i
ORDER BY i.interval_start;
