"""Step C: recording that the croisement des données was done (the matching itself comes with the sites)."""

from __future__ import annotations

from datetime import date

from telegram import Update

from bot.context import BotContext
from bot.dates import format_date
from bot.pipeline import Status, TransitionError, check_transition
from handlers import candidates as step_a
from handlers import reminders as engine
from storage import candidates


async def record(update: Update, context: BotContext, candidate) -> None:
    """Mark the croisement done (on time or late against its 10-day deadline)."""
    query = update.callback_query
    try:
        check_transition(Status(candidate.status), Status.CROISEMENT)
    except TransitionError as err:
        await query.answer(str(err)[:190], show_alert=True)
        return
    today = context.now().date()
    due = date.fromisoformat(candidate.croisement_due) if candidate.croisement_due else None
    timing = "" if due is None else (" (dans les délais)" if today <= due else f" (en retard, dû le {format_date(due)})")
    await candidates.update(context.db, candidate.id, {}, by=context.actor.user_id, at=context.now_iso(),
                            kind="croisement", detail=f"Croisement des données fait{timing}", status=Status.CROISEMENT)
    await engine.after_change(context, candidate.id)
    await query.answer("Croisement enregistré")
    await step_a.send_card(context, update.effective_chat.id, candidate.id,
                           intro=f"✅ Croisement des données enregistré{timing}. Étape suivante : les visites "
                                 f"(/visites {candidate.id} date : lieux).")


async def _from_reminder(update: Update, context: BotContext, reminder) -> None:
    candidate = await candidates.get(context.db, reminder.candidate_id)
    await record(update, context, candidate)


engine.ACTIONS["croisement"] = _from_reminder
engine.ACTION_LABELS["croisement"] = "✅ Croisement fait"
