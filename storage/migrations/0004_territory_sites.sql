-- Step C: the territory (EPCI, communes), practice sites and their contacts, élus, invitations, and the
-- croisement with the sites it proposed and those the team chose to contact.

CREATE TABLE epci (
    key     TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    short   TEXT NOT NULL
);
INSERT INTO epci (key, name, short) VALUES
    ('bresse_haute_seille', 'Communauté de communes Bresse Haute Seille', 'CC Bresse Haute Seille'),
    ('ecla', 'Espace Communautaire Lons Agglomération', 'ECLA'),
    ('terre_emeraude', 'Terre d''Émeraude Communauté', 'CC Terre d''Émeraude'),
    ('porte_du_jura', 'Communauté de communes Porte du Jura', 'CC Porte du Jura');

CREATE TABLE communes (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,   -- accents, case and hyphens folded: "lons le saunier"
    insee       TEXT UNIQUE,
    epci        TEXT NOT NULL REFERENCES epci (key)
);

CREATE TABLE sites (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL,
    type                TEXT NOT NULL,
    status              TEXT NOT NULL,
    commune_id          INTEGER NOT NULL REFERENCES communes (id),
    professions_present TEXT NOT NULL DEFAULT '[]',   -- JSON lists of keys
    professions_sought  TEXT NOT NULL DEFAULT '[]',
    modes               TEXT NOT NULL DEFAULT '[]',
    pluripro            INTEGER NOT NULL DEFAULT 0,
    premises_available  INTEGER NOT NULL DEFAULT 0,
    premises            TEXT,
    rent                TEXT,
    secretariat         TEXT,
    commune_involvement TEXT,
    projet_sante        TEXT,
    dynamique           TEXT,
    contact_name        TEXT,
    contact_phone       TEXT,
    contact_email       TEXT,
    contact_telegram    TEXT,
    created_by          INTEGER,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX sites_commune ON sites (commune_id);

-- Telegram users bound to a site (role "lieu") or to an élu record (role "élu") by an invitation link.
CREATE TABLE outsiders (
    user_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('lieu', 'elu')),
    target_id   INTEGER NOT NULL,
    name        TEXT NOT NULL,
    joined_at   TEXT NOT NULL,
    PRIMARY KEY (user_id, kind, target_id)
);

CREATE TABLE invitations (
    token       TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('lieu', 'elu')),
    target_id   INTEGER NOT NULL,
    created_by  INTEGER,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_by     INTEGER,
    used_at     TEXT
);

CREATE TABLE elus (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    mandate     TEXT NOT NULL,
    commune_id  INTEGER REFERENCES communes (id),
    epci        TEXT REFERENCES epci (key),       -- an élu of the EPCI rather than of one commune
    phone       TEXT,
    email       TEXT,
    receives    TEXT NOT NULL DEFAULT 'visites',  -- what they have asked to receive
    created_by  INTEGER,
    created_at  TEXT NOT NULL
);

CREATE TABLE croisements (
    candidate_id    INTEGER PRIMARY KEY REFERENCES candidates (id) ON DELETE CASCADE,
    done_at         TEXT NOT NULL,
    on_time         INTEGER NOT NULL,
    done_by         INTEGER
);

CREATE TABLE croisement_sites (
    candidate_id    INTEGER NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    site_id         INTEGER NOT NULL REFERENCES sites (id),
    rank            INTEGER NOT NULL,
    score           INTEGER NOT NULL,
    section         TEXT NOT NULL CHECK (section IN ('criteres', 'dynamique')),
    chosen          INTEGER NOT NULL DEFAULT 0,   -- contacted
    at              TEXT NOT NULL,
    PRIMARY KEY (candidate_id, site_id)
);
CREATE INDEX croisement_sites_site ON croisement_sites (site_id, at);

CREATE TABLE elu_notices (
    id              INTEGER PRIMARY KEY,
    candidate_id    INTEGER NOT NULL REFERENCES candidates (id) ON DELETE CASCADE,
    text            TEXT NOT NULL,
    created_by      INTEGER,
    created_at      TEXT NOT NULL,
    approved_by     INTEGER,
    sent_at         TEXT
);
