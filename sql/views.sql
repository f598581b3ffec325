-- lanlq's user-facing views, one per stream plus rejects (text/template; engine fills
-- it from the stream schemas and the data directory's layout).
-- time is the raw LANL second; ts = 2015-01-01 00:00:00 + time seconds (the notebook's
-- origin). Streams with no ingested data get an empty view of the same schema.
-- In a data folder of real sources (.Sources) time counts seconds from the same
-- origin, so ts is the event's real UTC time, and each row also names its source,
-- the input file, the record's number there and the record's raw text.
{{range .Streams}}
CREATE OR REPLACE VIEW {{.Name}} AS
{{- if .Glob}}
SELECT time, TIMESTAMP '2015-01-01 00:00:00' + to_seconds(time) AS ts{{range .Columns}}, {{.Name}}{{end}}{{if $.Sources}}, source, file, record, raw{{end}}
FROM read_parquet('{{.Glob}}', hive_partitioning = false);
{{- else}}
SELECT CAST(NULL AS BIGINT) AS time, CAST(NULL AS TIMESTAMP) AS ts{{range .Columns}}, CAST(NULL AS {{.Type}}) AS {{.Name}}{{end}}
{{- if $.Sources}}, CAST(NULL AS VARCHAR) AS source, CAST(NULL AS VARCHAR) AS file, CAST(NULL AS BIGINT) AS record, CAST(NULL AS VARCHAR) AS raw{{end}}
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
