-- The kind of every artifact, by dense id (0..N-1), for the fused scorers' kind table.
SELECT id, kind FROM artifact_dictionary ORDER BY id;
