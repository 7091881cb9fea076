"""Step A: registering a candidate, the list, the card, corrections and status changes.

Card buttons carry ``c:<candidate id>:<action>[:<index>]``; the candidate and the index are checked
before anything is done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Update

from domain.callbacks import read
from domain.candidates import (
    CORRECTABLE,
    NEW_CANDIDATE,
    PROFESSIONS,
    card,
    column_value_for_display,
    initial_status,
    list_line,
    to_columns,
    to_utc_iso,
)
from domain.dates import normalise
from domain.forms import NAME_LENGTH, Form, Kind, Question, too_long, unprintable
from domain.pipeline import Status, TransitionError, allowed_moves, check_transition
from handlers.common import after_change, audit, edit_markup, edit_text, esc, keyboard, reply, send
from handlers.context import BotContext
from handlers.dialog import AnswerSet, Flow, ask, begin, state_of
from handlers.wiring import Provides
from storage import candidates, dialogs
from storage.dialogs import Dialog

# --- /nouveau ---------------------------------------------------------------------------------------

async def _new_header(context: BotContext, dialog: Dialog) -> str:
    return "🆕 <b>Nouveau candidat</b>"


async def _create(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    values = to_columns(answers.values, answers.at)
    status = initial_status(values)
    source = NEW_CANDIDATE.question("source").option_label(values["source"])
    detail = f"Dossier créé — source : {source}"
    if values.get("interview_at"):
        detail += f" ; entretien prévu le {column_value_for_display('interview_at', values['interview_at'])}"
    candidate_id = await candidates.create(
        context.db, values, status=status, by=context.actor.user_id, at=context.now_iso(), detail=detail
    )
    await after_change(context, candidate_id)
    await send_card(context, dialog.chat_id, candidate_id, intro=f"✅ Dossier n° {candidate_id} créé.")


NEW_FLOW = Flow(name="nouveau", form=lambda d: NEW_CANDIDATE, complete=_create, header=_new_header)


async def new_candidate(update: Update, context: BotContext) -> None:
    """Register a candidate (step A) through a short guided exchange."""
    existing = await dialogs.find_for_message(context.db, update.effective_chat.id, context.actor.user_id, None)
    if existing is not None and existing.form == "nouveau" and existing.user_id == context.actor.user_id:
        await ask(context, existing, intro="Vous aviez une fiche en cours : on reprend là où vous en étiez. "
                                           "(/annuler pour repartir de zéro)", reply_to=update.message.message_id)
        return
    await begin(update, context, "nouveau",
                intro="Enregistrons un nouveau candidat. Tapez /annuler à tout moment pour abandonner.")


# --- corrections from the card -------------------------------------------------------------------------

@dataclass(frozen=True)
class Correction:
    """What a correction is about: one field of one dossier."""

    field: str
    candidate: int


async def _correction_header(context: BotContext, dialog: Dialog) -> str:
    return f"✏️ <b>Correction du dossier n° {state_of(dialog, Correction).candidate}</b>"


async def _apply_correction(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    correction = state_of(dialog, Correction)
    key, candidate_id = correction.field, correction.candidate
    current = await candidates.get(context.db, candidate_id)
    if current is None:
        await send(context, dialog.chat_id, f"Le dossier n° {candidate_id} n'existe plus.")
        return
    value = answers.values.get(key)
    changes: dict = {key: value}
    if key == "consent":
        changes = {"consent": int(bool(value)), "consent_date": context.now().date().isoformat()}
        if not value:
            changes["consent_share"] = 0  # no follow-up, no sharing either
    elif key == "consent_share":
        changes = {"consent_share": int(bool(value) and current.consent)}
    elif key == "interview_at" and value:
        changes = {"interview_at": to_utc_iso(value)}
    status = None
    if key == "interview_at" and value and current.status == Status.NOUVEAU:
        status = Status.ENTRETIEN_PLANIFIE
    elif key == "interview_at" and not value and current.status == Status.ENTRETIEN_PLANIFIE:
        status = Status.NOUVEAU
    label = NEW_CANDIDATE.question(key).label
    old = column_value_for_display(key, getattr(current, key))
    new = column_value_for_display(key, changes[key])
    await candidates.update(context.db, candidate_id, changes, by=context.actor.user_id, at=context.now_iso(),
                            kind="correction", detail=f"{label} : {old} → {new}", status=status)
    await after_change(context, candidate_id)
    await send_card(context, dialog.chat_id, candidate_id,
                    intro=f"✅ {esc(label)} du dossier n° {candidate_id} : <b>{esc(new)}</b>.")


CORRECTION_FLOW = Flow(
    name="corriger", form=lambda d: NEW_CANDIDATE.only(state_of(d, Correction).field, "corriger"), complete=_apply_correction, header=_correction_header,
    summary=False, skip_label="🗑 Effacer",
)


# --- the list and the card -----------------------------------------------------------------------------

_STATUS_WORDS = sorted(((normalise(s.label), s) for s in Status), key=lambda p: -len(p[0]))
_PROFESSION_WORDS = sorted(((normalise(o.label), o.key) for o in PROFESSIONS), key=lambda p: -len(p[0]))


def _filters(args: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Statuses and professions named in ``/dossiers`` arguments, and the words understood as neither (folded)."""
    rest = normalise(" ".join(args))
    statuses, professions, others = [], [], []
    for words, status in _STATUS_WORDS:
        if re.search(rf"(?<![\w-]){re.escape(words)}(?![\w-])", rest):
            statuses.append(status.value)
            rest = re.sub(rf"(?<![\w-]){re.escape(words)}(?![\w-])", " ", rest)
    for word in rest.split():
        matches = [key for label, key in _PROFESSION_WORDS if label.startswith(word) or word in label.split()]
        if len(word) >= 3 and matches:
            professions += [m for m in matches if m not in professions]
        else:
            others.append(word)
    return statuses, professions, others


def parse_filters(args: list[str]) -> tuple[list[str], list[str], str | None]:
    """Statuses and professions named in arguments, and the first word understood as neither."""
    statuses, professions, others = _filters(args)
    return statuses, professions, others[0] if others else None


SEARCH_WORDS = 5  # words of a name, phone or e-mail searched at once
SEARCH_HELP = ("Cherchez par nom, prénom, téléphone ou e-mail (une partie suffit), ou filtrez par statut ({statuses}) "
               "et profession. Exemples : /dossiers benali · /dossiers entretien fait infirmier")


async def _search(update: Update, context: BotContext) -> tuple[list, int, list[str]] | None:
    """The candidates ``/dossiers`` or ``/dossier`` arguments name; None once told that the search is too long."""
    statuses, professions, words = _filters(context.args or [])
    if len(words) > SEARCH_WORDS or any(len(w) > NAME_LENGTH for w in words):
        await reply(update, context, f"❗ Recherche trop longue : {SEARCH_WORDS} mots au plus, de "
                                     f"{NAME_LENGTH} caractères chacun.")
        return None
    found, total = await candidates.search(context.db, statuses=statuses, professions=professions, words=words)
    return found, total, words


async def list_candidates(update: Update, context: BotContext) -> None:
    """/dossiers [nom, téléphone, e-mail] [statut] [profession]: the dossiers that match, newest first."""
    searched = await _search(update, context)
    if searched is None:
        return
    found, total, words = searched
    if not found:
        if context.args:
            what = f" à « {esc(' '.join(words))} »" if words else ""
            statuses = ", ".join(s.label for s in Status)
            await reply(update, context, f"Aucun dossier ne correspond{what}.\n" + SEARCH_HELP.format(statuses=statuses))
        else:
            await reply(update, context, "Aucun candidat enregistré pour l'instant. Tapez /nouveau pour en ajouter un.")
        return
    today = context.now().date()
    title = "📂 <b>Candidats</b>" + (f" ({total})" if total <= len(found) else f" ({len(found)} plus récents sur {total})")
    lines = [title, *(list_line(c, today) for c in found), "",
             "Fiche : /dossier N · recherche : /dossiers benali · filtres : /dossiers entretien fait, /dossiers infirmier…"]
    await reply(update, context, "\n".join(lines))


def card_keyboard(context: BotContext, candidate) -> object:
    """The card's buttons: those later steps declared (``Provides.card_buttons``) when they apply, then its own."""
    cid = candidate.id
    extra = [(b.label, f"c:{cid}:{b.action}") for b in context.wiring.card_buttons if b.shown(candidate)]
    return keyboard([
        extra,
        [("✏️ Corriger", f"c:{cid}:fix"), ("🔄 Changer le statut", f"c:{cid}:st")],
        [("📝 Note", f"c:{cid}:note"), ("🔃 Actualiser", f"c:{cid}:view")],
    ])


async def render_card(context: BotContext, candidate_id: int):
    candidate = await candidates.get(context.db, candidate_id)
    if candidate is None:
        return None, None
    await audit(context, "consultation", candidate_id=candidate_id, detail="fiche")
    events, total = await candidates.timeline(context.db, candidate_id)
    text = card(candidate, events, total, context.services.team.names(), context.now().date())
    return text, card_keyboard(context, candidate)


async def send_card(context: BotContext, chat_id: int, candidate_id: int, *, intro: str | None = None) -> None:
    text, markup = await render_card(context, candidate_id)
    if text is not None:
        await send(context, chat_id, f"{intro}\n\n{text}" if intro else text, markup)


def candidate_number(args: list[str]) -> int | None:
    """The number typed after a command ("12", "n° 12"), or None."""
    if len(args) != 1:
        return None
    digits = args[0].lstrip("nN°º.").strip()
    # decimal digits only: "²" is a digit to Python, not a number int() reads
    return int(digits) if digits.isdecimal() and len(digits) < 10 else None


async def numbered(update: Update, context: BotContext, fetch, *, of_what: str, what: str, command: str,
                   listing: str, example: int):
    """The item whose number follows the command (``fetch`` reads it by number); None, once the user is told
    what to type instead (no number) or that there is no such item."""
    args = context.args or []
    number = candidate_number(args)
    if number is None:
        typed = args[0].lstrip("nN°º.").strip() if len(args) == 1 else ""
        if typed.isdecimal() and typed.isascii():  # a number, longer than any of ours
            shown = f"{typed}." if len(typed) <= 20 else typed[:20] + "…"  # "…", not "…."
            await reply(update, context, f"Aucun {what} n° {shown} Tapez /{listing} pour la liste.")
        else:
            await reply(update, context, f"Indiquez le numéro {of_what}, par exemple : /{command} {example} (voir /{listing}).")
        return None
    item = await fetch(number)
    if item is None:
        await reply(update, context, f"Aucun {what} n° {number}. Tapez /{listing} pour la liste.")
    return item


async def numbered_candidate(update: Update, context: BotContext, command: str):
    """The candidate /<command> N names, or None once the user is told what is wrong."""
    return await numbered(update, context, lambda n: candidates.get(context.db, n), of_what="du dossier",
                          what="dossier", command=command, listing="dossiers", example=12)


async def show_numbered(update: Update, context: BotContext, render, *, of_what: str, what: str, command: str,
                        listing: str, example: int) -> None:
    """/dossier N, /lieu N, /elu N: the card ``render`` makes of the numbered item, or what to type instead."""
    async def card(number: int):
        text, markup = await render(context, number)
        return (text, markup) if text is not None else None
    shown = await numbered(update, context, card, of_what=of_what, what=what, command=command, listing=listing,
                           example=example)
    if shown is not None:
        await reply(update, context, *shown)


async def show_card(update: Update, context: BotContext) -> None:
    """/dossier N or /dossier <nom>: one candidate's card; several matches: their list."""
    args = context.args or []
    # a number is the dossier's (« 12 », « n° 12 »); words with a letter are a name, a first name or an e-mail
    if args and candidate_number(args) is None and any(c.isalpha() for c in " ".join(args).lstrip("nN°º")):
        searched = await _search(update, context)
        if searched is None:
            return
        found, total, words = searched
        if len(found) == 1:
            await reply(update, context, *await render_card(context, found[0].id))
        elif found:
            await list_candidates(update, context)
        else:
            await reply(update, context, f"Aucun dossier ne correspond à « {esc(' '.join(words))} ». Indiquez le numéro "
                                         f"du dossier, par exemple : /dossier 12, ou une partie de son nom, prénom, "
                                         f"téléphone ou e-mail.")
        return
    await show_numbered(update, context, render_card, of_what="du dossier", what="dossier", command="dossier",
                        listing="dossiers", example=12)


async def on_card_button(update: Update, context: BotContext) -> None:
    """A button of a candidate's card: correct a field, change the status, refresh."""
    query = update.callback_query
    pressed = read(query.data, "c", int, str, int, optional=1)
    if pressed is None:
        await query.answer("Ce bouton n'est plus valable.", show_alert=True)
        return
    candidate_id, action, arg = pressed
    candidate = await candidates.get(context.db, candidate_id)
    if candidate is None:
        await query.answer("Ce dossier n'existe pas ou plus.", show_alert=True)
        return
    cid = candidate.id
    if action == "view":
        await query.answer()
        text, markup = await render_card(context, cid)
        await edit_text(query, text, markup)
    elif action == "fix" and arg is None:
        await query.answer()
        labels = [(NEW_CANDIDATE.question(k).label, f"c:{cid}:fx:{i}") for i, k in enumerate(CORRECTABLE)]
        rows = [labels[i:i + 2] for i in range(0, len(labels), 2)] + [[("⬅️ Retour à la fiche", f"c:{cid}:view")]]
        await edit_markup(query, keyboard(rows))
    elif action == "fx" and arg is not None and arg < len(CORRECTABLE):
        await query.answer()
        await begin(update, context, "corriger", state=Correction(CORRECTABLE[arg], cid))
    elif action == "st" and arg is None:
        moves = allowed_moves(Status(candidate.status))
        if not moves:
            await query.answer("Ce dossier est clos : son statut ne change plus.", show_alert=True)
            return
        await query.answer()
        statuses = list(Status)
        rows = [[(f"➡️ {s.label}", f"c:{cid}:mv:{statuses.index(s)}")] for s in moves]
        await edit_markup(query, keyboard(rows + [[("⬅️ Retour à la fiche", f"c:{cid}:view")]]))
    elif action == "mv" and arg is not None and arg < len(Status):
        target = list(Status)[arg]
        current = Status(candidate.status)
        try:
            check_transition(current, target)
        except TransitionError as err:
            await query.answer(str(err)[:190], show_alert=True)
            return
        await candidates.update(context.db, cid, {}, by=context.actor.user_id, at=context.now_iso(),
                                kind="statut", detail=f"Statut : {current.label} → {target.label}", status=target)
        await after_change(context, cid)
        await query.answer(f"Statut : {target.label}")
        text, markup = await render_card(context, cid)
        await edit_text(query, text, markup)
    else:
        handler = context.wiring.card_actions.get(action)
        if handler is None:
            await query.answer("Ce bouton n'est plus valable.", show_alert=True)
            return
        await handler(update, context, candidate)






# --- a note on the dossier, at any time (a phone call, a wish heard in passing) ----------------------------------

NOTE_LENGTH = 1500  # characters: a few paragraphs, as a follow-up call's note

NOTE_FORM = Form("note", "Note", (
    Question("note", "Note", "📝 Votre <b>note</b> sur ce dossier (elle sera signée et datée dans l'historique) :",
             Kind.TEXT, max_length=NOTE_LENGTH),
))


@dataclass(frozen=True)
class NoteOn:
    """The dossier a note is written on."""

    candidate: int


async def _note_header(context: BotContext, dialog: Dialog) -> str:
    return f"📝 <b>Note — dossier n° {state_of(dialog, NoteOn).candidate}</b>"


async def _write_note(context: BotContext, chat_id: int, candidate_id: int, text: str) -> None:
    """The note in the dossier's history, signed and dated, then the card again to show it."""
    await candidates.update(context.db, candidate_id, {}, by=context.actor.user_id, at=context.now_iso(), kind="note",
                            detail=text)
    await audit(context, "note", candidate_id=candidate_id)
    await send_card(context, chat_id, candidate_id, intro="📝 Note ajoutée au dossier.")


async def _note_done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    candidate_id = state_of(dialog, NoteOn).candidate
    if await candidates.get(context.db, candidate_id) is None:
        await send(context, dialog.chat_id, f"Le dossier n° {candidate_id} n'existe plus : la note n'a pas été gardée.")
        return
    await _write_note(context, dialog.chat_id, candidate_id, answers.values["note"])


NOTE_FLOW = Flow(name="note", form=lambda d: NOTE_FORM, complete=_note_done, header=_note_header, summary=False)


async def note_command(update: Update, context: BotContext) -> None:
    """/note N texte: a note on dossier N, signed and dated in its history; /note N alone asks for it."""
    args = context.args or []
    number = candidate_number(args[:1])
    if number is None:
        await reply(update, context, "Indiquez le numéro du dossier puis la note, par exemple : /note 12 a rappelé, "
                                     "visite de l'école de Conliège souhaitée.")
        return
    if await candidates.get(context.db, number) is None:
        await reply(update, context, f"Aucun dossier n° {number}. Tapez /dossiers pour la liste.")
        return
    text = " ".join(args[1:]).strip()
    if not text:
        await begin(update, context, "note", state=NoteOn(number))
        return
    refusal = too_long("une note", text, NOTE_LENGTH) or unprintable("La note", text)
    if refusal:
        await reply(update, context, f"❗ {esc(refusal)}")
        return
    await _write_note(context, update.effective_chat.id, number, text)


async def _note_from_card(update: Update, context: BotContext, candidate) -> None:
    await update.callback_query.answer()
    await begin(update, context, "note", state=NoteOn(candidate.id))


def provides() -> Provides:
    """Step A: a new candidate's form, the correction of a card's field, a note at any time."""
    return Provides(flows=(NEW_FLOW, CORRECTION_FLOW, NOTE_FLOW), card_actions={"note": _note_from_card})
