-- scores.parquet: one row per (interval, artifact), fully ordered so that the same run
-- gives the same bytes (text/template: .Dir the folder, .Meta the experiment JSON).
COPY (
    SELECT r.interval_start, d.name AS artifact, d.kind, d.value, r.score, r.new,
           r.role_before, r.role_after, r.membership_before, r.membership_after
    FROM lanlq_score_rows AS r
    JOIN artifact_dictionary AS d ON d.id = r.id
    ORDER BY r.interval_start, r.score DESC, d.name
) TO '{{.Dir}}/scores.parquet' (FORMAT parquet, COMPRESSION zstd, KV_METADATA {lanlq_experiment: '{{.Meta}}'});
