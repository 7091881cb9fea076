"""Everything held on one candidate (right of access), erasure as anonymisation, retention."""

from __future__ import annotations

import json
from typing import Any

from storage import reminders
from storage.db import Database

# interview answers kept after erasure: choices and numbers feed the indicators, free texts are personal
KEPT_ANSWER_KINDS = ("choice", "multi", "yesno", "number")


async def everything_about(db: Database, candidate_id: int) -> dict[str, Any]:
    """All data held on a candidate, by section, as stored."""
    async def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(r) for r in await db.fetchall(sql, (candidate_id,))]

    candidate = await db.fetchone("SELECT * FROM candidates WHERE id = ?", (candidate_id,))
    if candidate is None:
        return {}
    answers = await rows("SELECT question, value, skipped, answered_by, answered_at FROM interview_answers "
                         "WHERE candidate_id = ?")
    for a in answers:
        a["value"] = json.loads(a["value"]) if a["value"] is not None else None
    debriefs = await rows("SELECT stage, answers, done_by, done_at FROM debriefs WHERE candidate_id = ?")
    for d in debriefs:
        d["answers"] = json.loads(d["answers"])
    return {
        "candidat": dict(candidate),
        "entretien": await rows("SELECT * FROM interviews WHERE candidate_id = ?"),
        "reponses_entretien": answers,
        "historique": await rows("SELECT at, user_id, kind, detail FROM events WHERE candidate_id = ? ORDER BY at, id"),
        "croisement": await rows("SELECT * FROM croisements WHERE candidate_id = ?"),
        "lieux_proposes": await rows("SELECT cs.*, s.name AS lieu FROM croisement_sites cs JOIN sites s ON s.id = cs.site_id "
                                     "WHERE cs.candidate_id = ? ORDER BY rank"),
        "sondages": await rows("SELECT id, state, deadline, opened_at, closed_at FROM polls WHERE candidate_id = ?"),
        "visites": await rows("SELECT * FROM visits WHERE candidate_id = ?"),
        "horaires_de_visite": await rows("SELECT * FROM visit_stops WHERE candidate_id = ?"),
        "debriefings": debriefs,
        "suivis": await rows("SELECT * FROM follow_ups WHERE candidate_id = ? ORDER BY months"),
        "messages_aux_elus": await rows("SELECT text, created_at, approved_by, sent_at FROM elu_notices WHERE candidate_id = ?"),
        "rappels": await rows("SELECT kind, text, due_at, state, sent_at FROM reminders WHERE candidate_id = ?"),
        "journal_d_acces": await rows("SELECT at, user_id, chat_id, action, detail FROM audit WHERE candidate_id = ? ORDER BY id"),
    }


async def anonymise(db: Database, candidate_id: int, *, free_text_questions: list[str], at: str,
                    also: list[tuple[str, tuple]] = ()) -> bool:
    """Remove personal fields and free texts; keep what anonymous statistics need. All in one transaction, with
    the statements ``also`` (what tells of it: the audit entry, the team's notice)."""
    async with db.transaction() as conn:
        cur = await conn.execute(
            "UPDATE candidates SET first_name = 'Anonyme', last_name = '(n° ' || id || ')', phone = NULL, email = NULL, "
            "source_detail = NULL, consent_share = 0, anonymised_at = ?, updated_at = ? "
            "WHERE id = ? AND anonymised_at IS NULL", (at, at, candidate_id))
        if cur.rowcount == 0:
            return False
        if free_text_questions:
            await conn.execute(f"DELETE FROM interview_answers WHERE candidate_id = ? AND question IN "
                               f"({', '.join('?' * len(free_text_questions))})", (candidate_id, *free_text_questions))
        await conn.execute("UPDATE events SET detail = '(' || kind || ')' WHERE candidate_id = ?", (candidate_id,))
        await conn.execute("UPDATE debriefs SET answers = '{}' WHERE candidate_id = ?", (candidate_id,))
        await conn.execute("UPDATE follow_ups SET note = NULL WHERE candidate_id = ?", (candidate_id,))
        await conn.execute("UPDATE elu_notices SET text = '(effacé)' WHERE candidate_id = ?", (candidate_id,))
        await conn.execute("UPDATE reminders SET text = CASE WHEN kind = 'libre' THEN '(effacé)' ELSE text END, "
                           "state = CASE WHEN state IN ('pending', 'awaiting') THEN 'cancelled' ELSE state END, "
                           "closed_at = COALESCE(closed_at, ?) WHERE candidate_id = ?", (at, candidate_id))
        await conn.execute("DELETE FROM dialogs WHERE subject_id = ?", (candidate_id,))
        await conn.execute("UPDATE audit SET detail = '' WHERE candidate_id = ?", (candidate_id,))
        await conn.execute("INSERT INTO events (candidate_id, at, user_id, kind, detail) VALUES (?, ?, NULL, 'effacement', "
                           "'Données personnelles effacées')", (candidate_id, at))
        for statement in also:
            await conn.execute(*statement)
    return True


async def retention_candidates(db: Database) -> list[dict[str, Any]]:
    """Candidates not yet anonymised, with their last activity (last change or follow-up), extension, and when
    the team got the warning (``warning_sent_at``: None while it waits to be sent)."""
    rows = await db.fetchall(
        "SELECT c.id, c.first_name, c.last_name, c.retention_warned_at, c.retention_until, "
        "MAX(c.updated_at, COALESCE((SELECT MAX(done_at) FROM follow_ups f WHERE f.candidate_id = c.id), '')) AS last_activity, "
        "r.id AS warning_id, r.sent_at AS warning_sent_at "
        "FROM candidates c LEFT JOIN reminders r ON r.key = 'conservation:' || c.id || ':' || c.retention_warned_at "
        "WHERE c.anonymised_at IS NULL")
    candidates = [dict(r) for r in rows]
    for c in candidates:
        queued = c.pop("warning_id") is not None
        if c["retention_warned_at"] and not queued:  # warned before warnings were queued: sent as it was given
            c["warning_sent_at"] = c["retention_warned_at"]
    return candidates


def retention_warning_key(candidate_id: int, warned_at: str) -> str:
    return f"conservation:{candidate_id}:{warned_at}"


async def warn_retention(db: Database, candidate_id: int, *, at: str, chat_id: int, last_activity: str) -> bool:
    """The team is to be warned that a candidate's data will be anonymised: noted, with the warning queued (a
    reminder the engine sends and retries; ``last_activity``: its date, as the warning says it), at once."""
    return await db.write([
        ("UPDATE candidates SET retention_warned_at = ? WHERE id = ? AND retention_warned_at IS NULL "
         "AND anonymised_at IS NULL", (at, candidate_id)),
        reminders.create_statement(kind="conservation", key=retention_warning_key(candidate_id, at), once=True,
                                   candidate_id=candidate_id, chat_id=chat_id, text=last_activity, due_at=at,
                                   exact=True, at=at),
    ], unless_first_changes_nothing=True)


async def set_retention(db: Database, candidate_id: int, *, warned_at: str | None = None, until: str | None = None) -> None:
    if until is not None:
        await db.execute("UPDATE candidates SET retention_until = ?, retention_warned_at = NULL WHERE id = ?",
                         (until, candidate_id))
    else:
        await db.execute("UPDATE candidates SET retention_warned_at = ? WHERE id = ?", (warned_at, candidate_id))


async def get_kv(db: Database, key: str) -> str | None:
    row = await db.fetchone("SELECT value FROM kv WHERE key = ?", (key,))
    return row[0] if row else None


LAST_BACKUP, LAST_BACKUP_FILE = "sauvegarde:derniere", "sauvegarde:derniere:fichier"


async def last_backup(db: Database) -> tuple[str, str] | None:
    """When the last backup was taken (UTC), and its file's name; None before the first."""
    rows = dict(await db.fetchall("SELECT key, value FROM kv WHERE key IN (?, ?)", (LAST_BACKUP, LAST_BACKUP_FILE)))
    return (rows[LAST_BACKUP], rows.get(LAST_BACKUP_FILE, "")) if LAST_BACKUP in rows else None


async def set_last_backup(db: Database, at: str, file_name: str) -> None:
    await db.write([(_SET_KV, (LAST_BACKUP, at)), (_SET_KV, (LAST_BACKUP_FILE, file_name))])


_SET_KV = "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"


async def set_kv(db: Database, key: str, value: str) -> None:
    await db.execute("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     (key, value))
