-- Writes one ingest segment's rejected lines (an Arrow stream registered as {{.View}}).
COPY (SELECT stream, file, line, raw, reason FROM {{.View}} ORDER BY line)
TO '{{.File}}' (FORMAT parquet, COMPRESSION zstd);
