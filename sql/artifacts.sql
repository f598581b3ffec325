-- The artifact dictionary: one integer id per distinct artifact of the architecture in
-- lanlq_arch (text/template over its rows). It is computed once over every stream the
-- architecture covers and the whole data set, whatever time frame or streams a run
-- selects, and ids are the rank of the name (byte order, from 0): so an artifact is the
-- same vertex in every interval and in every run over the same data, and a < b by id
-- exactly when a < b by name.
-- Each stream is scanned once, with one grouping set per artifact column: about 4x
-- faster than unnesting the columns into (kind, value) rows, and unlike one SELECT
-- DISTINCT per column it holds one scan's read buffers, not one per column.
CREATE OR REPLACE TEMP TABLE artifact_dictionary AS
WITH vals AS (
{{- range $i, $s := .Streams}}
    {{if $i}}UNION {{end}}SELECT
        CASE{{range $s.Cols}} WHEN grouping(v{{.I}}) = 0 THEN '{{.Kind}}'{{end}} END AS kind,
        CASE{{range $s.Cols}} WHEN grouping(v{{.I}}) = 0 THEN v{{.I}}{{end}} END AS value
    FROM (SELECT {{range $k, $c := $s.Cols}}{{if $k}}, {{end}}CAST({{$c.Expr}} AS VARCHAR) AS v{{$c.I}}{{end}} FROM {{$s.Name}})
    GROUP BY GROUPING SETS ({{range $k, $c := $s.Cols}}{{if $k}}, {{end}}(v{{$c.I}}){{end}})
{{- end}}
)
SELECT CAST(row_number() OVER (ORDER BY kind || '::' || value, kind) - 1 AS BIGINT) AS id,
       kind || '::' || value AS name,
       kind,
       value
FROM vals
WHERE value IS NOT NULL
ORDER BY id;
