-- The raw events of one stream in one interval that involve an entity (text/template:
-- .Stream, .Fields its columns, .Cols its VARCHAR ones, .Entity the value as a SQL literal, event times
-- [.Lo, .Hi), at most .Limit rows), each as its LANL line, with the count of all of them;
-- in a data folder of real sources (.Raw) also the record's reference (source file:record)
-- and the raw record as the source wrote it.
SELECT time, concat_ws(',', time{{range .Fields}}, coalesce(CAST({{.}} AS VARCHAR), ''){{end}}) AS line,
       count(*) OVER () AS total,
       {{if .Raw}}source || ' ' || file || ':' || record{{else}}NULL::VARCHAR{{end}} AS ref,
       {{if .Raw}}raw{{else}}NULL::VARCHAR{{end}} AS raw
FROM {{.Stream}}
WHERE time >= {{.Lo}} AND time < {{.Hi}}
  AND {{.Entity}} IN ({{range $k, $c := .Cols}}{{if $k}}, {{end}}{{$c}}{{end}})
ORDER BY ALL
LIMIT {{.Limit}};
