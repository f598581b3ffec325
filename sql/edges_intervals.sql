-- The interval numbers (floor(time / width)) holding at least one event of the selected
-- streams inside the time frame, ascending (text/template).
SELECT DISTINCT time // {{.Width}} AS k
FROM (
{{- range $i, $s := .Streams}}
    {{if $i}}UNION ALL {{end}}SELECT time FROM {{$s.Name}} WHERE {{$.Frame}}
{{- end}}
)
ORDER BY k
