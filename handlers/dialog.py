"""Guided exchanges in chat: one question at a time, answers written as they come, a summary to confirm.

A Flow says how one kind of exchange (new candidate, interview, correction) stores its answers and what
happens at the end; the asking, reading, navigation and button checks are the same for all of them.
The dialog row in SQLite is the whole state: after a restart the next message simply carries on.

Callback data: ``f:<dialog id>:<question index, or s for the summary>:<action>`` (under 64 bytes). It is
never trusted: the dialog must exist in this chat, belong to the presser, and be at that very question.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, TypeVar

from telegram import ForceReply, Update
from telegram.constants import ChatType, MessageLimit
from telegram.error import BadRequest

from domain import texts
from domain.callbacks import read
from domain.dates import normalise
from domain.forms import Form, InvalidAnswer, Kind, Question, display, read_answer
from handlers.common import esc, keyboard, reply, send
from handlers.context import BotContext
from storage import dialogs
from storage.dialogs import Dialog

log = logging.getLogger(__name__)


@dataclass
class AnswerSet:
    values: dict[str, Any] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)
    by: dict[str, int] = field(default_factory=dict)
    at: dict[str, str] = field(default_factory=dict)

    @property
    def done(self) -> set[str]:
        return set(self.values) | self.skipped


@dataclass(frozen=True)
class Flow:
    """How one kind of guided exchange stores its answers and ends."""

    name: str
    form: Callable[[Dialog], Form]
    complete: Callable[[Update, BotContext, Dialog, AnswerSet], Awaitable[None]]
    header: Callable[[BotContext, Dialog], Awaitable[str]]
    load: Callable[[BotContext, Dialog], Awaitable[AnswerSet]] | None = None  # default: kept in the dialog
    save: Callable[[BotContext, Dialog, Question, Any, int], Awaitable[None]] | None = None
    shared: bool = False  # any team member in the chat may answer (the interview), not only who started it
    summary: bool = True  # show every answer for confirmation before completing
    skip_any: bool = False  # every question may be skipped, not only the optional ones
    can_pause: bool = False
    skip_label: str = "⏭ Passer"
    question_note: Callable[[BotContext, Dialog, Question], str] | None = None
    on_pause: Callable[[BotContext, Dialog], Awaitable[str]] | None = None
    # checks needing the database (a commune that must exist...): returns the value to keep or raises InvalidAnswer
    check: Callable[[BotContext, Dialog, Question, Any], Awaitable[Any]] | None = None




@dataclass(frozen=True)
class Wait:
    """A dialog row that waits for something other than typed answers (a file to import, a poll comment)."""

    name: str
    title: str  # what it is, as users say it
    waiting: str  # what to tell someone who types instead
    cancelled: str  # what /annuler answers




# --- what the exchange keeps between two messages, typed (the dialog row holds it as JSON) ----------------

S = TypeVar("S")


def state_of(dialog: Dialog, cls: type[S]) -> S:
    """The form's own state (what it is about: a candidate and a field, a poll...), as the dataclass its module
    declares; ``begin`` wrote it into the dialog row."""
    names = {f.name for f in fields(cls)}
    return cls(**{key: value for key, value in dialog.data.items() if key in names})


def keep_state(dialog: Dialog, state: object) -> None:
    """Write back a form's state changed along the way (saved with the dialog's next write)."""
    dialog.data.update(asdict(state))


@dataclass(frozen=True)
class Pending:
    """An answer read from a typed text, shown back to be confirmed before it is kept."""

    value: Any


@dataclass(frozen=True)
class Shown:
    """How far the form was shown to be: its percentage and the questions it had then."""

    percent: int = 0
    keys: tuple[str, ...] | None = None
    added: str | None = None  # the questions an answer added, named once above the next question


class Progress:
    """What the exchange itself keeps in the dialog row, whatever the form: an answer waiting for « Oui », the
    ticks of a multiple choice before « Valider », a correction that goes back to the summary, how far it was
    shown to be, and (for forms kept in the row) the answers so far. A typed view over the row's JSON, whose keys
    are those rows written before it existed."""

    def __init__(self, dialog: Dialog):
        self._data = dialog.data

    @property
    def pending(self) -> Pending | None:
        return Pending(self._data["pending"]) if "pending" in self._data else None

    @pending.setter
    def pending(self, pending: Pending | None) -> None:
        if pending is None:
            self._data.pop("pending", None)
        else:
            self._data["pending"] = pending.value

    def ticked(self, key: str) -> list | None:
        """The options ticked so far on multiple-choice question ``key``, if any were."""
        return self._data.get("multi", {}).get(key)

    def tick(self, key: str, ticked: list) -> None:
        self._data.setdefault("multi", {})[key] = ticked

    def untick(self, key: str) -> None:
        self._data.get("multi", {}).pop(key, None)

    @property
    def back_to_summary(self) -> bool:
        return bool(self._data.get("back_to_summary"))

    @back_to_summary.setter
    def back_to_summary(self, back: bool) -> None:
        if back:
            self._data["back_to_summary"] = True
        else:
            self._data.pop("back_to_summary", None)

    @property
    def shown(self) -> Shown:
        shown = self._data.get("progress", {})
        keys = shown.get("keys")
        return Shown(shown.get("percent", 0), tuple(keys) if keys is not None else None, shown.get("added"))

    @shown.setter
    def shown(self, shown: Shown) -> None:
        self._data["progress"] = {"percent": shown.percent, "keys": list(shown.keys or ())}
        if shown.added:
            self._data["progress"]["added"] = shown.added

    @property
    def draft(self) -> AnswerSet:
        """The answers of a form kept in the row itself (a new candidate, a correction, a debrief)."""
        d = self._data
        return AnswerSet(dict(d.get("values", {})), set(d.get("skipped", [])), dict(d.get("by", {})),
                         dict(d.get("at", {})))

    @draft.setter
    def draft(self, answers: AnswerSet) -> None:
        self._data.update(values=answers.values, skipped=sorted(answers.skipped), by=answers.by, at=answers.at)


# --- answers kept in the dialog row itself (drafts: a new candidate, a correction) ---------------------

async def _draft_load(context: BotContext, dialog: Dialog) -> AnswerSet:
    return Progress(dialog).draft


async def _draft_save(context: BotContext, dialog: Dialog, question: Question, value: Any, by: int) -> None:
    progress = Progress(dialog)
    answers = progress.draft
    answers.values.pop(question.key, None)
    answers.skipped.discard(question.key)
    if value is None:
        answers.skipped.add(question.key)
    else:
        answers.values[question.key] = value
    answers.by[question.key] = by
    answers.at[question.key] = context.now_iso()  # to the second: see resume_interrupted
    progress.draft = answers
    await dialogs.save(context.db, dialog, context.now_iso())


async def load_answers(context: BotContext, dialog: Dialog) -> AnswerSet:
    flow = context.wiring.flows[dialog.form]
    return await (flow.load or _draft_load)(context, dialog)


async def _save_answer(context: BotContext, dialog: Dialog, question: Question, value: Any, by: int) -> None:
    flow = context.wiring.flows[dialog.form]
    await (flow.save or _draft_save)(context, dialog, question, value, by)


# --- starting, asking -----------------------------------------------------------------------------------

async def begin(
    update: Update, context: BotContext, flow_name: str, *, subject_id: int | None = None,
    state: object | None = None, intro: str | None = None,
) -> Dialog:
    """Open a guided exchange in this chat and ask its first unanswered question."""
    flow = context.wiring.flows[flow_name]
    dialog = await dialogs.start(
        context.db, chat_id=update.effective_chat.id, user_id=None if flow.shared else context.actor.user_id,
        form=flow_name, subject_id=subject_id, position="", data=asdict(state) if state is not None else {},
        at=context.now_iso(),
    )
    answers = await load_answers(context, dialog)
    first = flow.form(dialog).first_unanswered(answers.values, answers.done)
    dialog.position = first.key if first else ""
    message = update.effective_message if update.message else None
    await ask(context, dialog, intro=intro, reply_to=message.message_id if message else None)
    return dialog


def _is_group(dialog: Dialog) -> bool:
    return dialog.chat_id < 0


async def ask(context: BotContext, dialog: Dialog, *, intro: str | None = None, reply_to: int | None = None,
              edit: int | None = None) -> None:
    """Send the dialog's current step (a question, a read-back to confirm, or the summary) and remember it.

    With ``edit``, that message (the step whose button was pressed) becomes the new step: one request, and the
    group's history does not grow by a message per answer. A message that can no longer be edited gets a new one."""
    flow = context.wiring.flows[dialog.form]
    form = flow.form(dialog)
    answers = await load_answers(context, dialog)
    header = await flow.header(context, dialog)
    if dialog.position == "":
        text, markup = _summary(flow, form, dialog, answers, header)
    elif Progress(dialog).pending is not None:
        text, markup = _read_back(form, dialog, header)
    else:
        text, markup = _question(context, flow, form, dialog, answers, header, reply_to is not None and edit is None)
    if intro:
        text = f"{intro}\n\n{text}"
    message_id = await _edited(context, dialog.chat_id, edit, text, markup) if edit is not None else None
    if message_id is None:
        message_id = (await send(context, dialog.chat_id, text, markup, reply_to=reply_to)).message_id
    dialog.prompt_message_id = message_id
    await dialogs.save(context.db, dialog, context.now_iso())


async def _edited(context: BotContext, chat_id: int, message_id: int, text: str, markup) -> int | None:
    """Edit a step's message in place; None when it cannot be (too long, too old, deleted)."""
    if len(text) > MessageLimit.MAX_TEXT_LENGTH or isinstance(markup, ForceReply):
        return None
    try:
        await context.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup)
    except BadRequest as err:
        if "not modified" not in str(err).lower():
            return None
    return message_id


def _question(context, flow: Flow, form: Form, dialog: Dialog, answers: AnswerSet, header: str, replying: bool):
    q = form.question(dialog.position)
    k, n = form.progress(q.key, answers.values)
    where = f"{esc(q.section)} · " if q.section else ""
    lines = [header, f"<i>{where}question {k}/{n} · {_percent(form, dialog, answers, k, n)} %</i>", "", q.prompt]
    if n == 1:
        del lines[1:3]
    if not header:
        lines = lines[1:]
    progress = Progress(dialog)
    added = progress.shown.added if n > 1 else None
    if added:
        progress.shown = replace(progress.shown, added=None)  # named once
    if added:
        lines.insert(2, f"<i>{esc(added)}</i>")
    if flow.question_note:
        note = flow.question_note(context, dialog, q)
        if note:
            lines.append(note)
    if q.note:
        lines.append(f"💬 <i>{q.note}</i>")
    if q.hint:
        lines.append(f"<i>{esc(q.hint)}</i>")
    if q.key in answers.values:
        lines.append(f"Réponse actuelle : <b>{esc(display(q, answers.values[q.key]))}</b>")
    idx = form.index(q.key)
    cb = f"f:{dialog.id}:{idx}:"
    rows: list[list[tuple[str, str]]] = []
    if q.kind is Kind.CHOICE:
        options = [(o.label, f"{cb}o{i}") for i, o in enumerate(q.options)]
        rows += [options[i:i + 2] for i in range(0, len(options), 2)]
    elif q.kind is Kind.MULTI:
        ticked = Progress(dialog).ticked(q.key)
        chosen = set(ticked if ticked is not None else answers.values.get(q.key) or [])
        options = [(("✅ " if o.key in chosen else "▫️ ") + o.label, f"{cb}m{i}") for i, o in enumerate(q.options)]
        rows += [options[i:i + 2] for i in range(0, len(options), 2)]
        rows.append([("✔️ Valider", f"{cb}md")])
    elif q.kind is Kind.YESNO:
        rows.append([("Oui", f"{cb}b1"), ("Non", f"{cb}b0")])
    if q.quick:
        rows.append([(o.label, f"{cb}k{i}") for i, o in enumerate(q.quick)])
    nav = []
    if form.previous_before(q.key, answers.values) is not None:
        nav.append(("⬅️ Retour", f"{cb}back"))
    if q.optional or flow.skip_any:
        nav.append((q.skip_label or flow.skip_label, f"{cb}skip"))
    if q.key in answers.values:
        nav.append(("✔️ Garder", f"{cb}keep"))
    if flow.can_pause:
        nav.append(("⏸ Pause", f"{cb}pause"))
    if not flow.summary:
        nav.append(("✖️ Annuler", f"{cb}x"))
    rows.append(nav)
    markup = keyboard(rows)
    if q.expects_text and _is_group(dialog):
        if markup is None and replying:
            # nothing to press: a selective ForceReply opens the reply box for the one who is typing
            markup = ForceReply(selective=True, input_field_placeholder=q.label)
        else:
            lines.append(texts.REPLY_HINT)
    return "\n".join(lines), markup


def _percent(form: Form, dialog: Dialog, answers: AnswerSet, k: int, n: int) -> int:
    """How far the form is, never less than last shown: an answer that adds questions (children's ages after
    their number) must not look like a step back. The questions it added are named once, above the next one."""
    progress = Progress(dialog)
    shown = progress.shown
    applicable = tuple(q.key for q in form.applicable(answers.values))
    added = [key for key in applicable if shown.keys is not None and key not in shown.keys]
    percent = max(round(100 * (k - 1) / n), shown.percent)
    labels = ", ".join(form.question(key).label for key in added)
    progress.shown = Shown(percent, applicable,
                           f"➕ {len(added)} question(s) ajoutée(s) d'après les réponses : {labels}" if added else None)
    return percent


def _read_back(form: Form, dialog: Dialog, header: str):
    q = form.question(dialog.position)
    value = Progress(dialog).pending.value
    idx = form.index(q.key)
    text = f"{header}\n\n{esc(q.label)} : <b>{esc(display(q, value))}</b>\nC'est bien cela ?"
    markup = keyboard([[("✅ Oui", f"f:{dialog.id}:{idx}:y"), ("✏️ Non, corriger", f"f:{dialog.id}:{idx}:n")]])
    return text, markup


def _summary(flow: Flow, form: Form, dialog: Dialog, answers: AnswerSet, header: str):
    lines = [header, "", "📋 <b>Récapitulatif</b> — vérifiez, corrigez si besoin, puis confirmez."]
    section = None
    buttons = []
    for q in form.applicable(answers.values):
        if q.section and q.section != section:
            section = q.section
            lines += ["", f"<b>{esc(section)}</b>"]
        if q.key in answers.values:
            shown = esc(display(q, answers.values[q.key]))
        else:
            shown = "<i>passée</i>" if q.key in answers.skipped else "<i>sans réponse</i>"
        lines.append(f"• {esc(q.label)} : {shown}")
        buttons.append((f"✏️ {q.label}"[:40], f"f:{dialog.id}:s:e{form.index(q.key)}"))
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    last = [("✅ Confirmer", f"f:{dialog.id}:s:ok")]
    last.append(("⏸ Pause", f"f:{dialog.id}:s:pause") if flow.can_pause else ("✖️ Annuler", f"f:{dialog.id}:s:x"))
    rows.append(last)
    return "\n".join(lines), keyboard(rows)


# --- moving on ------------------------------------------------------------------------------------------

async def _advance(update: Update, context: BotContext, dialog: Dialog, after: str, reply_to: int | None,
                   intro: str | None = None, pressed=None) -> None:
    """Go to the next unanswered question after ``after`` (or back to the summary), or complete.

    ``pressed``: the message whose button gave the answer; it becomes the next step, or shows the answer."""
    flow = context.wiring.flows[dialog.form]
    form = flow.form(dialog)
    answers = await load_answers(context, dialog)
    progress = Progress(dialog)
    if progress.back_to_summary:
        progress.back_to_summary = False
        dialog.position = ""
        if pressed is None and dialog.prompt_message_id is not None:
            # a typed correction: the recap it came from (turned into the question) becomes the recap again
            await ask(context, dialog, intro=intro, edit=dialog.prompt_message_id)
            return
    else:
        later = [q for q in form.applicable(answers.values) if q.key not in answers.done]
        keys = [q.key for q in form.questions]
        after_index = keys.index(after) if after in keys else -1
        following = [q for q in later if keys.index(q.key) > after_index]
        nxt = following[0] if following else (later[0] if later else None)
        dialog.position = nxt.key if nxt else ""
    if dialog.position == "" and not flow.summary:
        await _complete(update, context, dialog, answers)
        if pressed is not None:
            await _close(context, pressed, _joined(pressed.text_html, intro))
        return
    await ask(context, dialog, intro=intro, reply_to=reply_to, edit=pressed.message_id if pressed else None)


async def resume_interrupted(app) -> int:
    """At start: go on with the dialogs a crash stopped between writing an answer and asking the next question.

    PTB confirms an update to Telegram when it asks for the next ones, before the update is handled: the update
    that carried the answer is not sent again. Such a dialog still sits at the question it got an answer for, an
    answer given after its last message (a question gone back to on purpose was answered before). Only answers
    stamped to the second can tell, and only flows ending on a summary are moved on here (the others would complete,
    and what completing does needs the update)."""
    context = app.context_types.context(app)
    moved = 0
    for dialog, written_at in await dialogs.every_open(context.db):
        flow = context.wiring.flows.get(dialog.form)
        if flow is None or not flow.summary or not dialog.position or Progress(dialog).pending is not None:
            continue
        answers = await load_answers(context, dialog)
        answered_at = answers.at.get(dialog.position) or ""
        if dialog.position in answers.done and len(answered_at) > 10 and answered_at >= written_at:
            await _advance(None, context, dialog, dialog.position, None)
            moved += 1
    return moved


async def _accept(update: Update, context: BotContext, dialog: Dialog, q: Question, value: Any,
                  reply_to: int | None, intro: str | None = None, pressed=None) -> None:
    progress = Progress(dialog)
    progress.pending = None
    progress.untick(q.key)
    await _save_answer(context, dialog, q, value, context.actor.user_id)
    await _advance(update, context, dialog, q.key, reply_to, intro, pressed)


async def _complete(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    flow = context.wiring.flows[dialog.form]
    await flow.complete(update, context, dialog, answers)
    await dialogs.finish(context.db, dialog.id)


async def _pause(context: BotContext, dialog: Dialog) -> None:
    await send(context, dialog.chat_id, await cancel(context, dialog))


async def _back(context: BotContext, dialog: Dialog, form: Form, answers: AnswerSet, intro: str | None = None,
                edit: int | None = None) -> None:
    previous = form.previous_before(dialog.position or None, answers.values)
    if previous is not None:
        dialog.position = previous.key
    Progress(dialog).pending = None
    await ask(context, dialog, intro=intro, edit=edit)


async def cancel(context: BotContext, dialog: Dialog) -> str:
    """Stop a dialog at the user's request; a shared one (the interview) is paused, its answers kept."""
    flow = context.wiring.flows.get(dialog.form)
    if flow is None:
        await dialogs.finish(context.db, dialog.id)
        wait = context.wiring.waits.get(dialog.form)
        return wait.cancelled if wait else "✖️ Saisie annulée."
    if flow.can_pause:
        await dialogs.finish(context.db, dialog.id)
        return await flow.on_pause(context, dialog) if flow.on_pause else "⏸ En pause."
    await dialogs.finish(context.db, dialog.id)
    return "✖️ Saisie annulée : rien n'a été enregistré."


# --- handlers -------------------------------------------------------------------------------------------

# what to do with a typed message from someone outside the team (a site contact's poll comment)


async def on_text(update: Update, context: BotContext) -> None:
    """A typed answer to the dialog in progress in this chat."""
    if context.actor is None:
        for handler in context.wiring.outsider_text:
            await handler(update, context)
        return
    message = update.message
    reply_to = _replied_to_bot(update, context)
    found = await dialogs.open_for(context.db, message.chat_id, context.actor.user_id, reply_to)
    takers = [d for d in found if d.form in context.wiring.flows]
    dialog = takers[0] if takers else None
    replied_to_wait = reply_to is not None and found and found[0].form in context.wiring.waits and found[0].prompt_message_id == reply_to
    if dialog is None or replied_to_wait:
        if found and found[0].form in context.wiring.waits:
            await reply(update, context, context.wiring.waits[found[0].form].waiting)
        elif message.chat.type == ChatType.PRIVATE:
            await reply(update, context, texts.NOT_WAITING)
        return
    # a plain message (no reply) that more than one open exchange could take: say where it went
    note = None
    others = [d for d in found if d.id != dialog.id]
    if reply_to != dialog.prompt_message_id and others:
        note = _routed_note(context.wiring, dialog, others)
    await _on_typed(update, context, dialog, note)


def _replied_to_bot(update: Update, context: BotContext) -> int | None:
    replied = update.message.reply_to_message if update.message else None
    return replied.message_id if replied and replied.from_user and replied.from_user.id == context.bot.id else None


def _title(wiring, dialog: Dialog) -> str:
    if dialog.form in wiring.flows:
        return wiring.flows[dialog.form].form(dialog).title.lower()
    return wiring.waits[dialog.form].title if dialog.form in wiring.waits else dialog.form


def _routed_note(wiring, dialog: Dialog, others: list[Dialog]) -> str:
    """Tell the sender which exchange took a plain message, and how to answer the other ones."""
    rest = " ; ".join(f"« {esc(_title(wiring, d))} »" for d in others)
    return (f"ℹ️ Réponse prise pour « {esc(_title(wiring, dialog))} ». Aussi en cours ici : {rest} — pour y répondre, "
            f"répondez à sa question (« Répondre ») ; /annuler arrête la saisie à laquelle vous répondez.")


async def _on_typed(update: Update, context: BotContext, dialog: Dialog, note: str | None) -> None:
    """Read a typed text against the step ``dialog`` is at."""
    message = update.message
    flow = context.wiring.flows[dialog.form]
    form = flow.form(dialog)
    answers = await load_answers(context, dialog)
    typed = normalise(message.text)
    if dialog.position == "":
        await ask(context, dialog, intro=_joined(note, "Utilisez les boutons du récapitulatif : ✏️ pour corriger, ✅ pour confirmer."),
                  reply_to=message.message_id)
        return
    q = form.question(dialog.position)
    if typed == "retour":
        await _back(context, dialog, form, answers, intro=note)
        return
    if typed == "passer" and (q.optional or flow.skip_any):
        await _accept(update, context, dialog, q, None, message.message_id, note)
        return
    if typed == "pause" and flow.can_pause:
        await _pause(context, dialog)
        return
    pending = Progress(dialog).pending
    if pending is not None and typed in ("oui", "o", "ok", "non", "n"):
        if typed.startswith("o"):
            await _accept(update, context, dialog, q, pending.value, message.message_id, note)
        else:
            Progress(dialog).pending = None
            await ask(context, dialog, intro=note, reply_to=message.message_id)
        return
    try:
        value = read_answer(q, message.text, context.now())
        if flow.check is not None:
            value = await flow.check(context, dialog, q, value)
    except InvalidAnswer as err:
        await ask(context, dialog, intro=_joined(note, f"❗ {esc(err)}"), reply_to=message.message_id)
        return
    if q.confirm:
        Progress(dialog).pending = Pending(value)
        await ask(context, dialog, intro=note, reply_to=message.message_id)
        return
    await _accept(update, context, dialog, q, value, message.message_id, note)


def _joined(*parts: str | None) -> str | None:
    return "\n\n".join(p for p in parts if p) or None


async def on_button(update: Update, context: BotContext) -> None:
    """A button of a dialog's question, read-back or summary, checked against the dialog's state.

    What the button records is written first; only then does the pressed message change (into the next step, in
    place): a bot stopped in between shows the step still waiting, never an answer that is not saved."""
    query = update.callback_query
    dialog, form, q, action = await _resolve(update, context)
    if dialog is None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    flow = context.wiring.flows[dialog.form]
    answers = await load_answers(context, dialog)
    if q is None:
        await _summary_button(update, context, dialog, form, flow, answers, action)
    elif not await _control_button(update, context, dialog, form, flow, answers, q, action):
        await _answer_button(update, context, dialog, form, flow, answers, q, action)


async def _summary_button(update: Update, context: BotContext, dialog: Dialog, form: Form, flow: Flow,
                          answers: AnswerSet, action: str) -> None:
    """✅ Confirmer, ✖️ Annuler / ⏸ Pause, or ✏️ a question to correct, on the summary."""
    query, pressed, who = update.callback_query, update.callback_query.message, esc(context.actor.name)
    if action == "ok":
        await _complete(update, context, dialog, answers)
        await query.answer("Confirmé")
        await _close(context, pressed, f"{pressed.text_html}\n\n✅ Confirmé par {who}")
    elif action == "x" or (action == "pause" and flow.can_pause):
        said = await cancel(context, dialog)
        await query.answer("En pause" if flow.can_pause else "Annulé")
        await _close(context, pressed, f"{said}\n<i>({who})</i>")
    elif action.startswith("e") and action[1:].isdecimal() and int(action[1:]) < len(form.questions):
        target = form.questions[int(action[1:])]
        if target not in form.applicable(answers.values):
            await query.answer(texts.STALE_BUTTON, show_alert=True)
            return
        dialog.position = target.key
        Progress(dialog).back_to_summary = True
        await ask(context, dialog, edit=pressed.message_id)
        await query.answer()
    else:
        await query.answer(texts.STALE_BUTTON, show_alert=True)


async def _control_button(update: Update, context: BotContext, dialog: Dialog, form: Form, flow: Flow,
                          answers: AnswerSet, q: Question, action: str) -> bool:
    """⬅️ Retour, pause or cancel, skip, keep, and the yes or no of a read-back; True when it was one of them."""
    query, pressed, who = update.callback_query, update.callback_query.message, esc(context.actor.name)
    if action == "back":
        await _back(context, dialog, form, answers, edit=pressed.message_id)
        await query.answer()
        return True
    if (action == "pause" and flow.can_pause) or (action == "x" and not flow.summary):
        said = await cancel(context, dialog)
        await query.answer("En pause" if flow.can_pause else "Annulé")
        await _close(context, pressed, f"{said}\n<i>({who})</i>")
        return True
    if action == "skip" and (q.optional or flow.skip_any):
        skipped = (q.skip_label or flow.skip_label).split(" ", 1)[-1]
        skipped = {"Passer": "<i>passée</i>", "Effacer": "<i>effacée</i>"}.get(skipped, esc(skipped))
        await _accept(update, context, dialog, q, None, None, f"➡️ {esc(q.label)} : {skipped} ({who})", pressed)
        await query.answer()
        return True
    if action == "keep" and q.key in answers.values:
        Progress(dialog).untick(q.key)
        await _advance(update, context, dialog, q.key, None, None, pressed)
        await query.answer()
        return True
    pending = Progress(dialog).pending
    if action in ("y", "n") and pending is not None:
        if action == "y":
            await _accept(update, context, dialog, q, pending.value, None, _recorded(q, pending.value, who), pressed)
        else:
            Progress(dialog).pending = None
            await ask(context, dialog, edit=pressed.message_id)
        await query.answer()
        return True
    if pending is not None:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return True
    return False


async def _answer_button(update: Update, context: BotContext, dialog: Dialog, form: Form, flow: Flow,
                         answers: AnswerSet, q: Question, action: str) -> None:
    """An option, yes or no, a quick answer, a box ticked, or ✔️ Valider: the value it stands for, recorded (or read
    back first for a question that confirms)."""
    query, pressed, who = update.callback_query, update.callback_query.message, esc(context.actor.name)
    value: Any = None
    index = int(action[1:]) if len(action) > 1 and action[1:].isdecimal() else -1
    if action.startswith("o") and q.kind is Kind.CHOICE and 0 <= index < len(q.options):
        value = q.options[index].key
    elif action in ("b0", "b1") and q.kind is Kind.YESNO:
        value = action == "b1"
    elif action.startswith("k") and 0 <= index < len(q.quick):
        try:
            value = read_answer(q, q.quick[index].key, context.now())
        except InvalidAnswer as err:
            await query.answer(str(err)[:190], show_alert=True)
            return
    elif action.startswith("m") and q.kind is Kind.MULTI and 0 <= index < len(q.options):
        progress = Progress(dialog)
        ticked = progress.ticked(q.key)
        chosen = list(ticked if ticked is not None else answers.values.get(q.key) or [])
        key = q.options[index].key
        chosen.remove(key) if key in chosen else chosen.append(key)
        progress.tick(q.key, chosen)
        await dialogs.save(context.db, dialog, context.now_iso())
        _, markup = _question(context, flow, form, dialog, answers, "", False)
        await query.answer()
        try:
            await query.edit_message_reply_markup(markup)
        except BadRequest:
            pass
        return
    elif action == "md" and q.kind is Kind.MULTI:
        ticked = Progress(dialog).ticked(q.key)
        value = list(ticked if ticked is not None else answers.values.get(q.key) or [])
        if not value:
            await query.answer("Cochez au moins une réponse, ou passez la question.", show_alert=True)
            return
    else:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    if q.confirm:
        Progress(dialog).pending = Pending(value)
        await ask(context, dialog, edit=pressed.message_id)
    else:
        await _accept(update, context, dialog, q, value, None, _recorded(q, value, who), pressed)
    await query.answer()


def _recorded(q: Question, value: Any, who: str) -> str:
    """The line that shows, above the next step, what a pressed button recorded and who pressed it."""
    return f"➡️ {esc(q.label)} : <b>{esc(display(q, value))}</b> ({who})"


async def _close(context: BotContext, message, text: str) -> None:
    """Turn a step's message into its outcome, without buttons (a new message if it cannot be edited)."""
    if await _edited(context, message.chat_id, message.message_id, text, None) is None:
        await send(context, message.chat_id, text)


async def _resolve(update: Update, context: BotContext):
    """The dialog, form, question (None for the summary) and action a button names, if it is still valid."""
    query = update.callback_query
    nothing = (None, None, None, None)
    pressed = read(query.data, "f", int, str, str)  # f:<dialog>:<question's index, or s for the summary>:<action>
    if pressed is None:
        return nothing
    dialog_id, step, action = pressed
    dialog = await dialogs.get(context.db, dialog_id)
    if dialog is None or dialog.form not in context.wiring.flows or query.message is None or dialog.chat_id != query.message.chat_id:
        return nothing
    if dialog.user_id is not None and dialog.user_id != context.actor.user_id:
        return nothing
    form = context.wiring.flows[dialog.form].form(dialog)
    if query.message.message_id != dialog.prompt_message_id:  # a button of another message: forged, or stale
        return nothing
    if step == "s":
        return (dialog, form, None, action) if dialog.position == "" else nothing
    if not (step.isascii() and step.isdecimal()) or int(step) >= len(form.questions):
        return nothing
    q = form.questions[int(step)]
    if dialog.position != q.key:
        return nothing
    return dialog, form, q, action


async def cancel_command(update: Update, context: BotContext) -> None:
    """Stop the guided exchange in progress in this chat (/annuler): the one replied to, else the sender's own."""
    dialog = await dialogs.find_for_message(context.db, update.effective_chat.id, context.actor.user_id,
                                            _replied_to_bot(update, context))
    if dialog is None:
        await reply(update, context, "Aucune saisie en cours ici.")
        return
    await reply(update, context, await cancel(context, dialog))
