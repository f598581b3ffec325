-- lanl_edges: each interval's artifact co-occurrence edge list, the rows lanlq edges
-- writes (interval_start TIMESTAMP, a VARCHAR, b VARCHAR, weight BIGINT; a < b).
--   arch              'notebook', 'entity' or the path of an architecture .sql file
--   interval_seconds  interval width in seconds
--   from_ts, to_ts    optional frame [from_ts, to_ts) on event times: a TIMESTAMP, a
--                     'YYYY-MM-DD hh:mm:ss' string or LANL seconds; NULL leaves it open
--   streams           optional comma-separated streams ('auth,dns'); NULL means all
-- Arguments must be constants (literals, getvariable('name'), expressions of them).
-- The macro gives the optional arguments defaults, which a Go table function cannot
-- have, and hands everything as text to the Go scan, lanlq_edges_scan.
CREATE OR REPLACE MACRO lanl_edges(arch, interval_seconds, from_ts := NULL, to_ts := NULL, streams := NULL) AS TABLE
SELECT *
FROM lanlq_edges_scan(
    coalesce(CAST(arch AS VARCHAR), ''),
    coalesce(CAST(interval_seconds AS BIGINT), 0),
    coalesce(CAST(from_ts AS VARCHAR), ''),
    coalesce(CAST(to_ts AS VARCHAR), ''),
    coalesce(CAST(streams AS VARCHAR), '')
);
