"""Guided exchanges in progress: the whole state of a conversation, written at every answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from storage.db import Database


@dataclass
class Dialog:
    id: int
    chat_id: int
    user_id: int | None
    form: str
    subject_id: int | None
    position: str
    data: dict[str, Any] = field(default_factory=dict)
    prompt_message_id: int | None = None


def _dialog(row) -> Dialog:
    return Dialog(
        row["id"], row["chat_id"], row["user_id"], row["form"], row["subject_id"], row["position"],
        json.loads(row["data"]), row["prompt_message_id"],
    )


async def start(
    db: Database, *, chat_id: int, user_id: int | None, form: str, subject_id: int | None, position: str,
    data: dict[str, Any], at: str,
) -> Dialog:
    """Open a dialog. One about a subject (a candidate's interview) replaces the one on the same subject,
    wherever it was; otherwise it replaces the same owner's dialog of the same form in this chat."""
    async with db.transaction() as conn:
        if subject_id is not None:
            await conn.execute("DELETE FROM dialogs WHERE form = ? AND subject_id = ?", (form, subject_id))
        else:
            await conn.execute(
                "DELETE FROM dialogs WHERE chat_id = ? AND user_id IS ? AND form = ? AND subject_id IS NULL",
                (chat_id, user_id, form),
            )
        cur = await conn.execute(
            "INSERT INTO dialogs (chat_id, user_id, form, subject_id, position, data, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (chat_id, user_id, form, subject_id, position, json.dumps(data, ensure_ascii=False), at, at),
        )
        dialog_id = cur.lastrowid
    return Dialog(dialog_id, chat_id, user_id, form, subject_id, position, data)


async def get(db: Database, dialog_id: int) -> Dialog | None:
    row = await db.fetchone("SELECT * FROM dialogs WHERE id = ?", (dialog_id,))
    return _dialog(row) if row else None


async def find_for_subject(db: Database, form: str, subject_id: int) -> Dialog | None:
    row = await db.fetchone("SELECT * FROM dialogs WHERE form = ? AND subject_id = ?", (form, subject_id))
    return _dialog(row) if row else None


async def find_for_message(db: Database, chat_id: int, user_id: int, reply_to: int | None) -> Dialog | None:
    """The dialog a message answers: the one whose question it replies to, else the user's own in this
    chat, else one shared by the team in this chat (newest first)."""
    found = await open_for(db, chat_id, user_id, reply_to)
    return found[0] if found else None


async def open_for(db: Database, chat_id: int, user_id: int, reply_to: int | None) -> list[Dialog]:
    """Every dialog of this chat a message from this user could answer, in the order find_for_message prefers:
    the one whose question it replies to, then the user's own (newest first), then the team's shared ones."""
    rows = await db.fetchall(
        "SELECT * FROM dialogs WHERE chat_id = ? AND (user_id = ? OR user_id IS NULL) "
        "ORDER BY prompt_message_id IS NOT ? OR prompt_message_id IS NULL, user_id IS NULL, updated_at DESC, id DESC",
        (chat_id, user_id, reply_to),
    )
    return [_dialog(row) for row in rows]


async def save(db: Database, dialog: Dialog, at: str) -> None:
    """Write the dialog's position, data and current question message."""
    await db.execute(
        "UPDATE dialogs SET chat_id = ?, position = ?, data = ?, prompt_message_id = ?, updated_at = ? WHERE id = ?",
        (dialog.chat_id, dialog.position, json.dumps(dialog.data, ensure_ascii=False), dialog.prompt_message_id,
         at, dialog.id),
    )


async def finish(db: Database, dialog_id: int) -> None:
    await db.execute("DELETE FROM dialogs WHERE id = ?", (dialog_id,))


async def in_chat(db: Database, chat_id: int) -> list[Dialog]:
    rows = await db.fetchall("SELECT * FROM dialogs WHERE chat_id = ? ORDER BY id", (chat_id,))
    return [_dialog(r) for r in rows]


async def every_open(db: Database) -> list[tuple[Dialog, str]]:
    """Every dialog in progress, with when it was last written."""
    rows = await db.fetchall("SELECT * FROM dialogs ORDER BY id")
    return [(_dialog(r), r["updated_at"]) for r in rows]
