-- The raw events of one stream in one interval that involve an entity (text/template:
-- .Stream, .Fields its columns, .Cols its VARCHAR ones, .Entity the value as a SQL literal, event times
-- [.Lo, .Hi), at most .Limit rows), each as its LANL line, with the count of all of them.
SELECT time, concat_ws(',', time{{range .Fields}}, coalesce(CAST({{.}} AS VARCHAR), ''){{end}}) AS line,
       count(*) OVER () AS total
FROM {{.Stream}}
WHERE time >= {{.Lo}} AND time < {{.Hi}}
  AND {{.Entity}} IN ({{range $k, $c := .Cols}}{{if $k}}, {{end}}{{$c}}{{end}})
ORDER BY ALL
LIMIT {{.Limit}};
