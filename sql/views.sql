-- lanlq's user-facing views, one per stream plus rejects (text/template; engine fills
-- it from the stream schemas and the data directory's layout).
-- time is the raw LANL second; ts = 2015-01-01 00:00:00 + time seconds (the notebook's
-- origin). Streams with no ingested data get an empty view of the same schema.
{{range .Streams}}
CREATE OR REPLACE VIEW {{.Name}} AS
{{- if .Glob}}
SELECT time, TIMESTAMP '2015-01-01 00:00:00' + to_seconds(time) AS ts{{range .Columns}}, {{.Name}}{{end}}
FROM read_parquet('{{.Glob}}', hive_partitioning = false);
{{- else}}
SELECT CAST(NULL AS BIGINT) AS time, CAST(NULL AS TIMESTAMP) AS ts{{range .Columns}}, CAST(NULL AS {{.Type}}) AS {{.Name}}{{end}}
WHERE false;
{{- end}}
{{end}}
CREATE OR REPLACE VIEW rejects AS
{{- if .RejectsGlob}}
SELECT stream, file, line, raw, reason
FROM read_parquet({{.RejectsGlob}}, union_by_name = true)
ORDER BY stream, file, line;
{{- else}}
SELECT CAST(NULL AS VARCHAR) AS stream, CAST(NULL AS VARCHAR) AS file, CAST(NULL AS BIGINT) AS line,
       CAST(NULL AS VARCHAR) AS raw, CAST(NULL AS VARCHAR) AS reason
WHERE false;
{{- end}}
