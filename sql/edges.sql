-- One interval's co-occurrence edge list over artifact ids (text/template; engine fills
-- it from lanlq_arch). For each stream:
--   events: identical events of the interval collapse to one tuple of artifact values
--           with its multiplicity n (only the artifact columns matter);
--   ids:    each value becomes its dictionary id; an id repeated inside a tuple (same
--           kind, same value) is nulled after its first occurrence, so every event is a
--           SET of artifacts;
--   pairs:  the k(k-1)/2 column pairs of each tuple, weighted by n.
-- Then all streams' pairs are summed per unordered pair; NULL ends (no artifact) and
-- self pairs drop out through x <> y.
WITH
{{- range .Streams}}
lanlq_{{.Name}}_events AS (
    SELECT {{range .Cols}}CAST({{.Expr}} AS VARCHAR) AS v{{.I}}, {{end}}count(*) AS n
    FROM {{.Name}}
    WHERE {{$.Frame}}
    GROUP BY ALL
),
lanlq_{{.Name}}_ids AS (
    SELECT
    {{- range .Cols}}
        {{if .Same}}CASE WHEN d{{.I}}.id IN ({{range $k, $h := .Same}}{{if $k}}, {{end}}d{{$h}}.id{{end}}) THEN NULL ELSE d{{.I}}.id END{{else}}d{{.I}}.id{{end}} AS c{{.I}},
    {{- end}}
        e.n
    FROM lanlq_{{.Name}}_events AS e
    {{- range .Cols}}
    LEFT JOIN artifact_dictionary AS d{{.I}} ON d{{.I}}.kind = '{{.Kind}}' AND d{{.I}}.value = e.v{{.I}}
    {{- end}}
),
lanlq_{{.Name}}_pairs AS (
    SELECT unnest([{{range $k, $p := .Pairs}}{{if $k}}, {{end}}c{{$p.I}}{{end}}]) AS x,
           unnest([{{range $k, $p := .Pairs}}{{if $k}}, {{end}}c{{$p.J}}{{end}}]) AS y,
           n
    FROM lanlq_{{.Name}}_ids
),
{{- end}}
lanlq_pairs AS (
{{- range $i, $s := .Streams}}
    {{if $i}}UNION ALL {{end}}SELECT x, y, n FROM lanlq_{{$s.Name}}_pairs
{{- end}}
)
SELECT CAST('{{.Start}}' AS TIMESTAMP) AS interval_start, a, b, weight
FROM (
    SELECT least(x, y) AS a, greatest(x, y) AS b, CAST(sum(n) AS BIGINT) AS weight
    FROM lanlq_pairs
    WHERE x <> y
    GROUP BY least(x, y), greatest(x, y)
)
