-- One interval's edge list with artifact names, written as one zstd Parquet file
-- (text/template; .Edges is the rendered edges.sql): the definition of lanlq edges'
-- files, which ExportEdges writes from the event tuples in Go and the tests compare
-- with this COPY (TestEdgesExportMatchesSQL). Ids are ranks of names, so a < b by
-- id is a < b by name; rows are sorted by (a, b) for readers and for compression.
COPY (
    SELECT e.interval_start, da.name AS a, db.name AS b, e.weight
    FROM ({{.Edges}}) AS e
    JOIN artifact_dictionary AS da ON da.id = e.a
    JOIN artifact_dictionary AS db ON db.id = e.b
    ORDER BY a, b
) TO '{{.Path}}' (FORMAT parquet, COMPRESSION zstd);
