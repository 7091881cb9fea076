"""How the bot writes in Telegram's HTML, shared by the engine and the steps: escaping, buttons, mentions."""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from domain.candidates import profession_label
from domain.messages import shorten

BUTTON_LABEL = 60  # characters; a longer label (a 4,000-character name) is cut: it would not show anyway


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """An inline keyboard from rows of (label, callback_data); None when there is no button."""
    rows = [[InlineKeyboardButton(shorten(label, BUTTON_LABEL), callback_data=data) for label, data in row]
            for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def mention(member) -> str:
    return f'<a href="tg://user?id={member.user_id}">{esc(member.name)}</a>'


def pair(team) -> str:
    """The CLS–CPTS pair who run a step, mentioned so that Telegram tells them."""
    cls = " ou ".join(mention(m) for m in team.with_role("cls")) or "la chargée de mission CLS"
    cpts = " ou ".join(mention(m) for m in team.with_role("cpts")) or "la CPTS"
    return f"{cls} (CLS) et {cpts} (CPTS)"


def who(candidate) -> str:
    """A candidate as a reminder names them: name, profession, dossier number."""
    return f"{esc(candidate.full_name)} ({esc(profession_label(candidate).lower())}, n° {candidate.id})"
