-- The reference for roles.parquet (streamed from Go, engine/score_rows.go; checked
-- against this by TestScoreRowsEqualSQL): every artifact's role memberships
-- (L1-normalised) per interval and the role of largest membership.
COPY (
    SELECT r.interval_start, d.name AS artifact, r.role_after AS role, r.membership_after AS membership
    FROM lanlq_score_rows AS r
    JOIN artifact_dictionary AS d ON d.id = r.id
    ORDER BY r.interval_start, d.name
) TO '{{.Dir}}/roles.parquet' (FORMAT parquet, COMPRESSION zstd, KV_METADATA {lanlq_experiment: '{{.Meta}}'});
