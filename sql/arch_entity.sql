-- Graph architecture "entity": artifacts typed by what they are, so one computer (user,
-- process, port) is one vertex whichever column or stream it appears in:
--   computer::C586   computer_source / computer_destination of auth, proc, flows, dns
--   user::U12@DOM1   userdomain_source / userdomain_destination of auth and proc
--                    (machine accounts such as C553$@DOM1 are users too: they log on)
--   process::P16     proc.process
--   port::445        flows.port_source / port_destination (N… are LANL's anonymised
--                    ephemeral ports; they stay, so a port is the same vertex either way)
--   auth_type::NTLM, logon_type::Network   how an auth event reached its computer
--   auth_result::Fail                      failed auth events only: a shared "failure"
--                    vertex ties together who failed where; successes would be a hub
--                    over nearly every auth event and carry no information
-- Dropped on purpose: auth.direction (LogOn/LogOff/TGS/…), proc.action (Start/End) and
-- flows.protocol, each a handful of values attached to almost every event of its stream,
-- i.e. hubs that flatten every role.
--
-- `?` (LANL's "unknown") is not an artifact here: unknown computers or users are not one
-- entity, and a `computer::?` vertex would join unrelated events. An event keeps its
-- other artifacts. Within an event an artifact occurring twice (computer_source =
-- computer_destination, a user logging on as itself) counts once.
-- See arch_notebook.sql for the contract an architecture file fulfils.
CREATE OR REPLACE TEMP VIEW artifact_columns AS
SELECT * FROM (VALUES
    ('auth',  'user',        'nullif(userdomain_source, ''?'')'),
    ('auth',  'user',        'nullif(userdomain_destination, ''?'')'),
    ('auth',  'computer',    'nullif(computer_source, ''?'')'),
    ('auth',  'computer',    'nullif(computer_destination, ''?'')'),
    ('auth',  'auth_type',   'nullif(auth, ''?'')'),
    ('auth',  'logon_type',  'nullif(logon, ''?'')'),
    ('auth',  'auth_result', 'CASE WHEN result = ''Fail'' THEN result END'),
    ('proc',  'user',        'nullif(userdomain_source, ''?'')'),
    ('proc',  'computer',    'nullif(computer_source, ''?'')'),
    ('proc',  'process',     'nullif(process, ''?'')'),
    ('flows', 'computer',    'nullif(computer_source, ''?'')'),
    ('flows', 'port',        'nullif(port_source, ''?'')'),
    ('flows', 'computer',    'nullif(computer_destination, ''?'')'),
    ('flows', 'port',        'nullif(port_destination, ''?'')'),
    ('dns',   'computer',    'nullif(computer_source, ''?'')'),
    ('dns',   'computer',    'nullif(computer_destination, ''?'')')
) AS t(stream, kind, expr);
