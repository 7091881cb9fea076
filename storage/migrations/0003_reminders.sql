-- Durable reminders (the database is the truth; the scheduler only wakes the bot), the visits and their
-- debriefs (step D), and the 3/6/12-month follow-ups with their outcomes (step E).

CREATE TABLE reminders (
    id                  INTEGER PRIMARY KEY,
    kind                TEXT NOT NULL,
    key                 TEXT UNIQUE,            -- protocol reminders: one per kind and candidate
    candidate_id        INTEGER REFERENCES candidates (id) ON DELETE CASCADE,
    chat_id             INTEGER NOT NULL,
    text                TEXT NOT NULL DEFAULT '',  -- free reminders: what to do
    due_at              TEXT NOT NULL,          -- UTC: next send (first send, retry, or repost)
    original_due_at     TEXT NOT NULL,          -- UTC: when it was meant for
    exact               INTEGER NOT NULL DEFAULT 0,
    state               TEXT NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'awaiting', 'done', 'sent', 'cancelled', 'failed')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    reposts             INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT,
    sent_at             TEXT,
    message_id          INTEGER,
    assigned_to         INTEGER,
    created_by          INTEGER,
    created_at          TEXT NOT NULL,
    closed_at           TEXT,
    closed_by           INTEGER
);
CREATE INDEX reminders_due ON reminders (state, due_at);
CREATE INDEX reminders_candidate ON reminders (candidate_id);

CREATE TABLE visits (
    candidate_id    INTEGER PRIMARY KEY REFERENCES candidates (id) ON DELETE CASCADE,
    day             TEXT NOT NULL,              -- YYYY-MM-DD
    sites           TEXT NOT NULL,              -- JSON list of the sites' names
    created_by      INTEGER,
    created_at      TEXT NOT NULL
);

CREATE TABLE debriefs (
    candidate_id    INTEGER NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    stage           TEXT NOT NULL CHECK (stage IN ('soir', 'distance')),
    answers         TEXT NOT NULL,              -- JSON
    done_by         INTEGER,
    done_at         TEXT NOT NULL,
    PRIMARY KEY (candidate_id, stage)
);

CREATE TABLE follow_ups (
    candidate_id    INTEGER NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    months          INTEGER NOT NULL,
    due_day         TEXT NOT NULL,
    done_at         TEXT,
    done_by         INTEGER,
    outcome         TEXT,                       -- recherche | installe | reflexion | abandon
    note            TEXT,
    PRIMARY KEY (candidate_id, months)
);

ALTER TABLE candidates ADD COLUMN remote_debrief_at TEXT;   -- UTC, the Temps 3 appointment
ALTER TABLE candidates ADD COLUMN installed_place TEXT;
ALTER TABLE candidates ADD COLUMN installed_commune TEXT;
ALTER TABLE candidates ADD COLUMN installed_on TEXT;
