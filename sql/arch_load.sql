-- Materialises the architecture just run (its artifact_columns view) as lanlq_arch,
-- with a stable position per column, and checks the contract (text/template: .Key
-- identifies the architecture, .Streams lists the streams it may name).
CREATE OR REPLACE TEMP TABLE lanlq_arch AS
SELECT '{{.Key}}' AS arch,
       CAST(stream AS VARCHAR) AS stream,
       CAST(kind AS VARCHAR) AS kind,
       CAST(expr AS VARCHAR) AS expr,
       CAST(row_number() OVER (PARTITION BY stream ORDER BY kind, expr) - 1 AS INTEGER) AS pos
FROM (SELECT DISTINCT stream, kind, expr FROM artifact_columns);
