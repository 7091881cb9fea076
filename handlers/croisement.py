"""Step C: the croisement des données — ranked sites for a candidate, the team's choice of sites to contact,
and the notice to the élus of the communes concerned (sent only once a team member approves it).

Notice buttons: ``e:<notice id>:send|drop``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from telegram import Update

from delivery import engine
from delivery.kinds import MessageKind
from delivery.markup import pair, who
from delivery.services import Services
from domain import emails
from domain.callbacks import read
from domain.candidates import profession_label
from domain.dates import MONTHS, format_date, normalise
from domain.forms import Form, Kind, Option, Question, availability_of
from domain.interview import INTERVIEW, open_to_dynamics
from domain.matching import SITE_TYPES, Crossing, Match, Wishes, cross
from domain.pipeline import Status, check_transition, deadline_note
from domain.reminders import label
from domain.sites import facts
from domain.territory import EPCI_LABELS, name_key
from domain.weblinks import elu_link_expiry
from handlers import dossiers, mail
from handlers.common import after_change, append_note, audit, esc, keyboard, send, send_private
from handlers.context import BotContext
from handlers.dialog import AnswerSet, Flow, begin, state_of
from handlers.wiring import CardButton, Provides
from storage import candidates, interviews, privacy, reminders, sites, territory, weblinks
from storage.dialogs import Dialog
from storage.reminders import Reminder

CROSSABLE = (Status.ENTRETIEN_FAIT, Status.CROISEMENT, Status.EN_REFLEXION)


async def wishes_of(context: BotContext, candidate) -> Wishes:
    answers = {a.question: a.value for a in await interviews.answers(context.db, candidate.id) if not a.skipped}
    communes = re.split(r"\s*(?:,|;|\bet\b)\s*", answers.get("communes") or "")
    needs = normalise(f"{answers.get('besoins') or ''} {answers.get('locaux') or ''}")
    return Wishes(
        profession=candidate.profession, profession_label=profession_label(candidate),
        modes=frozenset(answers.get("modes") or []), territories=frozenset(answers.get("territoires") or []),
        communes=frozenset(name_key(c) for c in communes if c.strip()), practice=answers.get("exercice"),
        pluripro=answers.get("equipe_pluripro"), needs_premises=bool(answers.get("locaux")),
        needs_secretariat="secretariat" in needs, open_to_dynamics=open_to_dynamics(answers),
    )


async def crossing_for(context: BotContext, candidate) -> tuple[Wishes, Crossing]:
    since = (context.now() - timedelta(days=365)).astimezone(UTC).isoformat(timespec="seconds")
    exposure = await sites.exposure(context.db, since)
    wishes = await wishes_of(context, candidate)
    return wishes, cross(wishes, [facts(s) for s in await sites.all_sites(context.db)], exposure, seed=candidate.id)


# The best matches only: a keyboard holds at most 100 buttons, and a list past twenty sites is not read.
SHOWN_RANKED, SHOWN_DYNAMICS = 15, 5


def _entry(number: int, m: Match) -> list[str]:
    s = m.site
    lines = [f"{number}. <b>{esc(s.name)}</b> — {SITE_TYPES.get(s.type, s.type)}, {esc(s.commune)} "
             f"({EPCI_LABELS.get(s.epci, s.epci)}) · score {m.score}"]
    if m.matched:
        lines.append(f"   ✅ {esc(' ; '.join(m.matched))}")
    missed = m.hard_missed + m.missed
    if missed:
        lines.append(f"   ❌ {esc(' ; '.join(missed))}")
    if s.dynamique and m.hard_missed:
        lines.append(f"   ✨ {esc(s.dynamique)}")
    lines.append(f"   📊 proposé {m.proposed} fois, contacté {m.contacted} fois en 12 mois")
    return lines


def render_crossing(candidate, wishes: Wishes, crossing: Crossing, today: date) -> tuple[str, list[Match]]:
    """The ranked list as the team reads it, and the matches in the order they are numbered."""
    asked = [wishes.profession_label.lower()]
    if wishes.modes:
        asked.append(", ".join(INTERVIEW.question("modes").option_label(m).lower() for m in sorted(wishes.modes)))
    territories = wishes.territories - {"tout"}
    asked.append(", ".join(EPCI_LABELS.get(t, t) for t in sorted(territories)) if territories else "tout le territoire")
    if wishes.practice in ("isole", "regroupe"):
        asked.append("exercice " + ("isolé" if wishes.practice == "isole" else "regroupé"))
    if wishes.pluripro == "oui":
        asked.append("équipe pluriprofessionnelle")
    lines = [f"🔎 <b>Croisement des données — {esc(candidate.full_name)} (n° {candidate.id})</b>", esc(" · ".join(asked))]
    if candidate.croisement_due:
        due = date.fromisoformat(candidate.croisement_due)
        lines.append(f"Délai : avant le {format_date(due)}" + (" ⚠️ dépassé" if due < today else deadline_note(due)))
    numbered: list[Match] = []
    lines += ["", f"<b>Lieux qui cochent les critères</b> ({len(crossing.ranked)})"]
    if not crossing.ranked:
        lines.append("Aucun lieu ne recherche ce profil avec ces modes d'exercice.")
    for m in crossing.ranked[:SHOWN_RANKED]:
        numbered.append(m)
        lines += _entry(len(numbered), m)
    if len(crossing.ranked) > SHOWN_RANKED:
        lines.append(f"<i>… et {len(crossing.ranked) - SHOWN_RANKED} autre(s) lieu(x) qui cochent aussi les critères, "
                     f"moins bien classé(s) : précisez les souhaits du candidat pour affiner.</i>")
    if crossing.dynamics:
        lines += ["", "<b>Ne cochent pas tous les critères mais portent une belle dynamique</b>"]
        for m in crossing.dynamics[:SHOWN_DYNAMICS]:
            numbered.append(m)
            lines += _entry(len(numbered), m)
    if crossing.left_out:
        lines += ["", f"<i>{crossing.left_out} autre(s) lieu(x) écarté(s) : profession non recherchée ou mode non proposé.</i>"]
    lines += ["", "Cochez les lieux à contacter, puis ✔️ Valider." if numbered else "Passez pour enregistrer le croisement."]
    return "\n".join(lines), numbered


@dataclass(frozen=True)
class Proposal:
    """A site the croisement proposed: its number in the list, its name, its score and its section."""

    site: int
    name: str
    score: float
    section: str  # "criteres" (meets the criteria) or "dynamique" (a dynamic place short of some)


@dataclass(frozen=True)
class Croisement:
    """The ranked sites shown to the team, as they were when the croisement opened (ticks refer to them)."""

    text: str
    proposed: list  # of Proposal (as JSON objects once stored)
    options: list | None = None  # a croisement opened before its proposals had names: [site, "n. name"] each

    def proposals(self) -> list[Proposal]:
        if self.options is not None:  # [site, score, section] beside [site, "n. name"]
            return [Proposal(site, label.split(". ", 1)[1], score, section)
                    for (site, score, section), (_, label) in zip(self.proposed, self.options, strict=True)]
        return [Proposal(**p) if isinstance(p, dict) else p for p in self.proposed]


def _form(dialog: Dialog) -> Form:
    croisement = state_of(dialog, Croisement)
    options = tuple(Option(str(p.site), f"{rank}. {p.name}"[:40])
                    for rank, p in enumerate(croisement.proposals(), start=1))
    return Form("croisement", "Croisement", (
        Question("sites", "Lieux à contacter", croisement.text, Kind.MULTI, options, optional=True),
    ))


async def _header(context: BotContext, dialog: Dialog) -> str:
    return ""


async def _done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    candidate = await candidates.get(context.db, dialog.subject_id)
    chosen = {int(k) for k in answers.values.get("sites") or []}
    today = context.now().date()
    due = date.fromisoformat(candidate.croisement_due) if candidate.croisement_due else None
    on_time = due is None or today <= due
    proposals = state_of(dialog, Croisement).proposals()
    proposed = [(p.site, rank, p.score, p.section) for rank, p in enumerate(proposals, start=1)]
    names = [p.name for p in proposals if p.site in chosen]
    timing = "dans les délais" if on_time else f"en retard, dû le {format_date(due)}"
    status = Status(candidate.status)
    target = Status.CROISEMENT if status is not Status.CROISEMENT else None
    if target:
        check_transition(status, target)
    at, by = context.now_iso(), context.actor.user_id
    draft = f"elus_croisement:{candidate.id}:{at}"  # the élus' draft, queued with the croisement
    also = [candidates.touch_statement(candidate.id, at=at, status=target),
            candidates.event_statement(candidate.id, by=by, at=at, kind="croisement",
                                       detail=f"Croisement des données fait ({timing}) : {len(chosen)} lieu(x) à "
                                              f"contacter" + (f" — {', '.join(names)}" if names else ""))]
    if chosen:
        also.append(reminders.create_statement(kind="elus_croisement", key=draft, once=True, candidate_id=candidate.id,
                                               chat_id=dialog.chat_id, due_at=at, exact=True, at=at, created_by=by))
    await sites.record_croisement(context.db, candidate.id, proposed=proposed, chosen=chosen, on_time=on_time,
                                  by=by, at=at, also=also)
    await after_change(context, candidate.id)
    await dossiers.send_card(context, dialog.chat_id, candidate.id,
                           intro=f"✅ Croisement enregistré ({timing}). Lieux à contacter : "
                                 f"{esc(', '.join(names)) if names else 'aucun'}.")
    if chosen:
        await engine.deliver_now(context.application, *await reminders.ids_of(context.db, [draft]))


async def _render_elus_draft(services, r, now) -> tuple | None:
    """The élus' draft after a croisement, for the sites chosen then; None once a later croisement replaced it."""
    croisement = await sites.croisement_of(services.db, r.candidate_id)
    chosen = set(await sites.chosen_sites(services.db, r.candidate_id))
    if croisement is None or croisement["done_at"] != r.created_at or not chosen:
        return None
    candidate = await candidates.get(services.db, r.candidate_id)
    return await notice_draft(services, candidate, chosen, period=None, by=r.created_by, once=f"elus:projet:{r.id}")


CROISEMENT_FLOW = Flow(name="croisement", form=_form, complete=_done, header=_header, summary=False)


async def open_croisement(update: Update, context: BotContext, candidate) -> None:
    """Show the ranked sites for a candidate whose interview is done, and let the team pick."""
    chat_id = update.effective_chat.id
    if Status(candidate.status) not in CROSSABLE:
        await send(context, chat_id, f"Le croisement se fait après l'entretien : le dossier n° {candidate.id} est à "
                                     f"l'étape « {Status(candidate.status).label} ».")
        return
    await audit(context, "consultation", candidate_id=candidate.id, detail="croisement")
    wishes, crossing = await crossing_for(context, candidate)
    text, numbered = render_crossing(candidate, wishes, crossing, context.now().date())
    section = {id(m): "criteres" for m in crossing.ranked} | {id(m): "dynamique" for m in crossing.dynamics}
    proposed = [Proposal(m.site.id, m.site.name, m.score, section[id(m)]) for m in numbered]
    await begin(update, context, "croisement", subject_id=candidate.id, state=Croisement(text, proposed))


async def croisement_command(update: Update, context: BotContext) -> None:
    """/croisement N: cross the candidate's wishes with the practice sites."""
    candidate = await dossiers.numbered_candidate(update, context, "croisement")
    if candidate is None:
        return
    await open_croisement(update, context, candidate)


# --- the élus' notice ---------------------------------------------------------------------------------

def visit_period(days: list[date], today: date) -> str:
    """When visits may happen, from the availabilities given at the interview, without any other detail."""
    days = sorted(d for d in days if d >= today)
    if not days:
        return "dans les prochaines semaines"
    first, last = days[0], days[-1]
    if (first.year, first.month) == (last.year, last.month):
        return f"en {MONTHS[first.month - 1]} {first.year}"
    return f"entre {MONTHS[first.month - 1]} {first.year} et {MONTHS[last.month - 1]} {last.year}"


def _utc(moment) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def notice_text(candidate, site_names: list[str], period: str) -> str:
    """What an élu is told: the first name only if the candidate agreed to share it, the profession, the period,
    the sites."""
    profession = profession_label(candidate).lower()
    shared = candidate.consent and candidate.consent_share
    who = f"{candidate.first_name}, {profession}," if shared else f"un·e professionnel·le de santé ({profession})"
    return (f"Bonjour,\nLe CLS du Pays Lédonien et la CPTS du Grand Lons accompagnent {who} qui envisage de "
            f"s'installer sur notre territoire. Des visites sont prévues {period} : {', '.join(site_names)}.\n"
            f"Nous vous tiendrons informé·e de la suite. Ce que la commune peut proposer (locaux, logement, emploi du "
            f"conjoint, accueil des enfants) nous intéresse.\nL'équipe du CLS du Pays Lédonien et de la CPTS du Grand Lons")


async def _period(services, candidate) -> str:
    answers = {a.question: a.value for a in await interviews.answers(services.db, candidate.id) if not a.skipped}
    days = [d for d, _ in availability_of(answers.get("disponibilites")).days]
    return visit_period(days, services.clock.now().date())


async def _recipients(db, chosen: set[int]):
    """Each élu of the chosen sites' communes or EPCI, with the sites that concern them."""
    chosen_sites = [s for s in await sites.all_sites(db) if s.id in chosen]
    elus = await territory.elus_for(db, sorted({s.commune_id for s in chosen_sites}),
                                    sorted({s.epci for s in chosen_sites}))
    out = []
    for elu in elus:
        theirs = [s for s in chosen_sites if s.commune_id == elu.commune_id or (elu.epci and s.epci == elu.epci)]
        out.append((elu, [f"{s.name} ({s.commune})" for s in theirs]))
    return out


async def notice_draft(services, candidate, chosen: set[int], *, period: str | None, by: int,
                       once: str | None = None) -> tuple[str, object]:
    """The élus' notice drafted for the chosen sites (its row made), as the team's message to approve it, with
    its buttons. With ``once``, a key: the same row again each time (a queued message sent again after a failure
    drafts nothing twice)."""
    db = services.db
    recipients = await _recipients(db, chosen)
    if not recipients:
        return ("🏛 Aucun élu enregistré pour les communes de ces lieux : ajoutez-les avec /elu_ajouter pour pouvoir "
                "les informer des visites."), None
    period = period or await _period(services, candidate)
    all_sites = sorted({name for _, names in recipients for name in names})
    text = notice_text(candidate, all_sites, period)
    kept = await privacy.get_kv(db, once) if once else None
    if kept is not None:
        notice_id = int(kept)
    else:
        notice_id = await sites.create_notice(db, candidate.id, text, by=by, at=services.clock.utc_iso(), period=period,
                                              site_ids=sorted(chosen))
        if once:
            await privacy.set_kv(db, once, str(notice_id))
    on_telegram, by_mail, by_hand = [], [], []
    emailing = mail.sends_mail(services.settings) or bool(services.settings.public_url)
    for elu, _ in recipients:
        if await sites.contacts_of(db, "elu", elu.id):
            on_telegram.append(elu)
        else:
            (by_mail if elu.email and emailing else by_hand).append(elu)
    lines = ["🏛 <b>Information des élus</b> — projet de message (chaque élu ne reçoit que les lieux de sa commune "
             "ou de son EPCI) :", "", f"<i>{esc(text)}</i>", ""]
    if on_telegram:
        lines.append("Sur Telegram : " + esc(", ".join(f"{e.name} ({e.mandate})" for e in on_telegram)))
    if by_mail:
        how = "Par e-mail" if mail.sends_mail(services.settings) else "Par e-mail, texte à coller fourni ici"
        lines.append(f"{how}, avec un lien personnel : " + esc(", ".join(f"{e.name} ({e.mandate})" for e in by_mail)))
    if by_hand:
        lines.append("À prévenir par e-mail ou SMS :")
        lines += [f"• {esc(e.name)} ({esc(e.mandate)}) — {esc(' · '.join(filter(None, (e.phone, e.email))) or 'aucun contact')}"
                  for e in by_hand]
    label = "✅ Envoyer aux élus" + (" sur Telegram" if not by_mail else "")
    buttons = [[(label, f"e:{notice_id}:send")]] if on_telegram or by_mail else []
    buttons.append([("✖️ Ne pas envoyer", f"e:{notice_id}:drop")])
    return "\n".join(lines), keyboard(buttons)


async def on_notice_button(update: Update, context: BotContext) -> None:
    """A team member approves (or drops) the élus' notice."""
    query = update.callback_query
    pressed = read(query.data, "e", int, {"send", "drop"})
    row = await sites.notice(context.db, pressed[0]) if pressed else None
    if row is None or row["sent_at"] is not None:
        await query.answer("Ce message a déjà été traité.", show_alert=True)
        return
    if not await sites.approve_notice(context.db, row["id"], by=context.actor.user_id, at=context.now_iso()):
        await query.answer("Ce message a déjà été traité.", show_alert=True)
        return
    if pressed[1] == "drop":
        await query.answer("Non envoyé")
        await append_note(query, f"✖️ Non envoyé ({esc(context.actor.name)}).")
        return
    await query.answer("Envoi en cours")
    candidate = await candidates.get(context.db, row["candidate_id"])
    chosen = set(json.loads(row["site_ids"]))
    period = row["period"]
    sent, emailed, pasted = [], [], []
    for elu, names in await _recipients(context.db, chosen):
        contacts = await sites.contacts_of(context.db, "elu", elu.id)
        for contact in contacts:
            if await send_private(context, contact.user_id, contact.name, esc(notice_text(candidate, names, period))):
                sent.append(elu.name)
        if not contacts and elu.email and context.services.settings.public_url:
            draft = emails.elus_message(notice_text(candidate, names, period))
            link = await weblinks.ensure(context.db, purpose="elus", notice_id=row["id"], elu_id=elu.id,
                                         at=context.now_iso(),
                                         expires_at=_utc(elu_link_expiry(context.now())))
            if mail.mail_enabled(context.application):
                await mail.queue(context.application, key=f"elus:{row['id']}:{elu.id}", kind="elus", to=elu.email,
                                 draft=draft, link_id=link.id, chat_id=query.message.chat_id)
                emailed.append(elu.name)
            else:
                pasted.append(mail.ready_to_paste(elu.name, elu.email, draft,
                                                  await mail.mint_link(context.application, link.id)))
    await candidates.update(context.db, candidate.id, {}, by=context.actor.user_id, at=context.now_iso(), kind="elus",
                            detail=f"Élus informés sur Telegram : {', '.join(sent) or 'aucun'}"
                                   + (f" ; par e-mail : {', '.join(emailed)}" if emailed else ""))
    note = f"✉️ Envoyé par {esc(context.actor.name)} à : {esc(', '.join(sent + emailed) or 'personne')}."
    await append_note(query, note)
    if pasted:
        await send(context, query.message.chat_id, "📋 À envoyer depuis votre messagerie (lien personnel de chaque élu) :"
                                                   "\n\n" + "\n\n".join(pasted))
    await engine.reschedule(context.application)


async def elu_message(db, notice_id: int, elu_id: int) -> str | None:
    """What this élu was told in this validated notice (their page shows it again)."""
    row = await sites.notice(db, notice_id)
    if row is None or row["sent_at"] is None:
        return None
    candidate = await candidates.get(db, row["candidate_id"])
    for elu, names in await _recipients(db, set(json.loads(row["site_ids"]))):
        if elu.id == elu_id:
            return notice_text(candidate, names, row["period"])
    return None



async def _from_reminder(update: Update, context: BotContext, reminder) -> None:
    await update.callback_query.answer()
    await open_croisement(update, context, await candidates.get(context.db, reminder.candidate_id))


async def _from_card(update: Update, context: BotContext, candidate) -> None:
    await update.callback_query.answer()
    await open_croisement(update, context, candidate)


async def _render_reminder(services: Services, r: Reminder, now: datetime):
    """The croisement's reminders, at D+7 and D+10 after the interview."""
    candidate = await candidates.get(services.db, r.candidate_id)
    due = date.fromisoformat(candidate.croisement_due) if candidate.croisement_due else None
    done = date.fromisoformat(candidate.interview_done_at[:10])
    text = (f"🔎 <b>{label(r.kind)}</b> pour {who(candidate)} : entretien le {format_date(done)}, "
            f"croisement à faire avant le {format_date(due) if due else '—'}.\n👥 {pair(services.team)}")
    cb = f"r:{r.id}:"
    return engine.with_notes(services, r, now, text, [
        [(engine.done_label(services, r.kind, "✅ Croisement fait"), f"{cb}done")],
        [("⏰ Reporter", f"{cb}snooze"), ("🙋 Je m'en charge", f"{cb}mine")]])


def provides() -> Provides:
    """Step C: the croisement's form, card button and reminders, and the élus' draft it queues."""
    return Provides(
        flows=(CROISEMENT_FLOW,),
        card_buttons=(CardButton("🔎 Croisement", "cro", lambda c: Status(c.status) in CROSSABLE),),
        card_actions={"cro": _from_card},
        kinds=(
            *(MessageKind(kind, _render_reminder, done=_from_reminder, done_label="🔎 Faire le croisement")
              for kind in ("croisement_j7", "croisement_j10")),
            MessageKind("elus_croisement", _render_elus_draft),
        ),
    )
