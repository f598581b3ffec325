-- entity.sql: the notebook's experiment over the entity architecture, in which an
-- artifact is a typed entity (computer::C586, user::U12@DOM1, …): a computer is one vertex
-- whether it is a source or a destination. Everything else is notebook.sql's (1-hour
-- intervals, every stream, expectation t-1), so the two runs differ by the graph alone.
-- Run it with
--
--   lanlq run --data DATA --out OUT experiments/entity.sql
--
-- lanlq run sets two variables before the first statement:
--   getvariable('out')   where results go (a staging folder, moved into OUT only when
--                        every statement succeeded)
--   getvariable('data')  the data folder
-- A COPY target that is an expression must be in parentheses: TO (getvariable('out') || '/x.parquet').
-- Every COPY orders its rows completely, so a rerun writes byte-identical files.
-- Copy the file and change the settings below to make your own experiment.

-- Settings. Every variable set here is recorded in OUT/experiment.json. NULL means the
-- default that the comment names.
SET VARIABLE arch = 'entity';             -- 'notebook', 'entity' or an architecture .sql file
SET VARIABLE interval_seconds = 3600;     -- 1-hour intervals, as in the notebook
SET VARIABLE from_ts = NULL;              -- frame [from_ts, to_ts) on event times: TIMESTAMP,
SET VARIABLE to_ts = NULL;                --   'YYYY-MM-DD hh:mm:ss' or LANL seconds; NULL: all data
SET VARIABLE streams = NULL;              -- every stream the architecture covers; 'auth,dns' for a subset
SET VARIABLE roles = 'auto';              -- RolX roles: 'auto' (MDL over 2..8) or a number
SET VARIABLE train_from = NULL;           -- training window of features and role basis;
SET VARIABLE train_to = NULL;             --   NULL: the frame's first 24 hours
SET VARIABLE expect = 'previous';         -- expected membership: 'previous' (t-1, the notebook's) or 'ewma'
SET VARIABLE half_life = NULL;            -- EWMA half-life in intervals (expect 'ewma'); NULL: default
SET VARIABLE seed = 1;                    -- seed of the role fit: same seed, same results
SET VARIABLE method = 'roles';            -- 'roles': plain role dynamics, the notebook's score δ;
                                          --   'fused': lanlq's default (novelty, volume, switch, spread)

-- The scoring run behind the three tables below: the three lanl_* calls have the same
-- arguments, so the session scores once and all three read that run. The arguments
-- go by name, so a call may leave any of them out.
--
-- 1. scores.parquet: one row per (interval, artifact): interval_start, artifact
--    (kind::value), kind, value, score (higher = more anomalous: the role change
--    δ = Σr |membership - expected membership|), new (first appearance), role_before,
--    role_after, membership_before, membership_after (and whatever else Score writes).
COPY (
    SELECT *
    FROM lanl_scores(getvariable('arch'), getvariable('interval_seconds'),
                     from_ts := getvariable('from_ts'), to_ts := getvariable('to_ts'),
                     streams := getvariable('streams'), roles := getvariable('roles'),
                     train_from := getvariable('train_from'), train_to := getvariable('train_to'),
                     expect := getvariable('expect'), half_life := getvariable('half_life'),
                     seed := getvariable('seed'), method := getvariable('method'))
    ORDER BY interval_start, score DESC, artifact
) TO (getvariable('out') || '/scores.parquet') (FORMAT parquet, COMPRESSION zstd);

-- 2. interval_scores.parquet: one row per interval of the frame, events or not:
--    score (Δ(t), the mean δ; NULL without artifacts), score_known (over artifacts seen
--    before), artifacts, new_artifacts.
COPY (
    SELECT *
    FROM lanl_interval_scores(getvariable('arch'), getvariable('interval_seconds'),
                              from_ts := getvariable('from_ts'), to_ts := getvariable('to_ts'),
                              streams := getvariable('streams'), roles := getvariable('roles'),
                              train_from := getvariable('train_from'), train_to := getvariable('train_to'),
                              expect := getvariable('expect'), half_life := getvariable('half_life'),
                              seed := getvariable('seed'), method := getvariable('method'))
    ORDER BY interval_start
) TO (getvariable('out') || '/interval_scores.parquet') (FORMAT parquet, COMPRESSION zstd);

-- 3. roles.parquet: every artifact's role memberships per interval (L1-normalised) and
--    its role (the largest membership).
COPY (
    SELECT *
    FROM lanl_roles(getvariable('arch'), getvariable('interval_seconds'),
                    from_ts := getvariable('from_ts'), to_ts := getvariable('to_ts'),
                    streams := getvariable('streams'), roles := getvariable('roles'),
                    train_from := getvariable('train_from'), train_to := getvariable('train_to'),
                    expect := getvariable('expect'), half_life := getvariable('half_life'),
                    seed := getvariable('seed'), method := getvariable('method'))
    ORDER BY interval_start, artifact
) TO (getvariable('out') || '/roles.parquet') (FORMAT parquet, COMPRESSION zstd);
