-- The last failures of update handling, kept across restarts for /etat (the in-memory list was empty after one).
-- What failed only: the exception's type and the kind of update, never what anyone typed.
CREATE TABLE errors (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    update_kind TEXT NOT NULL DEFAULT ''
);
