-- interval_scores.parquet: the interval score of every interval of the frame (NULL
-- without artifacts): Δ(t), the mean δ, for the roles method; the mean fused score for
-- the fused one. warmup marks the intervals before experiment.warmup_to.
COPY (
    SELECT interval_start, score, score_known, artifacts, new_artifacts, warmup
    FROM lanlq_interval_rows
    ORDER BY interval_start
) TO '{{.Dir}}/interval_scores.parquet' (FORMAT parquet, COMPRESSION zstd, KV_METADATA {lanlq_experiment: '{{.Meta}}'});
DROP TABLE lanlq_interval_rows;
