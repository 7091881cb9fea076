-- Step F: the meetings the summaries are prepared for (Copil CLS, coordination, CDOM, conférence des maires,
-- dialogue de gestion CPAM/ARS). A meeting the team did not set is planned on the protocol's cadence.

CREATE TABLE meetings (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('copil', 'coordination', 'cdom', 'maires', 'cpam_ars')),
    at          TEXT NOT NULL,              -- UTC
    by_default  INTEGER NOT NULL DEFAULT 0, -- planned on the cadence, not set by the team
    created_by  INTEGER,
    created_at  TEXT NOT NULL
);
CREATE INDEX meetings_kind ON meetings (kind, at);
