-- The reference rows of a scoring run (tests only: TestScoreRowsEqualSQL), appended
-- one interval at a time from Arrow batches and written sorted at the end by
-- score_copy_scores.sql and score_copy_roles.sql. id is an artifact_dictionary id; score
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
    role_surprise        FLOAT,
    novelty_new_contacts BIGINT,
    novelty_value        FLOAT,
    novelty_surprise     FLOAT,
    volume_degree        FLOAT,
    volume_expected      FLOAT,
    volume_surprise      FLOAT,
    typed_first_contacts BIGINT,
    typed_surprise       FLOAT,
    switch_new_accounts  BIGINT,
    switch_surprise      FLOAT,
    peers_unexplained    BIGINT,
    peers_surprise       FLOAT,
    spread_from          VARCHAR,
    spread_surprise      FLOAT,
    dominant             VARCHAR,
    explanation          VARCHAR
);
