-- What a source definition (sql/sources/*.sql, or a user's FILE.sql) finds in its
-- session besides DuckDB's readers: lanlq's helper macros. The Go functions
-- lanlq_user(name, domain) and lanlq_host(text) are registered by the engine
-- (engine/identity.go); the contract is at the top of sql/sources/windows-security.sql.

-- The lines of text files as records: file, record (the 1-based line number) and raw
-- (the line without its line end). Blank lines are no records. Files are read whole
-- (read_text), so one file must fit in memory; split larger logs (Zeek rotates them).
CREATE OR REPLACE TEMP MACRO lanlq_lines(files) AS TABLE
SELECT file, record, raw FROM (
    SELECT filename AS file,
           generate_subscripts(lines, 1)::BIGINT AS record,
           rtrim(unnest(lines), chr(13)) AS raw
    FROM (SELECT filename, string_split(content, chr(10)) AS lines FROM read_text(files))
)
WHERE trim(raw) <> '';

-- Windows' logon type number as LANL's auth stream names it.
CREATE OR REPLACE TEMP MACRO lanlq_logon_type(n) AS
CASE TRY_CAST(n AS INTEGER)
    WHEN 0 THEN 'System' WHEN 2 THEN 'Interactive' WHEN 3 THEN 'Network' WHEN 4 THEN 'Batch'
    WHEN 5 THEN 'Service' WHEN 7 THEN 'Unlock' WHEN 8 THEN 'NetworkCleartext'
    WHEN 9 THEN 'NewCredentials' WHEN 10 THEN 'RemoteInteractive' WHEN 11 THEN 'CachedInteractive'
    WHEN 12 THEN 'CachedRemoteInteractive' WHEN 13 THEN 'CachedUnlock'
    ELSE nullif(CAST(n AS VARCHAR), '') END;

-- A process as an artifact: the file name of its image, lower case
-- (C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe → powershell.exe).
CREATE OR REPLACE TEMP MACRO lanlq_process(path) AS
nullif(lower(regexp_extract(CAST(path AS VARCHAR), '([^\\/]*)$', 1)), '');

-- An IP protocol name (tcp, udp, icmp, …) or number as its number.
CREATE OR REPLACE TEMP MACRO lanlq_protocol(p) AS
coalesce(TRY_CAST(p AS INTEGER),
         CASE lower(CAST(p AS VARCHAR)) WHEN 'icmp' THEN 1 WHEN 'tcp' THEN 6 WHEN 'udp' THEN 17
              WHEN 'ipv6-icmp' THEN 58 WHEN 'icmpv6' THEN 58 WHEN 'sctp' THEN 132 END);

-- A Windows status code: 0x0 is success.
CREATE OR REPLACE TEMP MACRO lanlq_status_result(s) AS
CASE WHEN s IS NULL THEN 'Success' WHEN lower(CAST(s AS VARCHAR)) IN ('0x0', '0', '0x00000000') THEN 'Success' ELSE 'Fail' END;

-- A timestamp's text as a UTC TIMESTAMP: an offset or Z is applied, text without one
-- is taken as UTC (the session's TimeZone is UTC). NULL when it is no timestamp.
CREATE OR REPLACE TEMP MACRO lanlq_utc(text) AS
timezone('UTC', TRY_CAST(CAST(text AS VARCHAR) AS TIMESTAMPTZ));

-- Seconds since the Unix epoch (Zeek's ts, with microseconds) as a UTC TIMESTAMP.
CREATE OR REPLACE TEMP MACRO lanlq_epoch(s) AS
make_timestamp(CAST(round(TRY_CAST(s AS DOUBLE) * 1000000) AS BIGINT));

-- Zeek logs in either form, as records: file, record, raw, z (the record's fields as a
-- MAP, names with '.' written '_' so that id.orig_h and id_orig_h are one key; unset
-- fields absent or NULL, Zeek's "(empty)" as '') and problem (why the record cannot be
-- read, else NULL). A line starting with { is JSON (LogAscii::use_json, or a
-- shipper's JSON with id_orig_h); any other line is TSV, split by tabs against the
-- #fields header above it in the same file (the header lines themselves are no
-- records; "-" is unset).
CREATE OR REPLACE TEMP MACRO lanlq_zeek(files) AS TABLE
WITH l AS (SELECT file, record, raw FROM lanlq_lines(files)),
hdr AS (SELECT file, record AS at, string_split(substr(raw, 9), chr(9)) AS fields
        FROM l WHERE starts_with(raw, '#fields' || chr(9))),
r AS (SELECT file, record, raw, starts_with(ltrim(raw), '{') AS is_json,
             CASE WHEN starts_with(ltrim(raw), '{') AND json_valid(raw) THEN raw::JSON END AS j,
             string_split(raw, chr(9)) AS vals
      FROM l WHERE NOT starts_with(raw, '#'))
SELECT r.file, r.record, r.raw,
       CASE WHEN r.is_json AND r.j IS NOT NULL AND json_type(r.j) = 'OBJECT' THEN
                map_from_entries(list_transform(json_keys(r.j), k -> {'key': replace(k, '.', '_'), 'value': (r.j->>k)}))
            WHEN NOT r.is_json AND hdr.fields IS NOT NULL AND len(r.vals) = len(hdr.fields) THEN
                map_from_entries(list_transform(hdr.fields, (k, i) -> {'key': replace(k, '.', '_'),
                    'value': CASE r.vals[i] WHEN '-' THEN NULL WHEN '(empty)' THEN '' ELSE r.vals[i] END}))
       END AS z,
       CASE WHEN r.is_json AND (r.j IS NULL OR json_type(r.j) <> 'OBJECT') THEN 'not a JSON object'
            WHEN NOT r.is_json AND hdr.fields IS NULL THEN 'a tab-separated line with no #fields header before it'
            WHEN NOT r.is_json AND len(r.vals) <> len(hdr.fields) THEN
                 len(r.vals) || ' tab-separated fields where #fields names ' || len(hdr.fields) END AS problem
FROM r ASOF LEFT JOIN hdr ON r.file = hdr.file AND r.record >= hdr.at;
