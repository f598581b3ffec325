-- Source "zeek-conn": Zeek's conn.log, as JSON lines (id.orig_h or id_orig_h) or as
-- the classic tab-separated log with #fields headers — the same record gives the same
-- row in both forms. The contract every source definition follows is at the top of
-- windows-security.sql; lanlq_zeek (sql/source_prelude.sql) reads both forms.
--
-- Mapping:
--   flows  every connection: id.orig_h:id.orig_p → id.resp_h:id.resp_p (computers as
--          lanlq_host writes them), proto as its number, duration in whole seconds
--          (rounded; unset → NULL), num_packets = orig_pkts + resp_pkts, num_bytes =
--          orig_ip_bytes + resp_ip_bytes (IP bytes, set on every record; orig_bytes is
--          left out when Zeek saw no payload).
--   not mapped: nothing (every conn record is a flow).
--   rejects: a line that is not a JSON object or does not match its #fields header;
--          a record without a parsable ts, id.orig_h or id.resp_h.
-- Time: ts (seconds since the Unix epoch, UTC).

CREATE OR REPLACE TEMP VIEW zc_records AS
SELECT file, record, raw, z, problem, lanlq_epoch(z['ts']) AS ts FROM lanlq_zeek(getvariable('lanlq_files'));

CREATE OR REPLACE TEMP VIEW source_records AS SELECT file, record, raw FROM zc_records;

CREATE OR REPLACE TEMP VIEW source_not_mapped AS
SELECT file, record, NULL::VARCHAR AS reason FROM zc_records WHERE false;

CREATE OR REPLACE TEMP VIEW source_rejects AS
SELECT file, record,
       coalesce(problem, CASE WHEN ts IS NULL THEN 'no parsable ts: ' || coalesce(z['ts'], 'missing')
                              WHEN z['id_orig_h'] IS NULL THEN 'no id.orig_h'
                              ELSE 'no id.resp_h' END) AS reason
FROM zc_records
WHERE problem IS NOT NULL OR ts IS NULL OR z['id_orig_h'] IS NULL OR z['id_resp_h'] IS NULL;

CREATE OR REPLACE TEMP VIEW source_flows AS
SELECT file, record, ts,
       CAST(round(TRY_CAST(z['duration'] AS DOUBLE)) AS BIGINT) AS duration,
       lanlq_host(z['id_orig_h']) AS computer_source,
       z['id_orig_p'] AS port_source,
       lanlq_host(z['id_resp_h']) AS computer_destination,
       z['id_resp_p'] AS port_destination,
       lanlq_protocol(z['proto']) AS protocol,
       TRY_CAST(z['orig_pkts'] AS BIGINT) + TRY_CAST(z['resp_pkts'] AS BIGINT) AS num_packets,
       TRY_CAST(z['orig_ip_bytes'] AS BIGINT) + TRY_CAST(z['resp_ip_bytes'] AS BIGINT) AS num_bytes
FROM zc_records
WHERE problem IS NULL AND ts IS NOT NULL AND z['id_orig_h'] IS NOT NULL AND z['id_resp_h'] IS NOT NULL;
