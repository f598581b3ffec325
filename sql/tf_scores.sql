-- lanl_scores, lanl_interval_scores, lanl_roles: a role-dynamics scoring run
-- (Session.Score, the run lanlq score makes) seen as tables, with the columns of
-- scores.parquet, interval_scores.parquet and roles.parquet, in those files' order. They
-- always compute role memberships (ScoreSpec.Memberships), as lanlq score --memberships.
--   arch              'notebook', 'entity' or the path of an architecture .sql file
--   interval_seconds  interval width in seconds
--   from_ts, to_ts    optional frame [from_ts, to_ts) on event times: a TIMESTAMP, a
--                     'YYYY-MM-DD hh:mm:ss' string or LANL seconds; NULL leaves it open
--   streams           optional comma-separated streams ('auth,dns'); NULL means all
--   roles             number of RolX roles; NULL or 'auto' chooses it by MDL over 2..8
--   train_from, train_to  training window of the feature set and role basis; NULL
--                     means the frame's first 24 hours
--   expect            'ewma' (default) or 'previous' (the notebook's t-1)
--   half_life         EWMA half-life in intervals; NULL means the default
--   seed              seed of the role fit (default 1, as lanlq score)
--   generations       recursive ReFeX generations; NULL means the default, -1 base only
--   method            'fused' (default) or 'roles' (plain role dynamics, the paper's and
--                     the notebook's method)
--   components        fused components, a comma-separated subset of
--                     'role,novelty,volume,typed,switch,peers,spread';
--                     NULL means the default set (lanlq score --components)
--   novelty           novelty's contacts: 'contacts' (default: users and computers) or
--                     'all' (also a computer's first processes and ports)
-- Arguments must be constants (literals, getvariable('name'), expressions of them).
-- Every call runs the whole scoring: materialise the result once when it is used twice.
-- The macros give the optional arguments defaults and hand them to the Go scans.
CREATE OR REPLACE MACRO lanl_scores(arch, interval_seconds, from_ts := NULL, to_ts := NULL, streams := NULL,
    roles := NULL, train_from := NULL, train_to := NULL, expect := NULL, half_life := NULL, seed := NULL,
    generations := NULL, method := NULL, components := NULL, novelty := NULL) AS TABLE
SELECT *
FROM lanlq_scores_scan(
    coalesce(CAST(arch AS VARCHAR), ''),
    coalesce(CAST(interval_seconds AS BIGINT), 0),
    coalesce(CAST(from_ts AS VARCHAR), ''),
    coalesce(CAST(to_ts AS VARCHAR), ''),
    coalesce(CAST(streams AS VARCHAR), ''),
    coalesce(CAST(roles AS VARCHAR), ''),
    coalesce(CAST(train_from AS VARCHAR), ''),
    coalesce(CAST(train_to AS VARCHAR), ''),
    coalesce(CAST(expect AS VARCHAR), ''),
    coalesce(CAST(half_life AS DOUBLE), 0),
    coalesce(CAST(seed AS BIGINT), 1),
    coalesce(CAST(generations AS BIGINT), 0),
    coalesce(CAST(method AS VARCHAR), ''),
    coalesce(CAST(components AS VARCHAR), ''),
    coalesce(CAST(novelty AS VARCHAR), '')
);

CREATE OR REPLACE MACRO lanl_interval_scores(arch, interval_seconds, from_ts := NULL, to_ts := NULL, streams := NULL,
    roles := NULL, train_from := NULL, train_to := NULL, expect := NULL, half_life := NULL, seed := NULL,
    generations := NULL, method := NULL, components := NULL, novelty := NULL) AS TABLE
SELECT *
FROM lanlq_interval_scores_scan(
    coalesce(CAST(arch AS VARCHAR), ''),
    coalesce(CAST(interval_seconds AS BIGINT), 0),
    coalesce(CAST(from_ts AS VARCHAR), ''),
    coalesce(CAST(to_ts AS VARCHAR), ''),
    coalesce(CAST(streams AS VARCHAR), ''),
    coalesce(CAST(roles AS VARCHAR), ''),
    coalesce(CAST(train_from AS VARCHAR), ''),
    coalesce(CAST(train_to AS VARCHAR), ''),
    coalesce(CAST(expect AS VARCHAR), ''),
    coalesce(CAST(half_life AS DOUBLE), 0),
    coalesce(CAST(seed AS BIGINT), 1),
    coalesce(CAST(generations AS BIGINT), 0),
    coalesce(CAST(method AS VARCHAR), ''),
    coalesce(CAST(components AS VARCHAR), ''),
    coalesce(CAST(novelty AS VARCHAR), '')
);

CREATE OR REPLACE MACRO lanl_roles(arch, interval_seconds, from_ts := NULL, to_ts := NULL, streams := NULL,
    roles := NULL, train_from := NULL, train_to := NULL, expect := NULL, half_life := NULL, seed := NULL,
    generations := NULL, method := NULL, components := NULL, novelty := NULL) AS TABLE
SELECT *
FROM lanlq_roles_scan(
    coalesce(CAST(arch AS VARCHAR), ''),
    coalesce(CAST(interval_seconds AS BIGINT), 0),
    coalesce(CAST(from_ts AS VARCHAR), ''),
    coalesce(CAST(to_ts AS VARCHAR), ''),
    coalesce(CAST(streams AS VARCHAR), ''),
    coalesce(CAST(roles AS VARCHAR), ''),
    coalesce(CAST(train_from AS VARCHAR), ''),
    coalesce(CAST(train_to AS VARCHAR), ''),
    coalesce(CAST(expect AS VARCHAR), ''),
    coalesce(CAST(half_life AS DOUBLE), 0),
    coalesce(CAST(seed AS BIGINT), 1),
    coalesce(CAST(generations AS BIGINT), 0),
    coalesce(CAST(method AS VARCHAR), ''),
    coalesce(CAST(components AS VARCHAR), ''),
    coalesce(CAST(novelty AS VARCHAR), '')
);
