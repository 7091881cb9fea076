-- What a message about a poll is about, in columns of its own: the poll, and the site for what concerns one site.
-- They were packed into the row's key ("sondage_lieu:<poll>:<site>:<contact>") or text ("<poll>:<site>") and read
-- back by splitting; the key is now only what makes a message unique.
ALTER TABLE reminders ADD COLUMN poll_id INTEGER;
ALTER TABLE reminders ADD COLUMN site_id INTEGER;

-- "<kind>:<poll>[:…]": the poll is the second field of the key
UPDATE reminders
SET poll_id = CAST(CASE WHEN instr(substr(key, instr(key, ':') + 1), ':') > 0
                        THEN substr(substr(key, instr(key, ':') + 1), 1, instr(substr(key, instr(key, ':') + 1), ':') - 1)
                        ELSE substr(key, instr(key, ':') + 1) END AS INTEGER)
WHERE kind IN ('sondage_tableau', 'sondage_envoye', 'sondage_clos', 'journee', 'elus_projet', 'sondage_lieu',
               'visite_confirmee', 'visite_annulee');

-- "<kind>:<poll>:<site>[:…]": the site is the third
UPDATE reminders
SET site_id = CAST(CASE WHEN instr(substr(key, length(kind) + length(poll_id) + 3), ':') > 0
                        THEN substr(substr(key, length(kind) + length(poll_id) + 3), 1,
                                    instr(substr(key, length(kind) + length(poll_id) + 3), ':') - 1)
                        ELSE substr(key, length(kind) + length(poll_id) + 3) END AS INTEGER)
WHERE kind IN ('sondage_lieu', 'visite_confirmee', 'visite_annulee');

-- a relance's text was "<poll>:<site>"
UPDATE reminders
SET poll_id = CAST(substr(text, 1, instr(text, ':') - 1) AS INTEGER),
    site_id = CAST(substr(text, instr(text, ':') + 1) AS INTEGER),
    text = ''
WHERE kind IN ('sondage_mi', 'sondage_veille') AND instr(text, ':') > 0;

-- The last backup was kept as "<instant>|<file name>"; its two facts now have a key each.
INSERT OR REPLACE INTO kv (key, value)
SELECT 'sauvegarde:derniere:fichier', substr(value, instr(value, '|') + 1) FROM kv
WHERE key = 'sauvegarde:derniere' AND instr(value, '|') > 0;
UPDATE kv SET value = substr(value, 1, instr(value, '|') - 1)
WHERE key = 'sauvegarde:derniere' AND instr(value, '|') > 0;
