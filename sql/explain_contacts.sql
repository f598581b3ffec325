-- The new contacts of an entity in one interval (text/template over the architecture's
-- streams; .Entity the value as a SQL literal, event times [.Lo, .Hi) the interval):
-- every pair (artifact of the entity, other artifact) that co-occurs in an event of the
-- interval and in no event before it, with its events in the interval. An artifact is
-- kind::value as in the graphs; the pairs are the edges the graphs draw.
WITH
{{- range $i, $s := .Streams}}{{if $i}},{{end}}
lanlq_{{.Name}}_events AS (
    SELECT time{{range .Cols}}, CAST({{.Expr}} AS VARCHAR) AS v{{.I}}{{end}}
    FROM {{.Name}}
    WHERE time < {{$.Hi}} AND {{$.Entity}} IN ({{range $k, $c := .Cols}}{{if $k}}, {{end}}CAST({{$c.Expr}} AS VARCHAR){{end}})
)
{{- end}},
lanlq_contacts AS (
{{- $first := true}}
{{- range $s := .Streams}}{{range .Pairs}}
    {{if $first}}{{$first = false}}{{else}}UNION ALL {{end}}SELECT time, '{{(index $s.Cols .I).Kind}}' AS kind, '{{(index $s.Cols .J).Kind}}' AS partner_kind, v{{.J}} AS partner
    FROM lanlq_{{$s.Name}}_events WHERE v{{.I}} = {{$.Entity}} AND v{{.J}} IS NOT NULL
    UNION ALL SELECT time, '{{(index $s.Cols .J).Kind}}', '{{(index $s.Cols .I).Kind}}', v{{.I}}
    FROM lanlq_{{$s.Name}}_events WHERE v{{.J}} = {{$.Entity}} AND v{{.I}} IS NOT NULL
{{- end}}{{end}}
)
SELECT kind || '::' || {{.Entity}} AS artifact, kind, partner_kind || '::' || partner AS contact, partner_kind,
       count(*) AS events
FROM lanlq_contacts
WHERE NOT (kind = partner_kind AND partner = {{.Entity}})
GROUP BY ALL
HAVING min(time) >= {{.Lo}}
ORDER BY artifact, contact;
