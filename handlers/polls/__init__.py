"""Availability polls instead of framadate, and the visit day they lead to (steps C–D).

The team prepares a poll from the croisement (slots from the interview's availabilities, the sites chosen, a
deadline), sends it; each site contact answers in private, one line per slot. One tally message in the team group
is edited in place, at most every few seconds however many answers arrive. Sites that have not answered are
reminded halfway and the day before the deadline; at the deadline the poll closes by itself and silent sites
become calls for the team. The best slot gives a draft itinerary; once the team confirms, sites get their time,
the team the day's plan and an .ics file, the élus a draft notice, and the candidate is "visites planifiées".

Callback data, never trusted:
  ``q:<poll>:<action>[:<n>]``             the team's buttons (draft, tally, results)
  ``p:<poll>:<site>:<slot>:<o|s|n>``      an answer for a site (its contact, or a team member entering it)
  ``p:<poll>:<site>:c`` / ``p:<poll>:<site>:x``   a comment; the site can no longer host the visit

What each module does: ``views`` how a poll reads; ``draft`` the team preparing it; ``sending`` sending it;
``site_answers`` the sites answering; ``live`` the messages already sent, kept current; ``closing`` the relances and
the deadline; ``day`` the visit day. The team's buttons are dispatched here, in one table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update

from domain.pipeline import Status
from handlers.common import pressed_card
from handlers.context import BotContext
from handlers.polls import closing, day, draft, sending, site_answers
from handlers.polls.closing import relance_keys
from handlers.polls.day import note_cannot_host
from handlers.polls.draft import clone_poll, start_poll
from handlers.polls.live import tally_due_after_crash
from handlers.polls.site_answers import COMMENT_LENGTH, answered_by_link, on_site_button
from handlers.polls.views import invitation_draft, tally_text, told_sites
from handlers.wiring import CardButton, Provides
from storage import polls
from storage.polls import Poll

# what the application, the web link and the e-mails use
__all__ = ["COMMENT_LENGTH", "answered_by_link", "clone_poll", "invitation_draft", "note_cannot_host", "on_site_button",
           "on_team_button", "relance_keys", "start_poll", "tally_due_after_crash", "tally_text", "told_sites"]


def provides() -> Provides:
    """Polls and the visit day: the messages they queue, their deadlines, the card's button, the forms of a slot
    and a deadline, a site contact's comment."""
    return Provides(
        kinds=(*sending.KINDS, *closing.KINDS, *day.KINDS),
        hooks=(closing.DEADLINES,),
        at_start=(closing.relances_of_open_polls,),
        flows=(draft.CRENEAU_FLOW, draft.ECHEANCE_FLOW),
        waits=(site_answers.COMMENT,),
        card_buttons=(CardButton("📅 Sondage des lieux", "son",
                                 lambda c: c.status in (Status.CROISEMENT, Status.VISITES_PLANIFIEES)),),
        card_actions={"son": draft.from_card},
        outsider_text=(site_answers.on_outsider_text,),
    )


async def on_team_button(update: Update, context: BotContext) -> None:
    """The team's buttons on a poll's draft, tally or results: ``q:<poll>:<action>[:<n>]``."""
    query = update.callback_query
    pressed = await pressed_card(query, lambda poll_id: polls.get(context.db, poll_id),
                                 lambda poll: poll.chat_id == query.message.chat_id)  # where the team follows it
    if pressed is None:
        return
    poll, action, arg = pressed
    step = TEAM_ACTIONS.get((action, arg is not None))
    if step is None or poll.state not in step.states:  # forged, or the poll has moved on since
        await query.answer("Ce bouton n'est plus valable.", show_alert=True)
        return
    await step.run(update, context, poll, arg)


@dataclass(frozen=True)
class TeamAction:
    states: frozenset[str]  # the poll states in which the button does something
    run: Callable[[Update, BotContext, Poll, int | None], Awaitable[None]]


DRAFT, OPEN, CLOSED = frozenset({"draft"}), frozenset({"open"}), frozenset({"closed"})
PLANNED = frozenset({"planned"})
# (action, with a number?) -> what it does, and in which states of the poll
TEAM_ACTIONS: dict[tuple[str, bool], TeamAction] = {
    ("add", False): TeamAction(DRAFT | OPEN, draft.ask_slot),
    ("rm", False): TeamAction(DRAFT, draft.slots_to_remove),
    ("rm", True): TeamAction(DRAFT, draft.remove_slot),
    ("sites", False): TeamAction(DRAFT, draft.sites_to_invite),
    ("sites", True): TeamAction(DRAFT, draft.toggle_site),
    ("back", False): TeamAction(DRAFT, draft.back_to_draft),
    ("dl", False): TeamAction(DRAFT | OPEN, draft.ask_deadline),
    ("send", False): TeamAction(DRAFT, draft.send_from_draft),
    ("drop", False): TeamAction(DRAFT, draft.drop),
    ("close", False): TeamAction(OPEN, closing.close_now),
    ("enter", False): TeamAction(OPEN, site_answers.sites_to_enter),
    ("enter", True): TeamAction(OPEN, site_answers.enter_for),
    ("ok", True): TeamAction(CLOSED, day.confirm_day),
    ("pick", False): TeamAction(CLOSED, day.days_to_pick),
    ("reopen", False): TeamAction(CLOSED, draft.ask_deadline),
    ("gone", False): TeamAction(PLANNED, day.sites_gone),
    ("gone", True): TeamAction(PLANNED, day.site_gone),
    ("goneok", True): TeamAction(PLANNED, day.site_gone_confirmed),
    ("plan", False): TeamAction(PLANNED, day.plan_back),
}
