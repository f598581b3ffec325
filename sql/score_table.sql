-- The rows of a scoring run, appended one interval at a time from Arrow batches and
-- written sorted at the end (score_copy_*.sql). id is an artifact_dictionary id; score
-- is the method's score, role_delta the role change δ; the component columns are NULL
-- for the roles method (and for a component left out of the fusion).
CREATE OR REPLACE TEMP TABLE lanlq_score_rows (
    interval_start       TIMESTAMP,
    id                   BIGINT,
    score                DOUBLE,
    new                  BOOLEAN,
    role_before          INTEGER,
    role_after           INTEGER,
    membership_before    DOUBLE[],
    membership_after     DOUBLE[],
    warmup               BOOLEAN,
    role_delta           DOUBLE,
    role_surprise        DOUBLE,
    novelty_new_contacts BIGINT,
    novelty_value        DOUBLE,
    novelty_surprise     DOUBLE,
    volume_degree        DOUBLE,
    volume_expected      DOUBLE,
    volume_surprise      DOUBLE,
    typed_first_contacts BIGINT,
    typed_surprise       DOUBLE,
    switch_new_accounts  BIGINT,
    switch_surprise      DOUBLE,
    peers_unexplained    BIGINT,
    peers_surprise       DOUBLE,
    spread_from          VARCHAR,
    spread_surprise      DOUBLE,
    fused_surprise       DOUBLE,
    dominant             VARCHAR,
    explanation          VARCHAR
);
