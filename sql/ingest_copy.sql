-- Writes one run of an ingest segment (rows of one interval, an Arrow stream
-- registered as {{.View}}) to one Parquet file in its interval's partition folder.
-- A plain COPY keeps row order (DuckDB's PARTITION_BY writer does not), so files are
-- sorted by time like the input. Files hold time and the fields; the interval is in
-- the folder name.
COPY (
    SELECT time{{range .Columns}}, {{.Name}}{{end}}
    FROM {{.View}}
) TO '{{.File}}' (
    FORMAT parquet,
    COMPRESSION zstd,
    ROW_GROUP_SIZE 122880
);
