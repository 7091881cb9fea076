-- A dialog's number is in its buttons' data (f:<dialog>:…): a number given again to a later dialog would let a
-- button of the old one act on the new. AUTOINCREMENT never gives a number twice; the numbers given before, up to
-- the highest used so far (a deleted dialog's included, as far as SQLite remembers), are skipped with a margin.
CREATE TABLE dialogs_new (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO dialogs_new SELECT id, chat_id, user_id, form, subject_id, position, data, prompt_message_id, created_at,
                               updated_at FROM dialogs;
DROP TABLE dialogs;
ALTER TABLE dialogs_new RENAME TO dialogs;
CREATE INDEX dialogs_chat ON dialogs (chat_id);
CREATE UNIQUE INDEX dialogs_subject ON dialogs (form, subject_id) WHERE subject_id IS NOT NULL;
-- the dialogs deleted since the last one kept left no trace: start well above every number a button may carry
UPDATE sqlite_sequence SET seq = (SELECT COALESCE(MAX(id), 0) + 10000 FROM dialogs) WHERE name = 'dialogs';
INSERT INTO sqlite_sequence (name, seq) SELECT 'dialogs', (SELECT COALESCE(MAX(id), 0) + 10000 FROM dialogs)
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'dialogs');
