-- Privacy: the audit log, the consent's scope, erasure and retention.

CREATE TABLE audit (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    user_id         INTEGER,
    chat_id         INTEGER,
    action          TEXT NOT NULL,      -- consultation, modification, export, refus, effacement, sauvegarde...
    candidate_id    INTEGER,
    detail          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_candidate ON audit (candidate_id, at);
CREATE INDEX audit_user ON audit (user_id, at);

-- Sharing the first name and profession with sites and élus is a consent of its own.
ALTER TABLE candidates ADD COLUMN consent_share INTEGER NOT NULL DEFAULT 0;
ALTER TABLE candidates ADD COLUMN anonymised_at TEXT;
ALTER TABLE candidates ADD COLUMN retention_warned_at TEXT;
ALTER TABLE candidates ADD COLUMN retention_until TEXT;        -- extended by the team

-- Small facts the bot keeps between runs (the last backup...).
CREATE TABLE kv (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);
