-- The class and entity of every artifact, by dense id (0..N-1), for the scorers that
-- read auth events (graphkit.Kinds.SetClasses): class 2 is no identity (LANL's '?'
-- and ANONYMOUS LOGON), 1 a machine account (C553$@DOM1), 0 anything else; entity
-- numbers the values, so that computer_source::C1 and computer_destination::C1 share
-- one. name is for the explanations.
SELECT id,
       CASE WHEN value = '?' OR value LIKE 'ANONYMOUS LOGON%' THEN 2
            WHEN value LIKE '%$@%' OR value LIKE '%$' THEN 1
            ELSE 0 END AS class,
       CAST(dense_rank() OVER (ORDER BY value) - 1 AS INTEGER) AS entity,
       name
FROM artifact_dictionary
ORDER BY id;
