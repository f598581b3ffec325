-- Graph architecture "notebook": the research notebook's AllCategoryNoAttr, kept exactly.
-- Every non-numeric column of a stream is an artifact column and an artifact is named
-- `column::value` (computer_source::C586 and computer_destination::C586 are two
-- vertices). `?` is a value like any other, as in the notebook.
--
-- ## The architecture contract (what a user's FILE.sql passed as --arch must do)
--
-- An architecture file is plain DuckDB SQL run in the session (with the stream views
-- auth, proc, flows, dns already defined). It must create a view (or table) called
-- artifact_columns with one row per artifact column of a stream:
--
--   stream VARCHAR  one of auth, proc, flows, dns
--   kind   VARCHAR  the artifact's type; an artifact is named kind || '::' || value, so
--                  two columns of the same kind (in one stream or in two) share vertices
--   expr   VARCHAR  a SQL expression over that stream view's columns giving the value,
--                  usually just a column name; it is cast to VARCHAR, and a NULL value
--                  is no artifact (use nullif(col, '?') to drop LANL's unknowns)
--
-- Semantics: in each interval every event of a listed stream is a clique over the SET
-- of its artifacts (an artifact occurring twice in one event counts once; pairs of an
-- artifact with itself are dropped); an edge's weight is the number of events, all
-- streams summed, whose artifact set holds both ends. A stream with no row takes no
-- part. The file may create helper views or macros too; keep names free of the
-- lanlq_ prefix and of artifact_dictionary, which lanlq owns.
--
-- Example (computers only, typed, unknowns dropped):
--
--   CREATE OR REPLACE TEMP VIEW artifact_columns AS
--   SELECT * FROM (VALUES
--       ('dns',  'computer', 'nullif(computer_source, ''?'')'),
--       ('dns',  'computer', 'nullif(computer_destination, ''?'')'),
--       ('auth', 'computer', 'nullif(computer_source, ''?'')'),
--       ('auth', 'computer', 'nullif(computer_destination, ''?'')')
--   ) AS t(stream, kind, expr);
CREATE OR REPLACE TEMP VIEW artifact_columns AS
SELECT * FROM (VALUES
    ('auth',  'userdomain_source',      'userdomain_source'),
    ('auth',  'userdomain_destination', 'userdomain_destination'),
    ('auth',  'computer_source',        'computer_source'),
    ('auth',  'computer_destination',   'computer_destination'),
    ('auth',  'auth',                   'auth'),
    ('auth',  'logon',                  'logon'),
    ('auth',  'direction',              'direction'),
    ('auth',  'result',                 'result'),
    ('proc',  'userdomain_source',      'userdomain_source'),
    ('proc',  'computer_source',        'computer_source'),
    ('proc',  'process',                'process'),
    ('proc',  'action',                 'action'),
    ('flows', 'computer_source',        'computer_source'),
    ('flows', 'port_source',            'port_source'),
    ('flows', 'computer_destination',   'computer_destination'),
    ('flows', 'port_destination',       'port_destination'),
    ('flows', 'protocol',               'protocol'),
    ('dns',   'computer_source',        'computer_source'),
    ('dns',   'computer_destination',   'computer_destination')
) AS t(stream, kind, expr);
