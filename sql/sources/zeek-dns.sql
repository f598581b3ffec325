-- Source "zeek-dns": Zeek's dns.log, as JSON lines or as the tab-separated log with
-- #fields headers (same rows for the same records). The contract every source
-- definition follows is at the top of windows-security.sql.
--
-- Mapping:
--   dns    every request with a query name: id.orig_h (the computer asking) → query
--          (the name looked up), both as lanlq_host writes them.
--   not mapped: requests without a query name (Zeek logs some, e.g. malformed ones).
--   rejects: a line that is not a JSON object or does not match its #fields header;
--          a record without a parsable ts or id.orig_h.
-- Time: ts. Host names: each address among the answers (A/AAAA) of a query ties that
-- address to the queried name.

CREATE OR REPLACE TEMP VIEW zd_records AS
SELECT file, record, raw, z, problem, lanlq_epoch(z['ts']) AS ts FROM lanlq_zeek(getvariable('lanlq_files'));

CREATE OR REPLACE TEMP VIEW source_records AS SELECT file, record, raw FROM zd_records;

CREATE OR REPLACE TEMP VIEW zd_outcome AS
SELECT *, CASE WHEN problem IS NOT NULL THEN problem
               WHEN ts IS NULL THEN 'no parsable ts: ' || coalesce(z['ts'], 'missing')
               WHEN z['id_orig_h'] IS NULL THEN 'no id.orig_h' END AS reject
FROM zd_records;

CREATE OR REPLACE TEMP VIEW source_rejects AS
SELECT file, record, reject AS reason FROM zd_outcome WHERE reject IS NOT NULL;

CREATE OR REPLACE TEMP VIEW source_not_mapped AS
SELECT file, record, 'no query name' AS reason FROM zd_outcome
WHERE reject IS NULL AND coalesce(z['query'], '') = '';

CREATE OR REPLACE TEMP VIEW source_dns AS
SELECT file, record, ts,
       lanlq_host(z['id_orig_h']) AS computer_source,
       lanlq_host(z['query']) AS computer_destination
FROM zd_outcome WHERE reject IS NULL AND coalesce(z['query'], '') <> '';

-- answers: a JSON array in JSON logs, comma-separated (#set_separator) in TSV logs.
CREATE OR REPLACE TEMP VIEW source_host_names AS
SELECT lanlq_host(a) AS address, lanlq_host(z['query']) AS name
FROM (SELECT z, unnest(CASE WHEN starts_with(z['answers'], '[') THEN CAST(z['answers']::JSON AS VARCHAR[])
                            ELSE string_split(z['answers'], ',') END) AS a
      FROM zd_outcome WHERE reject IS NULL AND coalesce(z['query'], '') <> '' AND z['answers'] IS NOT NULL)
WHERE a ~ '^[0-9a-fA-F:.]+$' AND (a LIKE '%.%.%.%' OR a LIKE '%:%');
