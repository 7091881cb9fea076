-- Foundation: the team, candidates (step A) with their timeline, and guided exchanges in progress.

CREATE TABLE members (
    user_id     INTEGER PRIMARY KEY,           -- Telegram user id
    role        TEXT NOT NULL CHECK (role IN ('cls', 'cpts', 'admin')),
    name        TEXT NOT NULL,
    is_admin    INTEGER NOT NULL DEFAULT 0,
    active      INTEGER NOT NULL DEFAULT 1,    -- 0 once removed: a configured member stays removed
    added_by    INTEGER,
    added_at    TEXT NOT NULL
);

CREATE TABLE candidates (
    id                  INTEGER PRIMARY KEY,
    first_name          TEXT NOT NULL,
    last_name           TEXT NOT NULL,
    profession          TEXT NOT NULL,
    specialty           TEXT,
    phone               TEXT,
    email               TEXT,
    source              TEXT NOT NULL,
    source_detail       TEXT,
    first_contact       TEXT NOT NULL,          -- YYYY-MM-DD
    consent             INTEGER NOT NULL,
    consent_date        TEXT,                   -- YYYY-MM-DD
    interview_at        TEXT,                   -- ISO 8601, UTC
    interview_done_at   TEXT,
    status              TEXT NOT NULL,
    status_changed_at   TEXT NOT NULL,
    created_by          INTEGER,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX candidates_status ON candidates (status);
CREATE INDEX candidates_profession ON candidates (profession);

-- The dated history of a candidate: who did what, when.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    candidate_id    INTEGER NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    at              TEXT NOT NULL,
    user_id         INTEGER,
    kind            TEXT NOT NULL,
    detail          TEXT NOT NULL
);
CREATE INDEX events_candidate ON events (candidate_id, at);

-- A guided exchange (new candidate, interview, correction) in progress in one chat. It is the
-- conversation's whole state: a restart reads it back and asks the same question again.
CREATE TABLE dialogs (
    id                  INTEGER PRIMARY KEY,
    chat_id             INTEGER NOT NULL,
    user_id             INTEGER,                -- NULL: any team member in the chat may answer
    form                TEXT NOT NULL,
    subject_id          INTEGER,                -- the candidate it is about, if any
    position            TEXT NOT NULL,          -- the current question's key, or '' for the summary
    data                TEXT NOT NULL DEFAULT '{}',
    prompt_message_id   INTEGER,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX dialogs_chat ON dialogs (chat_id);
CREATE UNIQUE INDEX dialogs_subject ON dialogs (form, subject_id) WHERE subject_id IS NOT NULL;

-- Updates already handled, so that one delivered twice is handled once.
CREATE TABLE processed_updates (
    update_id   INTEGER PRIMARY KEY,
    at          TEXT NOT NULL
);
