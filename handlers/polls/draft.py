"""The team prepares a poll: /sondage N, /sondage_cloner, the draft's buttons, and adding a slot or setting the
deadline (guided exchanges)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from telegram import Update
from telegram.error import BadRequest

from delivery import engine
from domain.dates import format_datetime, parse_availability
from domain.forms import Form, InvalidAnswer, Kind, Question, availability_of
from domain.messages import fit_html
from domain.pipeline import Status
from domain.polls import default_deadline, next_working_days, part_of, slot_label, slots_from
from handlers import dossiers
from handlers.common import edit_markup, keyboard, reply, send
from handlers.context import BotContext
from handlers.dialog import AnswerSet, Flow, begin, state_of
from handlers.polls.closing import plan_relances
from handlers.polls.live import post_draft, refresh, resend_to_sites
from handlers.polls.sending import send_poll
from handlers.polls.views import draft_text, tally_text, utc
from storage import candidates, interviews, polls, sites
from storage.dialogs import Dialog
from storage.polls import Poll


async def _answers_of(context: BotContext, candidate_id: int) -> dict:  # the interview's answers
    return {a.question: a.value for a in await interviews.answers(context.db, candidate_id) if not a.skipped}


async def start_poll(update: Update, context: BotContext) -> None:
    """/sondage N: prepare the availability poll of the sites chosen at the croisement."""
    candidate = await dossiers.numbered_candidate(update, context, "sondage")
    if candidate is None:
        return
    await open_poll(update, context, candidate)


async def open_poll(update: Update, context: BotContext, candidate, *, cloned_from: Poll | None = None) -> None:
    chat_id = update.effective_chat.id
    status = Status(candidate.status)
    if status not in (Status.CROISEMENT, Status.VISITES_PLANIFIEES):
        await send(context, chat_id, f"Le sondage se prépare après le croisement des données : le dossier n° "
                                     f"{candidate.id} est à l'étape « {status.label} ».")
        return
    current = await polls.current_for(context.db, candidate.id)
    if current is not None and cloned_from is None:
        text, markup = await (draft_text if current.state == "draft" else tally_text)(context.services, current)
        await send(context, chat_id, "Un sondage est déjà en cours pour ce candidat :\n\n" + text, markup)
        return
    site_ids = ([ps.site_id for ps in await polls.poll_sites(context.db, cloned_from.id) if ps.invited] if cloned_from
                else await sites.chosen_sites(context.db, candidate.id))
    if not site_ids:
        await send(context, chat_id, f"Aucun lieu n'a été retenu au croisement : faites d'abord /croisement {candidate.id}.")
        return
    today = context.now().date()
    availability = availability_of((await _answers_of(context, candidate.id)).get("disponibilites"))
    slots = slots_from(availability, today) or next_working_days(today)
    deadline = default_deadline(context.now(), context.services.settings.hours)
    poll_id = await polls.create(context.db, candidate_id=candidate.id, deadline=utc(deadline), chat_id=chat_id,
                                 by=context.actor.user_id, at=context.now_iso(), slots=slots, site_ids=site_ids,
                                 cloned_from=cloned_from.id if cloned_from else None)
    await post_draft(context, await polls.get(context.db, poll_id))


@dataclass(frozen=True)
class PollChange:
    """The poll a slot or a deadline is typed for."""

    poll: int


async def ask_slot(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    await update.callback_query.answer()
    await begin(update, context, "creneau", state=PollChange(poll.id))


async def ask_deadline(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    await update.callback_query.answer()
    await begin(update, context, "echeance", state=PollChange(poll.id))


async def slots_to_remove(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    query = update.callback_query
    await query.answer()
    rows = [[(slot_label(s.day, s.part), f"q:{poll.id}:rm:{s.id}")] for s in await polls.slots(context.db, poll.id)]
    await edit_markup(query, keyboard(rows + [[("⬅️ Retour", f"q:{poll.id}:back")]]))


async def remove_slot(update: Update, context: BotContext, poll: Poll, slot_id: int | None) -> None:
    removed = await polls.remove_slot(context.db, poll.id, slot_id)
    await update.callback_query.answer("Créneau retiré" if removed else "Ce créneau n'existe plus.", show_alert=not removed)
    await edit_draft(update.callback_query, context, poll)


async def sites_to_invite(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    query = update.callback_query
    await query.answer()
    rows = []
    for ps in await polls.poll_sites(context.db, poll.id):
        site = await sites.get(context.db, ps.site_id)
        rows.append([(f"{'✅' if ps.invited else '▫️'} {site.name}"[:40], f"q:{poll.id}:sites:{ps.site_id}")])
    await edit_markup(query, keyboard(rows + [[("⬅️ Retour", f"q:{poll.id}:back")]]))


async def toggle_site(update: Update, context: BotContext, poll: Poll, site_id: int | None) -> None:
    query = update.callback_query
    current = {ps.site_id: ps for ps in await polls.poll_sites(context.db, poll.id)}
    if site_id not in current:
        await query.answer("Ce lieu n'est pas dans le sondage.", show_alert=True)
        return
    await polls.set_invited(context.db, poll.id, site_id, not current[site_id].invited)
    await query.answer()
    await edit_draft(query, context, poll)


async def back_to_draft(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    await update.callback_query.answer()
    await edit_draft(update.callback_query, context, poll)


async def send_from_draft(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    if await send_poll(update, context, poll):
        await update.callback_query.answer("Sondage envoyé")
        await edit_markup(update.callback_query, None)
    else:
        await update.callback_query.answer()


async def drop(update: Update, context: BotContext, poll: Poll, _: int | None) -> None:
    await polls.update(context.db, poll.id, state="dropped")
    await update.callback_query.answer("Sondage abandonné")
    await edit_markup(update.callback_query, None)


async def edit_draft(query, context: BotContext, poll: Poll) -> None:
    text, markup = await draft_text(context.services, await polls.get(context.db, poll.id))
    try:
        await query.edit_message_text(fit_html(text), reply_markup=markup)
    except BadRequest:
        pass


# --- adding a slot, setting the deadline (guided exchanges) ---------------------------------------------------

SLOT_QUESTION = Question("slot", "Créneau", "Quel(s) <b>créneau(x)</b> ajouter ?", Kind.TEXT,
                         hint="Par exemple « mardi 12 janvier matin », « 15 et 16 janvier », « samedi 9 janvier ».")
DEADLINE_QUESTION = Question("deadline", "Échéance", "Nouvelle <b>échéance</b> du sondage ?", Kind.MOMENT, future=True,
                             default_time=time(18, 0), hint="Par exemple « vendredi 18h », « le 4 décembre ».")


async def _check_slot(context: BotContext, dialog: Dialog, question, value):
    found = parse_availability(value, context.now())
    if not found.days:
        raise InvalidAnswer(f"Je n'ai pas reconnu de date à venir dans « {value} ».")
    return [[d.isoformat(), part_of(p)] for d, p in found.days]


async def _slot_done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    poll = await polls.get(context.db, state_of(dialog, PollChange).poll)
    # a slot added by the team is kept even on a weekend or a holiday: it was chosen on purpose
    added = await polls.add_slots(context.db, poll.id, [(date.fromisoformat(d), p) for d, p in answers.values["slot"]])
    if poll.state == "open":
        await resend_to_sites(context, poll)
    await refresh(context, poll, f"➕ {added} créneau(x) ajouté(s) ; les réponses déjà données sont gardées.")


async def _deadline_done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    poll = await polls.get(context.db, state_of(dialog, PollChange).poll)
    when = datetime.fromisoformat(answers.values["deadline"])
    if poll.state == "closed":  # extended after closing: answers are kept, sites may answer again
        changed = await polls.reopen(context.db, poll.id, deadline=utc(when))
    elif poll.state in ("draft", "open"):
        await polls.update(context.db, poll.id, deadline=utc(when))
        changed = True
    else:
        changed = False
    if not changed:  # the day was confirmed (or the poll dropped) while the date was being typed
        await send(context, dialog.chat_id, "Ce sondage n'est plus ouvert (journée confirmée ou sondage abandonné) : "
                                            "l'échéance n'a pas été changée.")
        return
    poll = await polls.get(context.db, poll.id)
    if poll.state == "open":
        await plan_relances(context.application, poll)
        await resend_to_sites(context, poll)
    await engine.reschedule(context.application)
    await refresh(context, poll, f"⏳ Échéance : {format_datetime(when)}.")


async def _header(context: BotContext, dialog: Dialog) -> str:
    return "📅 <b>Sondage de disponibilité</b>"


CRENEAU_FLOW = Flow(name="creneau", form=lambda d: Form("creneau", "Créneau", (SLOT_QUESTION,)), complete=_slot_done,
              header=_header, summary=False, check=_check_slot)
ECHEANCE_FLOW = Flow(name="echeance", form=lambda d: Form("echeance", "Échéance", (DEADLINE_QUESTION,)),
              complete=_deadline_done, header=_header, summary=False)


async def clone_poll(update: Update, context: BotContext) -> None:
    """/sondage_cloner P N: a new poll for candidate N with the sites of poll P, slots from N's availability."""
    args = context.args or []
    usage = "Usage : /sondage_cloner P N — reprend les lieux du sondage P pour le candidat n° N."
    # each number read as /dossier N reads its own (digits only, and no longer than ours: SQLite refuses huge ones)
    numbers = [dossiers.candidate_number([arg]) for arg in args] if len(args) == 2 else [None]
    if None in numbers:
        await reply(update, context, usage)
        return
    poll_number, candidate_number = numbers
    source = await polls.get(context.db, poll_number)
    if source is None:
        await reply(update, context, f"Aucun sondage n° {poll_number}. {usage}")
        return
    candidate = await candidates.get(context.db, candidate_number)
    if candidate is None:
        await reply(update, context, f"Aucun dossier n° {candidate_number}. Tapez /dossiers pour la liste.")
        return
    current = await polls.current_for(context.db, candidate.id)
    if current is not None and current.state in ("draft", "open"):
        await polls.update(context.db, current.id, state="dropped")
    await open_poll(update, context, candidate, cloned_from=source)


async def from_card(update: Update, context: BotContext, candidate) -> None:
    await update.callback_query.answer()
    await open_poll(update, context, candidate)

