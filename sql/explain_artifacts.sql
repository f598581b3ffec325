-- The scored artifacts of one entity in one interval (text/template: .Scores the
-- scores.parquet; $1 the interval start, $2 the entity value), each with its rank among
-- the interval's artifacts (1 = highest score) and the interval's artifact count.
SELECT artifact, kind, score, rank, total, new, warmup, role_before, role_after,
       membership_before, membership_after, role_delta, role_surprise,
       novelty_new_contacts, novelty_value, novelty_surprise, volume_degree, volume_expected,
       volume_surprise, typed_first_contacts, typed_surprise, switch_new_accounts, switch_surprise,
       peers_unexplained, peers_surprise, spread_from, spread_surprise, dominant, explanation
FROM (
    SELECT *, rank() OVER (ORDER BY score DESC) AS rank, count(*) OVER () AS total
    FROM (SELECT kind || '::' || value AS artifact, COLUMNS(c -> c <> 'artifact') FROM read_parquet('{{.Scores}}'))
    WHERE interval_start = $1
)
WHERE value = $2
ORDER BY score DESC, artifact;
