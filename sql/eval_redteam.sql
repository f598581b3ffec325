-- What of the redteam stream an evaluation covers: lines, lines in the frame
-- [.Lo, .Hi), positive pairs in the frame, and distinct pairs of the lines outside it.
SELECT
    (SELECT count(*) FROM redteam),
    (SELECT count(*) FROM redteam WHERE time >= {{.Lo}} AND time < {{.Hi}}),
    (SELECT count(*) FROM lanlq_redteam_pairs),
    (SELECT count(*) FROM (
        SELECT DISTINCT time // {{.Width}}, entity
        FROM (SELECT time, unnest([userdomain_source, computer_source, computer_destination]) AS entity
              FROM redteam WHERE NOT (time >= {{.Lo}} AND time < {{.Hi}}))
        WHERE entity IS NOT NULL));
