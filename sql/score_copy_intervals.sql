-- interval_scores.parquet: Δ(t) of every interval of the frame (NULL without artifacts).
COPY (
    SELECT interval_start, score, score_known, artifacts, new_artifacts
    FROM lanlq_interval_rows
    ORDER BY interval_start
) TO '{{.Dir}}/interval_scores.parquet' (FORMAT parquet, COMPRESSION zstd, KV_METADATA {lanlq_experiment: '{{.Meta}}'});
DROP TABLE lanlq_interval_rows;
