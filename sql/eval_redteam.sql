-- What of the redteam stream (or, with .Labels, of the labels table lanlq_labels) an
-- evaluation covers: lines, lines in the frame [.Lo, .Hi), positive pairs in the frame,
-- and distinct pairs of the lines outside it.
{{- $src := "redteam"}}{{if .Labels}}{{$src = "lanlq_labels"}}{{end}}
SELECT
    (SELECT count(*) FROM {{$src}}),
    (SELECT count(*) FROM {{$src}} WHERE time >= {{.Lo}} AND time < {{.Hi}}),
    (SELECT count(*) FROM lanlq_redteam_pairs),
    (SELECT count(*) FROM (
        SELECT DISTINCT time // {{.Width}}, entity
        FROM ({{if .Labels}}SELECT time, entity FROM lanlq_labels{{else}}SELECT time, unnest([userdomain_source, computer_source, computer_destination]) AS entity
              FROM redteam{{end}} WHERE NOT (time >= {{.Lo}} AND time < {{.Hi}}))
        WHERE entity IS NOT NULL));
