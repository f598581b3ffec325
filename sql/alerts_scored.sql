-- The scores outside the warm-up (text/template: .Scores the scores.parquet), each
-- with the one line that explains it: the fused run's explanation, or below score 2 its
-- components; for a roles run, the role change. Shared by top_alerts.sql and
-- follow_alerts.sql.
    SELECT interval_start, artifact, kind, value, score, warmup, dominant,
           coalesce(explanation,
                    -- A fused row below 2 carries no explanation string: its components say it.
                    nullif(concat_ws('; ',
                        -- novelty_value and volume_expected are kept only on rows scoring at
                        -- least 2 (README, "Result files"): a line below says what is stored.
                        CASE WHEN novelty_surprise IS NOT NULL THEN printf('novelty %d first contacts%s (p=%.2g)',
                            novelty_new_contacts, coalesce(printf(', weighted %.3g', novelty_value), ''), pow(10, -novelty_surprise)) END,
                        CASE WHEN volume_surprise IS NOT NULL THEN printf('volume %.3g (%sp=%.2g)',
                            volume_degree, coalesce(printf('usual %.3g, ', volume_expected), ''), pow(10, -volume_surprise)) END,
                        CASE WHEN typed_surprise IS NOT NULL THEN printf('typed %d first typed contacts (p=%.2g)',
                            typed_first_contacts, pow(10, -typed_surprise)) END,
                        CASE WHEN switch_surprise IS NOT NULL THEN printf('switch %d new accounts (p=%.2g)',
                            switch_new_accounts, pow(10, -switch_surprise)) END,
                        CASE WHEN peers_surprise IS NOT NULL THEN printf('peers %d contacts no peer made (p=%.2g)',
                            peers_unexplained, pow(10, -peers_surprise)) END,
                        CASE WHEN spread_surprise IS NOT NULL THEN printf('spread (p=%.2g)',
                            pow(10, -spread_surprise)) END,
                        CASE WHEN role_surprise IS NOT NULL THEN printf('role change %.3g (p=%.2g)',
                            role_delta, pow(10, -role_surprise)) END), ''),
                    CASE WHEN new THEN 'new artifact'
                         ELSE 'role ' || role_before || ' → ' || role_after END
                    || ', role change δ ' || round(role_delta, 3)) AS why
    FROM (SELECT kind || '::' || value AS artifact, COLUMNS(c -> c <> 'artifact') FROM read_parquet('{{.Scores}}'))
    WHERE NOT warmup
