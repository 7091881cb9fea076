-- Sites and élus without Telegram answer from a personal web link sent by e-mail (issue: the framadate link).

-- A personal link: one site (or élu) and one purpose. Its tokens are kept only as SHA-256 hashes: each e-mail that
-- carries the link mints a token of its own (a retried e-mail gets a new one), all of them open the same link.
CREATE TABLE web_links (
    id              INTEGER PRIMARY KEY,
    purpose         TEXT NOT NULL CHECK (purpose IN ('sondage', 'elus')),
    poll_id         INTEGER REFERENCES polls (id) ON DELETE CASCADE,
    site_id         INTEGER REFERENCES sites (id) ON DELETE CASCADE,
    notice_id       INTEGER,                    -- elu_notices: the message validated by the team
    elu_id          INTEGER,
    created_at      TEXT NOT NULL,
    expires_at      TEXT,                       -- UTC; NULL while its poll is open (14 days after it closes)
    revoked_at      TEXT,
    revoked_by      INTEGER,
    last_seen_at    TEXT,
    UNIQUE (purpose, poll_id, site_id, notice_id, elu_id)
);

CREATE TABLE web_tokens (
    token_hash      TEXT PRIMARY KEY,           -- hex SHA-256 of the token; the token itself is never stored
    link_id         INTEGER NOT NULL REFERENCES web_links (id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL
);

-- Each page with a form carries a one-time form key, signed for its link (bot.weblinks.form_key): a cross-site post
-- cannot know it. A key is kept here once used, in the same transaction as what it sent: a form sent twice (a double
-- click, a reload, a replay) is recognised and changes nothing the second time.
CREATE TABLE web_forms (
    form_hash       TEXT PRIMARY KEY,
    link_id         INTEGER NOT NULL REFERENCES web_links (id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL,
    used_at         TEXT
);

-- E-mails to send, like reminders: never lost at a crash, retried on a temporary failure, never sent twice.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,       -- what it is for and to whom: the same e-mail is never queued twice
    kind            TEXT NOT NULL,              -- invitation, relance, confirmation, elus
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,              -- with {lien} where the personal link goes, minted at sending
    body_html       TEXT NOT NULL,
    attachments     TEXT NOT NULL DEFAULT '[]', -- JSON: [file name, MIME type, base64]
    link_id         INTEGER REFERENCES web_links (id) ON DELETE SET NULL,
    poll_id         INTEGER,
    site_id         INTEGER,
    chat_id         INTEGER,                    -- where a refusal is reported
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    due_at          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (state, due_at);

-- How each answer came: Telegram, the web link (with the name typed by the person answering), or the team.
ALTER TABLE poll_answers ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
ALTER TABLE poll_answers ADD COLUMN by_name TEXT;
UPDATE poll_answers SET channel = 'equipe' WHERE by_team = 1;
