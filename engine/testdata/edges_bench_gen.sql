-- Benchmark data for the edge builder (text/template: .Dir, .Hours, .Auth, .Proc,
-- .Flows, .DNS = events per hour per stream). LANL-format raw files, time-sorted.
-- Events repeat as in LANL: most come from a skewed pool of recurring "habits" (a
-- machine account logging on to the same server, a host resolving the same name), the
-- rest are fresh random combinations; users and computers are skewed too (x^3 of a
-- uniform draw), and `?` appears where LANL has it.
CREATE OR REPLACE MACRO lanlq_u(i, k) AS (hash(i, k) % 1000003) / 1000003.0;
CREATE OR REPLACE MACRO lanlq_pick(i, k, n) AS CAST(floor(n * pow(lanlq_u(i, k), 3)) AS BIGINT);
CREATE OR REPLACE MACRO lanlq_seed(i, k) AS
    CASE WHEN lanlq_u(i, k) < 0.75 THEN lanlq_pick(i, k + 1, 400000) ELSE 1000000 + i END;

COPY (
    SELECT 1 + (i * {{.Hours}} * 3600) // ({{.Auth}} * {{.Hours}}) AS time,
           CASE WHEN lanlq_u(h, 2) < 0.3 THEN 'C' || lanlq_pick(h, 3, 17000) || '$@DOM1'
                ELSE 'U' || lanlq_pick(h, 4, 12000) || '@DOM1' END AS us,
           CASE WHEN lanlq_u(h, 5) < 0.8 THEN us ELSE 'U' || lanlq_pick(h, 6, 12000) || '@DOM1' END AS ud,
           'C' || lanlq_pick(h, 7, 17000) AS cs,
           CASE WHEN lanlq_u(h, 8) < 0.3 THEN cs ELSE 'C' || lanlq_pick(h, 9, 3000) END AS cd,
           ['NTLM', 'Kerberos', 'Kerberos', 'Negotiate', '?'][1 + lanlq_pick(h, 10, 5)] AS auth,
           ['Network', 'Network', 'Service', 'Batch', 'Interactive', '?'][1 + lanlq_pick(h, 11, 6)] AS logon,
           ['LogOn', 'LogOn', 'LogOff', 'TGS', 'TGT', 'AuthMap'][1 + lanlq_pick(h, 12, 6)] AS direction,
           CASE WHEN lanlq_u(h, 13) < 0.02 THEN 'Fail' ELSE 'Success' END AS result
    FROM (SELECT range AS i, lanlq_seed(range, 1) AS h FROM range({{.Auth}} * {{.Hours}}))
) TO '{{.Dir}}/auth.txt' (FORMAT csv, HEADER false, QUOTE '');

COPY (
    SELECT 1 + (i * {{.Hours}} * 3600) // ({{.Proc}} * {{.Hours}}) AS time,
           'C' || lanlq_pick(h, 3, 17000) || '$@DOM1' AS us,
           'C' || lanlq_pick(h, 3, 17000) AS cs,
           'P' || lanlq_pick(h, 4, 60000) AS process,
           CASE WHEN lanlq_u(h, 5) < 0.5 THEN 'Start' ELSE 'End' END AS action
    FROM (SELECT range AS i, lanlq_seed(range, 21) AS h FROM range({{.Proc}} * {{.Hours}}))
) TO '{{.Dir}}/proc.txt' (FORMAT csv, HEADER false, QUOTE '');

COPY (
    SELECT 1 + (i * {{.Hours}} * 3600) // ({{.Flows}} * {{.Hours}}) AS time,
           lanlq_pick(i, 2, 60) AS duration,
           'C' || lanlq_pick(h, 3, 17000) AS cs,
           CASE WHEN lanlq_u(i, 4) < 0.5 THEN 'N' || lanlq_pick(i, 5, 100000) ELSE ['80', '443', '445', '53', '?'][1 + lanlq_pick(h, 6, 5)] END AS ps,
           'C' || lanlq_pick(h, 7, 3000) AS cd,
           CASE WHEN lanlq_u(i, 8) < 0.3 THEN 'N' || lanlq_pick(i, 9, 100000) ELSE ['80', '443', '445', '53', '389'][1 + lanlq_pick(h, 10, 5)] END AS pd,
           [6, 6, 17, 1][1 + lanlq_pick(h, 11, 4)] AS protocol,
           1 + lanlq_pick(i, 12, 1000) AS packets,
           60 + lanlq_pick(i, 13, 100000) AS bytes
    FROM (SELECT range AS i, lanlq_seed(range, 41) AS h FROM range({{.Flows}} * {{.Hours}}))
) TO '{{.Dir}}/flows.txt' (FORMAT csv, HEADER false, QUOTE '');

COPY (
    SELECT 1 + (i * {{.Hours}} * 3600) // ({{.DNS}} * {{.Hours}}) AS time,
           'C' || lanlq_pick(h, 3, 17000) AS cs,
           'C' || lanlq_pick(h, 4, 3000) AS cd
    FROM (SELECT range AS i, lanlq_seed(range, 61) AS h FROM range({{.DNS}} * {{.Hours}}))
) TO '{{.Dir}}/dns.txt' (FORMAT csv, HEADER false, QUOTE '');
