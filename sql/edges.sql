-- One interval's co-occurrence edge list over artifact ids (text/template; engine fills
-- it from lanlq_arch), or with .Tuples set the interval's distinct event tuples that the
-- edges are expanded from (the Go side expands them: graphkit.TupleBuilder). For each
-- stream:
--   events: identical events of the interval collapse to one tuple of artifact values
--           with its multiplicity n (only the artifact columns matter);
--   ids:    each value becomes its dictionary id; an id repeated inside a tuple (same
--           kind, same value) is nulled after its first occurrence, so every event is a
--           SET of artifacts; a value missing from the dictionary (data added after it
--           was built) fails the query rather than silently losing edges;
--   pairs:  the k(k-1)/2 column pairs of each tuple, weighted by n.
-- Column pairs (of any stream) are grouped by their unordered pair of kinds: an id has
-- one kind, so two groups never share an edge and each group is summed on its own.
-- Many small aggregations beat one over all pairs (measured about 1.6x less CPU on
-- LANL-rate auth: the hash tables stay small). The pair is packed into one BIGINT key,
-- min << 32 | max (ids are below 2^31), which groups faster than two columns. NULL
-- ends (no artifact) and self pairs drop out through c_i <> c_j.
-- The multiplicity n is a DOUBLE and cast back to BIGINT after the sum: sum(BIGINT)
-- keeps a HUGEINT state per group, and the pair aggregations make millions of groups
-- per LANL hour; a DOUBLE state took 10-20% less CPU for the whole query (notebook
-- auth, median of 6 runs, three A/B runs). The sum is exact: every partial sum is an
-- integer below 2^53. Also measured and dropped: one ENUM type per kind (id = the
-- kind's first id + enum_code) in place of the dictionary joins, nearly 2x the CPU
-- (DuckDB casts VARCHAR to ENUM at roughly 150 ns a value, and the collapse had to
-- run after it on 1.8x the rows); looking ids up before collapsing identical events
-- (a group by on integers instead of strings), no gain beyond noise.
WITH
{{- range $i, $s := .Streams}}{{if $i}},{{end}}
lanlq_{{.Name}}_events AS (
    SELECT {{range .Cols}}CAST({{.Expr}} AS VARCHAR) AS v{{.I}}, {{end}}CAST(count(*) AS DOUBLE) AS n
    FROM {{.Source}}
    WHERE {{$.Frame}}
    GROUP BY ALL
),
lanlq_{{.Name}}_ids AS {{if not $.Tuples}}MATERIALIZED {{end}}(
    SELECT
    {{- range .Cols}}
        CASE
            WHEN d{{.I}}.id IS NULL AND e.v{{.I}} IS NOT NULL THEN error('engine: artifact {{.Kind}}::' || e.v{{.I}} || ' is not in artifact_dictionary: the data changed since PrepareArtifacts; call it again')
            {{- if .Same}}
            WHEN d{{.I}}.id IN ({{range $k, $h := .Same}}{{if $k}}, {{end}}d{{$h}}.id{{end}}) THEN NULL
            {{- end}}
            ELSE d{{.I}}.id
        END AS c{{.I}},
    {{- end}}
        e.n
    FROM lanlq_{{.Name}}_events AS e
    {{- range .Cols}}
    LEFT JOIN artifact_dictionary AS d{{.I}} ON d{{.I}}.kind = '{{.Kind}}' AND d{{.I}}.value = e.v{{.I}}
    {{- end}}
)
{{- end}}
{{- if .Tuples}}
-- Tuples: every stream's ids, padded with NULLs to the widest stream (c0..c{w-1}, n),
-- one row per distinct event tuple. A pair of columns i < j holding ids a <> b is the
-- edge {a,b} with weight n, exactly the rows the pair aggregations below sum.
{{- range $i, $s := .Streams}}
{{if $i}}UNION ALL {{end}}SELECT {{range $.TupleCols}}{{if lt . (len $s.Cols)}}c{{.}}{{else}}CAST(NULL AS BIGINT) AS c{{.}}{{end}}, {{end}}n
FROM lanlq_{{$s.Name}}_ids
{{- end}}
{{- else}}
SELECT CAST('{{.Start}}' AS TIMESTAMP) AS interval_start, key >> 32 AS a, key & 4294967295 AS b, weight
FROM (
{{- range $g, $grp := .Groups}}
    {{if $g}}UNION ALL {{end}}SELECT key, CAST(sum(n) AS BIGINT) AS weight
    FROM (
    {{- range $k, $p := $grp}}
        {{if $k}}UNION ALL {{end}}SELECT CASE WHEN c{{$p.I}} < c{{$p.J}} THEN (c{{$p.I}} << 32) | c{{$p.J}} ELSE (c{{$p.J}} << 32) | c{{$p.I}} END AS key, n
        FROM lanlq_{{$p.Stream}}_ids WHERE c{{$p.I}} <> c{{$p.J}}
    {{- end}}
    )
    GROUP BY key
{{- end}}
)
{{- end}}
