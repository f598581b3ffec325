-- edges-notebook.sql: summaries of the notebook architecture's per-interval artifact
-- co-occurrence graphs. Run it with
--
--   lanlq run --data DATA --out OUT experiments/edges-notebook.sql
--
-- and read OUT/*.parquet from pandas, polars or DuckDB. Copy the file and change the
-- settings below to look at another architecture, interval or time frame.
--
-- lanlq run sets two variables before the first statement:
--   getvariable('out')   where results go (a staging folder, moved into OUT only when
--                        every statement succeeded)
--   getvariable('data')  the data folder
-- A COPY target that is an expression must be in parentheses: TO (getvariable('out') || '/x.parquet').
-- Every COPY orders its rows completely, so a rerun writes byte-identical files.

-- Settings. Every variable set here is recorded in OUT/experiment.json.
SET VARIABLE arch = 'notebook';           -- 'notebook', 'entity' or an architecture .sql file
SET VARIABLE interval_seconds = 3600;     -- 1-hour intervals, as in the notebook
SET VARIABLE top_edges = 20;              -- heaviest edges kept per interval

-- The edge lists, built once: lanl_edges streams one interval at a time
-- (interval_start, a, b, weight) with a < b, weight = events holding both artifacts.
-- To bound the time frame: lanl_edges(arch, secs, from_ts := TIMESTAMP '…', to_ts := …)
-- or streams := 'auth,dns' for a subset of the streams.
CREATE TEMP TABLE edges AS
SELECT *
FROM lanl_edges(getvariable('arch'), getvariable('interval_seconds'));

-- Every (interval, artifact) vertex with its degree and weighted degree.
CREATE TEMP TABLE degrees AS
SELECT interval_start, artifact, count(*) AS degree, sum(weight) AS weighted_degree
FROM (
    SELECT interval_start, a AS artifact, weight FROM edges
    UNION ALL
    SELECT interval_start, b AS artifact, weight FROM edges
)
GROUP BY interval_start, artifact;

-- 1. Per interval: edges, vertices, total and largest edge weight.
COPY (
    SELECT e.interval_start, e.edges, v.vertices, e.total_weight, e.max_weight
    FROM (SELECT interval_start, count(*) AS edges, sum(weight) AS total_weight, max(weight) AS max_weight
          FROM edges GROUP BY interval_start) AS e
    JOIN (SELECT interval_start, count(*) AS vertices FROM degrees GROUP BY interval_start) AS v
      USING (interval_start)
    ORDER BY interval_start
) TO (getvariable('out') || '/interval_edges.parquet') (FORMAT parquet);

-- 2. The heaviest edges of each interval (ties broken by name, so the order is total).
COPY (
    SELECT interval_start, a, b, weight, rank
    FROM (
        SELECT *, row_number() OVER (PARTITION BY interval_start ORDER BY weight DESC, a, b) AS rank
        FROM edges
    )
    WHERE rank <= getvariable('top_edges')
    ORDER BY interval_start, rank
) TO (getvariable('out') || '/top_edges.parquet') (FORMAT parquet);

-- 3. Degree distribution: how many (interval, artifact) vertices have each degree,
--    per artifact kind (the column the artifact comes from: 'computer_source', ...).
COPY (
    SELECT split_part(artifact, '::', 1) AS kind, degree, count(*) AS vertices
    FROM degrees
    GROUP BY kind, degree
    ORDER BY kind, degree
) TO (getvariable('out') || '/degree_distribution.parquet') (FORMAT parquet);

-- 4. The artifacts with the highest degree in any interval: hubs such as domain
--    controllers, and the first place to look for a sudden change of role.
COPY (
    SELECT artifact, max(degree) AS max_degree, avg(degree) AS mean_degree, count(*) AS intervals,
           min(interval_start) FILTER (WHERE degree = top) AS busiest_interval
    FROM (SELECT *, max(degree) OVER (PARTITION BY artifact) AS top FROM degrees)
    GROUP BY artifact
    ORDER BY max_degree DESC, artifact
    LIMIT 100
) TO (getvariable('out') || '/hubs.parquet') (FORMAT parquet);
