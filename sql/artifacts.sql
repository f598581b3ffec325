-- The artifact dictionary: one integer id per distinct artifact of the architecture in
-- lanlq_arch (text/template over its rows). It is computed once over every stream the
-- architecture covers and the whole data set, whatever time frame or streams a run
-- selects, and ids are the rank of the name (byte order, from 0): so an artifact is the
-- same vertex in every interval and in every run over the same data, and a < b by id
-- exactly when a < b by name. Each stream is scanned once (its artifact columns
-- unnested side by side), not once per column: every scan holds read buffers.
CREATE OR REPLACE TEMP TABLE artifact_dictionary AS
WITH vals AS (
{{- range $i, $s := .Streams}}
    {{if $i}}UNION {{end}}SELECT DISTINCT kind, value FROM (
        SELECT unnest([{{range $k, $c := $s.Cols}}{{if $k}}, {{end}}'{{$c.Kind}}'{{end}}]) AS kind,
               unnest([{{range $k, $c := $s.Cols}}{{if $k}}, {{end}}CAST({{$c.Expr}} AS VARCHAR){{end}}]) AS value
        FROM {{$s.Name}}
    )
{{- end}}
)
SELECT CAST(row_number() OVER (ORDER BY kind || '::' || value, kind) - 1 AS BIGINT) AS id,
       kind || '::' || value AS name,
       kind,
       value
FROM vals
WHERE value IS NOT NULL
ORDER BY id;
