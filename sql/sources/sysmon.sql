-- Source "sysmon": Microsoft-Windows-Sysmon/Operational records as JSON lines, one
-- event per line with flat fields (NXLog / Logstash / OTRF Security-Datasets shape:
-- Channel, EventID, Hostname, UtcTime, Image, User, SourceIp, …). The contract every
-- source definition follows is at the top of windows-security.sql. Records of other
-- channels in the same file are not mapped (give the file to windows-security too).
--
-- Mapping:
--   proc   1 process created (Start), 5 terminated (End): User (DOMAIN\user; event 5
--          names no user: NULL), Hostname, the image's file name.
--   flows  3 network connection: SourceIp → DestinationIp (computers as lanlq_host
--          writes them), the ports, Protocol as its number; Sysmon gives no duration,
--          packets or bytes (NULL).
--   dns    22 DNS query: the logging computer → the name queried (QueryName).
--   not mapped: any other channel or EventID.
--   rejects: a line that is no JSON object; a mapped event without a parsable UtcTime
--          or without Hostname.
-- Time: UtcTime (UTC, the event's own time).
-- Host names: event 3 ties the logging computer's own address to its Hostname (the
-- source address of a TCP connection it initiated, the destination of one it
-- accepted; loopback and unspecified addresses left out; UDP's Initiated is not
-- reliable), and SourceIp/DestinationIp to
-- SourceHostname/DestinationHostname when Sysmon resolved them; event 22 ties each
-- address in QueryResults to QueryName.

CREATE OR REPLACE TEMP VIEW sm_lines AS
SELECT file, record, raw, CASE WHEN json_valid(raw) AND starts_with(ltrim(raw), '{') THEN raw::JSON END AS j
FROM lanlq_lines(getvariable('lanlq_files'));

CREATE OR REPLACE TEMP VIEW source_records AS SELECT file, record, raw FROM sm_lines;

CREATE OR REPLACE TEMP VIEW sm_outcome AS
SELECT file, record, j, event_id, ts, hostname,
       CASE WHEN channel IS DISTINCT FROM 'microsoft-windows-sysmon/operational' OR event_id IS NULL
                 OR event_id NOT IN (1, 3, 5, 22) THEN 'not mapped'
            WHEN ts IS NULL OR hostname IS NULL THEN 'reject'
            WHEN event_id IN (1, 5) THEN 'proc'
            WHEN event_id = 3 THEN 'flows'
            ELSE 'dns' END AS outcome,
       CASE WHEN channel IS NULL THEN 'no Channel'
            WHEN channel <> 'microsoft-windows-sysmon/operational' THEN 'channel ' || (j->>'Channel') || ' is not Sysmon'
            WHEN event_id IS NULL THEN 'no EventID'
            WHEN event_id NOT IN (1, 3, 5, 22) THEN 'EventID ' || event_id || ' is not mapped'
            WHEN ts IS NULL THEN 'no parsable UtcTime: ' || coalesce(j->>'UtcTime', 'missing')
            WHEN hostname IS NULL THEN 'no Hostname' END AS reason
FROM (SELECT file, record, j,
             lower(j->>'Channel') AS channel,
             TRY_CAST(j->>'EventID' AS INTEGER) AS event_id,
             lanlq_utc(j->>'UtcTime') AS ts,
             nullif(j->>'Hostname', '') AS hostname
      FROM sm_lines WHERE j IS NOT NULL);

CREATE OR REPLACE TEMP VIEW source_not_mapped AS
SELECT file, record, reason FROM sm_outcome WHERE outcome = 'not mapped';

CREATE OR REPLACE TEMP VIEW source_rejects AS
SELECT file, record, 'not a JSON object' AS reason FROM sm_lines WHERE j IS NULL
UNION ALL
SELECT file, record, reason FROM sm_outcome WHERE outcome = 'reject';

CREATE OR REPLACE TEMP VIEW source_proc AS
SELECT file, record, ts,
       lanlq_user(j->>'User', NULL) AS userdomain_source,
       lanlq_host(hostname) AS computer_source,
       lanlq_process(j->>'Image') AS process,
       CASE event_id WHEN 1 THEN 'Start' ELSE 'End' END AS action
FROM sm_outcome WHERE outcome = 'proc';

CREATE OR REPLACE TEMP VIEW source_flows AS
SELECT file, record, ts,
       CAST(NULL AS BIGINT) AS duration,
       lanlq_host(j->>'SourceIp') AS computer_source,
       nullif(j->>'SourcePort', '') AS port_source,
       lanlq_host(j->>'DestinationIp') AS computer_destination,
       nullif(j->>'DestinationPort', '') AS port_destination,
       lanlq_protocol(j->>'Protocol') AS protocol,
       CAST(NULL AS BIGINT) AS num_packets,
       CAST(NULL AS BIGINT) AS num_bytes
FROM sm_outcome WHERE outcome = 'flows';

CREATE OR REPLACE TEMP VIEW source_dns AS
SELECT file, record, ts,
       lanlq_host(hostname) AS computer_source,
       lanlq_host(j->>'QueryName') AS computer_destination
FROM sm_outcome WHERE outcome = 'dns';

CREATE OR REPLACE TEMP VIEW source_host_names AS
SELECT address, lanlq_host(hostname) AS name
FROM (SELECT hostname, lanlq_host(CASE WHEN lower((j->>'Initiated')) = 'true' THEN (j->>'SourceIp') ELSE (j->>'DestinationIp') END) AS address
      FROM sm_outcome WHERE outcome = 'flows' AND lower((j->>'Protocol')) = 'tcp')
WHERE address NOT IN ('127.0.0.1', '::1', '0.0.0.0', '::')
UNION ALL
SELECT lanlq_host(j->>'SourceIp') AS address, lanlq_host(j->>'SourceHostname') AS name
FROM sm_outcome WHERE outcome = 'flows' AND (j->>'SourceHostname') NOT IN ('-', '')
UNION ALL
SELECT lanlq_host(j->>'DestinationIp'), lanlq_host(j->>'DestinationHostname')
FROM sm_outcome WHERE outcome = 'flows' AND (j->>'DestinationHostname') NOT IN ('-', '')
UNION ALL
SELECT lanlq_host(trim(a)), lanlq_host(j->>'QueryName')
FROM (SELECT j, unnest(string_split(j->>'QueryResults', ';')) AS a FROM sm_outcome WHERE outcome = 'dns')
WHERE trim(a) <> '' AND NOT starts_with(trim(a), 'type:');
