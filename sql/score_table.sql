-- The rows of a scoring run, appended one interval at a time from Arrow batches and
-- written sorted at the end (score_copy_*.sql). id is an artifact_dictionary id.
CREATE OR REPLACE TEMP TABLE lanlq_score_rows (
    interval_start    TIMESTAMP,
    id                BIGINT,
    score             DOUBLE,
    new               BOOLEAN,
    role_before       INTEGER,
    role_after        INTEGER,
    membership_before DOUBLE[],
    membership_after  DOUBLE[]
);
