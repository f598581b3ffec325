-- The first typed contacts and first account emissions of one entity in one interval,
-- read from the auth view as graphkit.Typed and graphkit.Switching count them ($1 the
-- entity value; $2, $3 the interval [lo, hi) and $4 the previous interval's start, in
-- raw seconds). Every earlier auth event of the entity is scanned.
--   typed:  a contact of an account (userdomain_source) or a source computer with a
--           destination computer, typed by auth package, logon type and the account's
--           class (0 ordinary, 1 machine account), that no earlier event made with
--           that type; the account must have an identity (not '?', not ANONYMOUS
--           LOGON), and a source contact needs a known source other than the
--           destination.
--   switch: an ordinary user account that the source computer never emitted before;
--           switched when another ordinary account logged on to that computer in this
--           or the previous interval (the credential switch).
-- Each row: what, kind and value of the contact's first end, the other end, auth,
-- logon, class, the events in the interval, switched (switch rows only).
WITH ev AS (
    SELECT time, userdomain_source AS u, computer_source AS src, computer_destination AS dst, auth, logon,
           CASE WHEN userdomain_source = '?' OR userdomain_source LIKE 'ANONYMOUS LOGON%' THEN 2
                WHEN userdomain_source LIKE '%$@%' OR userdomain_source LIKE '%$' THEN 1
                ELSE 0 END AS class,
           coalesce(computer_source = '?', true) AS src_unknown,
           coalesce(computer_destination = '?', true) AS dst_unknown
    FROM auth
    WHERE time < $3 AND $1 IN (userdomain_source, computer_source, computer_destination)
),
typed AS (
    SELECT 'userdomain_source' AS kind, u AS a, dst, auth, logon, class, time
    FROM ev WHERE u IS NOT NULL AND class < 2 AND NOT dst_unknown
    UNION ALL
    SELECT 'computer_source', src, dst, auth, logon, class, time
    FROM ev WHERE u IS NOT NULL AND class < 2 AND NOT dst_unknown AND NOT src_unknown AND src <> dst
),
emitted AS (
    SELECT src, u, count(*) FILTER (WHERE time >= $2) AS events
    FROM ev
    WHERE class = 0 AND NOT src_unknown AND $1 IN (src, u)
    GROUP BY ALL
    HAVING min(time) >= $2
)
SELECT 'typed' AS what, kind, a, dst, auth, logon, class, count(*) AS events, NULL::BOOLEAN AS switched
FROM typed
WHERE $1 IN (a, dst)
GROUP BY ALL
HAVING min(time) >= $2
UNION ALL
SELECT 'switch', 'computer_source', e.src, e.u, NULL, NULL, 0, e.events,
       EXISTS (SELECT 1 FROM auth i
               WHERE i.computer_destination = e.src AND i.time >= $4 AND i.time < $3
                 AND i.userdomain_source <> e.u AND i.userdomain_source <> '?'
                 AND i.userdomain_source NOT LIKE 'ANONYMOUS LOGON%'
                 AND i.userdomain_source NOT LIKE '%$@%' AND i.userdomain_source NOT LIKE '%$')
FROM emitted e
ORDER BY what DESC, kind, a, dst, auth, logon, class;
