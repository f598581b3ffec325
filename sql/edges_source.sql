-- The events of one stream in one interval read straight from the ingest partitions
-- that overlap it (text/template: .Files, a list of quoted globs; .Columns, the stream's
-- fields). It is the stream's view (views.sql) restricted to those files: the views
-- read every partition's footer on each query, which costs more than the interval's
-- own work once a data set holds hundreds of intervals. Keep it in step with views.sql
-- (TestEdgesSourceMatchesView checks it).
(SELECT time, TIMESTAMP '2015-01-01 00:00:00' + to_seconds(time) AS ts{{range .Columns}}, {{.Name}}{{end}}
 FROM read_parquet([{{.Files}}], hive_partitioning = false))
