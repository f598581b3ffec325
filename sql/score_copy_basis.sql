-- roles_basis.parquet: the fitted RolX basis, one row per (role, feature); each role's
-- weights sum to 1.
COPY (
    SELECT role, feature_index, feature, generation, weight
    FROM lanlq_basis_rows
    ORDER BY role, feature_index
) TO '{{.Dir}}/roles_basis.parquet' (FORMAT parquet, COMPRESSION zstd, KV_METADATA {lanlq_experiment: '{{.Meta}}'});
DROP TABLE lanlq_basis_rows;
