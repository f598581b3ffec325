-- Writes one ingest segment (an Arrow stream registered as {{.View}}) as Parquet
-- partitioned by interval. interval_start = origin + floor(time / W) * W, the
-- notebook's calc_lb_interval with start = origin (2015-01-01 00:00:00).
-- The partition column lives only in the folder name; files hold time and the fields.
COPY (
    SELECT time{{range .Columns}}, {{.Name}}{{end}},
           TIMESTAMP '2015-01-01 00:00:00' + to_seconds((time // {{.IntervalSeconds}}) * {{.IntervalSeconds}}) AS interval_start
    FROM {{.View}}
    {{- if .Sort}}
    ORDER BY time
    {{- end}}
) TO '{{.Dir}}' (
    FORMAT parquet,
    COMPRESSION zstd,
    PARTITION_BY (interval_start),
    FILENAME_PATTERN '{{.Segment}}-{i}',
    ROW_GROUP_SIZE 122880
);
