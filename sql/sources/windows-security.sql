-- Source "windows-security": Windows Security event log records as JSON lines, one
-- event per line, as NXLog, Winlogbeat-less Logstash pipelines and the OTRF
-- Security-Datasets write them (flat fields: Channel, EventID, Hostname, TargetUserName,
-- IpAddress, LogonType, …; @timestamp in UTC). Records of other channels (Sysmon,
-- System) in the same file are counted as not mapped: give the file to the sysmon
-- source as well.
--
-- Mapping (LANL's stream columns, DESIGN.md):
--   auth  4624 logon, 4625 failed logon: the account logging on (Target*) as source
--         and destination user, the client address (IpAddress, else WorkstationName,
--         else the logging computer) → the logging computer (Hostname),
--         AuthenticationPackageName (NTLM's long name as NTLM), LogonType as a name,
--         LogOn, Success/Fail.
--         4648 explicit credentials: Subject → Target user, Hostname → TargetServerName.
--         4672 special privileges: Subject, on Hostname, direction SpecialPrivileges.
--         4768 TGT and 4769 TGS requests (on the DC): the client user, the client
--         address → the DC; 4769's destination user is the service account (ServiceName);
--         Kerberos; direction TGT/TGS; Success unless Status is not 0x0.
--         4776 NTLM credential validation (on the DC): TargetUserName in the DC's own
--         domain, Workstation → the DC, NTLM, direction Validate, Status.
--   proc  4688 process created (Start), 4689 exited (End): the creator (Subject; the
--         Target account when the event names one), Hostname, the image's file name.
--   not mapped: any other channel or EventID (4634 logoff, 4697, 5140, 5145, …).
--   rejects: a line that is no JSON object; a mapped event without a parsable
--         @timestamp or without Hostname.
-- Time: @timestamp (UTC, as the shipper stamped it; EventTime is local time without a
-- zone and is not used).
--
-- ## The source contract (what a user's FILE.sql given as --source FILE.sql=PATH must do)
--
-- A source definition is plain DuckDB SQL run in a fresh session, after
--   SET VARIABLE lanlq_files  = [...]   -- VARCHAR[]: the input files, absolute paths,
--                                       -- in name order (PATH as a file, a glob's
--                                       -- matches, or a folder's files)
--   SET VARIABLE lanlq_source = 'name'  -- the source's name on the command line
-- and SET TimeZone = 'UTC', with DuckDB's readers (read_json, read_csv, read_text, …)
-- and lanlq's helpers (sql/source_prelude.sql: lanlq_lines(files) gives every
-- non-blank line as (file, record, raw); lanlq_utc, lanlq_epoch, lanlq_logon_type,
-- lanlq_process, lanlq_protocol, lanlq_status_result; and the identity functions
-- lanlq_user(name, domain) → user@DOMAIN and lanlq_host(text) → a host name or a
-- canonical address, documented in README "Identities").
--
-- It creates temporary views (DROP/CREATE OR REPLACE TEMP VIEW):
--   source_records  (file VARCHAR, record BIGINT, raw VARCHAR)
--         every input record read, once: record is its number in the file (the line
--         number for line formats), raw its text (kept for lanlq explain).
--   source_auth, source_proc, source_flows, source_dns   (each optional)
--         one row per record mapped into that stream: file, record, ts TIMESTAMP (UTC),
--         then the stream's columns by name as DESIGN.md lists them (auth:
--         userdomain_source … result; proc: userdomain_source, computer_source, process,
--         action; flows: duration BIGINT, computer_source, port_source,
--         computer_destination, port_destination, protocol INTEGER, num_packets BIGINT,
--         num_bytes BIGINT; dns: computer_source, computer_destination). NULL is
--         "unknown" (no artifact), not '?'.
--   source_not_mapped  (file, record, reason)   records the definition knows and leaves
--         out on purpose (an event id it does not use), with why.
--   source_rejects     (file, record, reason)   records it cannot read, with why.
--   source_host_names  (address VARCHAR, name VARCHAR)   optional: addresses the data
--         ties to a computer's name (the logging computer's own address, DNS answers);
--         lanlq then writes such an address as the name in every stream of the ingest.
--
-- lanlq checks, per source, that every (file, record) of source_records is in exactly
-- one stream view, source_not_mapped or source_rejects, and nothing else is: records
-- read = rows + not mapped + rejects, or the ingest fails naming the records that break
-- it. Rows get `time` = whole seconds since 2015-01-01 00:00:00 UTC (the data folder's
-- origin; ts in the views is then the event's real UTC time) and the columns source,
-- file, record and raw.

CREATE OR REPLACE TEMP VIEW ws_lines AS
SELECT file, record, raw, CASE WHEN json_valid(raw) AND starts_with(ltrim(raw), '{') THEN raw::JSON END AS j
FROM lanlq_lines(getvariable('lanlq_files'));

CREATE OR REPLACE TEMP VIEW source_records AS SELECT file, record, raw FROM ws_lines;

CREATE OR REPLACE TEMP VIEW ws_events AS
SELECT file, record, j,
       lower(j->>'Channel') AS channel,
       TRY_CAST(j->>'EventID' AS INTEGER) AS event_id,
       lanlq_utc(j->>'@timestamp') AS ts,
       nullif(j->>'Hostname', '') AS hostname
FROM ws_lines WHERE j IS NOT NULL;

CREATE OR REPLACE TEMP VIEW ws_outcome AS
SELECT file, record, j, event_id, ts, hostname,
       CASE WHEN channel IS DISTINCT FROM 'security' OR event_id NOT IN (4624, 4625, 4648, 4672, 4768, 4769, 4776, 4688, 4689)
                 OR event_id IS NULL THEN 'not mapped'
            WHEN ts IS NULL OR hostname IS NULL THEN 'reject'
            WHEN event_id IN (4688, 4689) THEN 'proc'
            ELSE 'auth' END AS outcome,
       CASE WHEN channel IS NULL THEN 'no Channel'
            WHEN channel <> 'security' THEN 'channel ' || (j->>'Channel') || ' is not Security'
            WHEN event_id IS NULL THEN 'no EventID'
            WHEN event_id NOT IN (4624, 4625, 4648, 4672, 4768, 4769, 4776, 4688, 4689) THEN 'EventID ' || event_id || ' is not mapped'
            WHEN ts IS NULL THEN 'no parsable @timestamp: ' || coalesce(j->>'@timestamp', 'missing')
            WHEN hostname IS NULL THEN 'no Hostname' END AS reason
FROM ws_events;

CREATE OR REPLACE TEMP VIEW source_not_mapped AS
SELECT file, record, reason FROM ws_outcome WHERE outcome = 'not mapped';

CREATE OR REPLACE TEMP VIEW source_rejects AS
SELECT file, record, 'not a JSON object' AS reason FROM ws_lines WHERE j IS NULL
UNION ALL
SELECT file, record, reason FROM ws_outcome WHERE outcome = 'reject';

-- The client of a logon: its address, else its workstation name, else the logging
-- computer itself (local logons write '-', '::1' or 127.0.0.1).
CREATE OR REPLACE TEMP MACRO ws_client(ip, ws, host) AS
coalesce(CASE WHEN ip IN ('-', '', '::1', '127.0.0.1') THEN NULL ELSE lanlq_host(ip) END, lanlq_host(ws), lanlq_host(host));

CREATE OR REPLACE TEMP MACRO ws_package(p) AS
CASE WHEN p IS NULL OR p IN ('-', '') THEN NULL
     WHEN upper(p) = 'MICROSOFT_AUTHENTICATION_PACKAGE_V1_0' THEN 'NTLM' ELSE p END;

CREATE OR REPLACE TEMP VIEW source_auth AS
SELECT file, record, ts,
       CASE WHEN event_id IN (4648, 4672) THEN lanlq_user(j->>'SubjectUserName', (j->>'SubjectDomainName'))
            WHEN event_id = 4776 THEN lanlq_user(j->>'TargetUserName', split_part(hostname, '.', 2))
            ELSE lanlq_user(j->>'TargetUserName', (j->>'TargetDomainName')) END AS userdomain_source,
       CASE WHEN event_id = 4672 THEN lanlq_user(j->>'SubjectUserName', (j->>'SubjectDomainName'))
            WHEN event_id = 4769 THEN lanlq_user(j->>'ServiceName', (j->>'TargetDomainName'))
            WHEN event_id = 4776 THEN lanlq_user(j->>'TargetUserName', split_part(hostname, '.', 2))
            ELSE lanlq_user(j->>'TargetUserName', (j->>'TargetDomainName')) END AS userdomain_destination,
       CASE WHEN event_id IN (4648, 4672) THEN lanlq_host(hostname)
            WHEN event_id = 4776 THEN coalesce(lanlq_host(j->>'Workstation'), lanlq_host(hostname))
            ELSE ws_client(j->>'IpAddress', (j->>'WorkstationName'), hostname) END AS computer_source,
       CASE WHEN event_id = 4648 THEN coalesce(lanlq_host(j->>'TargetServerName'), lanlq_host(hostname))
            ELSE lanlq_host(hostname) END AS computer_destination,
       CASE WHEN event_id IN (4768, 4769) THEN 'Kerberos'
            WHEN event_id = 4776 THEN 'NTLM'
            ELSE ws_package(j->>'AuthenticationPackageName') END AS auth,
       lanlq_logon_type(j->>'LogonType') AS logon,
       CASE event_id WHEN 4624 THEN 'LogOn' WHEN 4625 THEN 'LogOn' WHEN 4648 THEN 'ExplicitCredentials'
            WHEN 4672 THEN 'SpecialPrivileges' WHEN 4768 THEN 'TGT' WHEN 4769 THEN 'TGS' WHEN 4776 THEN 'Validate' END AS direction,
       CASE WHEN event_id = 4625 THEN 'Fail'
            WHEN event_id IN (4768, 4769, 4776) THEN lanlq_status_result(j->>'Status')
            ELSE 'Success' END AS result
FROM ws_outcome WHERE outcome = 'auth';

CREATE OR REPLACE TEMP VIEW source_proc AS
SELECT file, record, ts,
       coalesce(lanlq_user(j->>'TargetUserName', (j->>'TargetDomainName')),
                lanlq_user(j->>'SubjectUserName', (j->>'SubjectDomainName'))) AS userdomain_source,
       lanlq_host(hostname) AS computer_source,
       lanlq_process(coalesce(j->>'NewProcessName', (j->>'ProcessName'))) AS process,
       CASE event_id WHEN 4688 THEN 'Start' ELSE 'End' END AS action
FROM ws_outcome WHERE outcome = 'proc';

-- A logon's client address and its workstation name, both written by the logging
-- computer, tie the address to the name.
CREATE OR REPLACE TEMP VIEW source_host_names AS
SELECT lanlq_host(j->>'IpAddress') AS address, lanlq_host(j->>'WorkstationName') AS name
FROM ws_outcome
WHERE outcome = 'auth' AND event_id IN (4624, 4625)
  AND (j->>'IpAddress') NOT IN ('-', '', '::1', '127.0.0.1') AND (j->>'WorkstationName') NOT IN ('-', '');
