-- The red-team positives of an evaluation (text/template: .Width the interval width,
-- [.Lo, .Hi) the scored event times, LANL seconds): for each redteam line in the frame,
-- its interval and each of its userdomain_source, computer_source and
-- computer_destination values; with .Labels, each (time, entity) pair of the user's
-- labels file (the table lanlq_labels) instead. Every other eval_*.sql reads this view.
CREATE OR REPLACE TEMP VIEW lanlq_redteam_pairs AS
SELECT DISTINCT TIMESTAMP '2015-01-01 00:00:00' + to_seconds((time // {{.Width}}) * {{.Width}}) AS interval_start, entity
FROM (
{{- if .Labels}}
    SELECT time, entity
    FROM lanlq_labels
{{- else}}
    SELECT time, unnest([userdomain_source, computer_source, computer_destination]) AS entity
    FROM redteam
{{- end}}
    WHERE time >= {{.Lo}} AND time < {{.Hi}}
)
WHERE entity IS NOT NULL;
