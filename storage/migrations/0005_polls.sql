-- Availability polls (instead of framadate) and the visit day they lead to.

CREATE TABLE polls (
    id              INTEGER PRIMARY KEY,
    candidate_id    INTEGER NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    state           TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'open', 'closed', 'planned', 'dropped')),
    deadline        TEXT NOT NULL,              -- UTC
    created_by      INTEGER,
    created_at      TEXT NOT NULL,
    opened_at       TEXT,
    closed_at       TEXT,
    chat_id         INTEGER NOT NULL,           -- where the team follows it
    draft_message_id INTEGER,
    tally_message_id INTEGER,
    tally_due_at    TEXT,                       -- UTC: a coalesced edit of the tally is waiting
    tally_edited_at TEXT,
    chosen_slot_id  INTEGER,
    cloned_from     INTEGER
);
CREATE INDEX polls_state ON polls (state, deadline);

CREATE TABLE poll_slots (
    id          INTEGER PRIMARY KEY,
    poll_id     INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    day         TEXT NOT NULL,                  -- YYYY-MM-DD
    part        TEXT NOT NULL CHECK (part IN ('journee', 'matin', 'apres-midi')),
    removed     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE poll_sites (
    poll_id     INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    invited     INTEGER NOT NULL DEFAULT 1,
    comment     TEXT,
    cancelled   INTEGER NOT NULL DEFAULT 0,     -- can no longer host the visit
    PRIMARY KEY (poll_id, site_id)
);

CREATE TABLE poll_answers (
    poll_id     INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    slot_id     INTEGER NOT NULL REFERENCES poll_slots (id) ON DELETE CASCADE,
    site_id     INTEGER NOT NULL,
    answer      TEXT NOT NULL CHECK (answer IN ('oui', 'si_besoin', 'non')),
    by_user     INTEGER NOT NULL,
    by_team     INTEGER NOT NULL DEFAULT 0,     -- entered by the team for a site not on Telegram
    at          TEXT NOT NULL,
    PRIMARY KEY (poll_id, slot_id, site_id)
);

-- The poll message each site contact received, so that it can be edited to show their answers.
CREATE TABLE poll_messages (
    poll_id     INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    site_id     INTEGER NOT NULL,
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    PRIMARY KEY (poll_id, site_id, chat_id)
);

-- The confirmed visit day: each site's time window.
CREATE TABLE visit_stops (
    candidate_id    INTEGER NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    site_id         INTEGER NOT NULL,
    starts_at       TEXT NOT NULL,              -- UTC
    ends_at         TEXT NOT NULL,
    cancelled       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (candidate_id, site_id)
);

-- An élus' notice remembers what it is about: the croisement's sites and period, or a confirmed visit day.
ALTER TABLE elu_notices ADD COLUMN period TEXT NOT NULL DEFAULT '';
ALTER TABLE elu_notices ADD COLUMN site_ids TEXT NOT NULL DEFAULT '[]';
