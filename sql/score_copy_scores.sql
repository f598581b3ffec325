-- The reference for scores.parquet: lanlq score streams the file from Go, interval by
-- interval (engine/score_rows.go), and TestScoreRowsEqualSQL checks its rows against
-- this COPY, which sorts the whole run's rows (lanlq_score_rows, score_table.sql) in
-- DuckDB. One row per (interval, artifact), fully ordered (text/template: .Dir the
-- folder, .Meta the experiment JSON).
-- score is the method's score (fused: the fused surprise; roles: role_delta); warmup marks
-- the intervals before experiment.warmup_to, which lanlq eval leaves out.
-- The artifact's name is not stored: it is kind || '::' || value (the dictionary builds
-- it so), and readers derive it (scoresRelation); the name column cost more bytes than
-- kind and value together. Parquet format 2 encodings (a DOUBLE score dictionary
-- indexed by RLE, strings by delta lengths) and zstd level 9 took a LANL-rate day from
-- 32 to under 20 bytes per row with the other choices of README's "Result files".
COPY (
    SELECT r.interval_start, d.kind, d.value, r.score, r.new,
           r.role_before, r.role_after, r.membership_before, r.membership_after,
           r.warmup, r.role_delta, r.role_surprise, r.novelty_new_contacts, r.novelty_value, r.novelty_surprise,
           r.volume_degree, r.volume_expected, r.volume_surprise,
           r.typed_first_contacts, r.typed_surprise, r.switch_new_accounts, r.switch_surprise,
           r.peers_unexplained, r.peers_surprise, r.spread_from, r.spread_surprise,
           r.dominant, r.explanation
    FROM lanlq_score_rows AS r
    JOIN artifact_dictionary AS d ON d.id = r.id
    ORDER BY r.interval_start, r.score DESC, d.name
) TO '{{.Dir}}/scores.parquet' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 9, PARQUET_VERSION V2,
                                KV_METADATA {lanlq_experiment: '{{.Meta}}'});
