-- Step B: the interview. Answers are kept per candidate and question, typed (JSON), with who and when,
-- so that an interview paused in one chat resumes in another at the first unanswered question.

CREATE TABLE interviews (
    candidate_id    INTEGER PRIMARY KEY REFERENCES candidates (id) ON DELETE CASCADE,
    started_at      TEXT NOT NULL,
    started_by      INTEGER,
    cls_id          INTEGER,        -- the CLS interviewer, once known
    cpts_id         INTEGER,        -- the CPTS interviewer, once known
    confirmed_at    TEXT
);

CREATE TABLE interview_answers (
    candidate_id    INTEGER NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    question        TEXT NOT NULL,
    value           TEXT,           -- JSON; NULL when the question was skipped
    skipped         INTEGER NOT NULL DEFAULT 0,
    answered_by     INTEGER NOT NULL,
    answered_at     TEXT NOT NULL,
    PRIMARY KEY (candidate_id, question)
);

-- The croisement is due 10 days after the interview.
ALTER TABLE candidates ADD COLUMN croisement_due TEXT;
