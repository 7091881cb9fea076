"""How a poll reads: its draft, the group's tally, a site's poll and e-mail invitation, the lines of a day's plan."""

from __future__ import annotations

from datetime import UTC, datetime

from delivery import engine
from delivery.services import Services
from domain import emails, texts
from domain.candidates import profession_label
from domain.dates import PARIS, format_datetime, format_time
from domain.interview import INTERVIEW
from domain.polls import ANSWERS, Slot, StopSite, slot_label, tally
from handlers import mail
from handlers.common import esc, keyboard
from storage import candidates, interviews, polls, sites
from storage.polls import Poll

ANSWER_CODES = {"o": "oui", "s": "si_besoin", "n": "non"}



def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def local(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(PARIS)


async def what_is_asked(db, candidate) -> str:
    """The poll's description for sites: profession, kind of project, period; nothing personal."""
    answers = {a.question: a.value for a in await interviews.answers(db, candidate.id) if not a.skipped}
    bits = []
    if answers.get("exercice") in ("isole", "regroupe"):
        bits.append("exercice " + ("isolé" if answers["exercice"] == "isole" else "regroupé"))
    if answers.get("modes"):
        modes = INTERVIEW.question("modes")
        bits.append(", ".join(modes.option_label(m).lower() for m in answers["modes"]))
    if answers.get("calendrier"):
        bits.append("installation à " + INTERVIEW.question("calendrier").option_label(answers["calendrier"]).split(" (")[0].lower())
    details = f" ({', '.join(bits)})" if bits else ""
    return f"Un·e {profession_label(candidate).lower()}{details} souhaite visiter votre lieu d'exercice."


async def told_sites(db, poll: Poll) -> str:
    """What the sites were told: kept with the poll when it was sent."""
    if poll.asked is not None:
        return poll.asked

    async def asked() -> str:
        return await what_is_asked(db, await candidates.get(db, poll.candidate_id))
    # a poll sent before the text was kept: made again, once (a site's every press does not read the interview)
    return await db.remembered(f"sondage-demande:{poll.id}", asked)


# --- texts and keyboards ----------------------------------------------------------------------------------

async def poll_state(db, poll: Poll):
    slot_rows = await polls.slots(db, poll.id)
    slot_objs = [Slot(s.id, s.day, s.part) for s in slot_rows]
    poll_sites = await polls.poll_sites(db, poll.id)
    site_rows = {s.id: s for s in await sites.all_sites(db)}
    invited = {ps.site_id: site_rows[ps.site_id].name for ps in poll_sites if ps.invited and ps.site_id in site_rows}
    answers = await polls.answers(db, poll.id)
    return slot_objs, poll_sites, site_rows, invited, answers


async def draft_text(services: Services, poll: Poll) -> tuple[str, object]:
    db = services.db
    candidate = await candidates.get(db, poll.candidate_id)
    slot_objs, poll_sites, site_rows, _, _ = await poll_state(db, poll)
    lines = [f"📅 <b>Sondage de disponibilité — {esc(candidate.full_name)} (n° {candidate.id})</b> · brouillon", "",
             f"Ce que liront les lieux : <i>{esc(await what_is_asked(db, candidate))}</i>", "",
             f"<b>Créneaux</b> ({len(slot_objs)})"]
    lines += [f"{i}. {s.label}" for i, s in enumerate(slot_objs, start=1)] or ["Aucun : ajoutez-en."]
    lines += ["", "<b>Lieux interrogés</b>"]
    on_telegram, emailing = await sites.contact_targets(db, "lieu"), mail.sends_mail(services.settings)
    for ps in poll_sites:
        site = site_rows[ps.site_id]
        if site.id in on_telegram:
            reach = "sur Telegram" + (" et par e-mail" if site.contact_email and emailing else "")
        elif site.contact_email and services.settings.public_url:
            reach = ("pas sur Telegram : lien personnel par e-mail" if emailing
                     else "pas sur Telegram : lien personnel, texte à envoyer fourni")
        else:
            reach = "pas sur Telegram : réponse à saisir par l'équipe"
        lines.append(f"{'✅' if ps.invited else '▫️'} {esc(site.name)} ({reach})")
    lines += ["", f"Réponse attendue avant le <b>{format_datetime(local(poll.deadline))}</b>"]
    cb = f"q:{poll.id}:"
    markup = keyboard([[("➕ Ajouter un créneau", f"{cb}add"), ("➖ Retirer un créneau", f"{cb}rm")],
                       [("🏥 Lieux", f"{cb}sites"), ("⏳ Échéance", f"{cb}dl")],
                       [("📤 Envoyer le sondage", f"{cb}send"), ("✖️ Abandonner", f"{cb}drop")]])
    return "\n".join(lines), markup


async def tally_text(services: Services, poll: Poll) -> tuple[str, object]:
    db = services.db
    candidate = await candidates.get(db, poll.candidate_id)
    slot_objs, poll_sites, site_rows, invited, answers = await poll_state(db, poll)
    plain = {k: v.answer for k, v in answers.items()}
    state = ("ouvert jusqu'au " + format_datetime(local(poll.deadline))) if poll.state == "open" else "clos"
    lines = [f"📊 <b>Sondage — {esc(candidate.full_name)} (n° {candidate.id})</b> · {state}", ""]
    for t in tally(slot_objs, invited, plain):
        line = f"<b>{t.slot.label}</b> : ✅ {len(t.yes)} · 🟡 {len(t.maybe)} · ❌ {len(t.no)}"
        if t.silent:
            line += f" — sans réponse : {esc(', '.join(t.silent))}"
        lines.append(line)
    lines += ["", "<b>Réponses</b>"]
    team = services.team
    for site_id, name in invited.items():
        theirs = [a for (slot, site), a in answers.items() if site == site_id]
        if not theirs:
            lines.append(f"• {esc(name)} : pas encore")
            continue
        last = max(theirs, key=lambda a: a.at)
        if last.channel == "web":
            who = f"{last.by_name or 'sans nom'} (lien web)"
        elif last.by_team:
            who = f"saisi par {team.name(last.by_user)} (téléphone ou e-mail)"
        else:
            who = f"{await _contact_name(db, site_id, last.by_user)} (Telegram)"
        lines.append(f"• {esc(name)} : {esc(who)}, le {local(last.at).strftime('%d/%m %H:%M')}")
    for ps in poll_sites:
        if ps.comment and ps.site_id in invited:
            lines.append(f"💬 {esc(invited[ps.site_id])} : « {esc(ps.comment)} »")
    cb = f"q:{poll.id}:"
    if poll.state == "open":
        markup = keyboard([[("🔒 Clore maintenant", f"{cb}close"), ("⏳ Prolonger", f"{cb}dl")],
                           [("➕ Ajouter un créneau", f"{cb}add"), ("✍️ Saisir une réponse", f"{cb}enter")]])
    else:
        markup = None
    return "\n".join(lines), markup


async def _contact_name(db, site_id: int, user_id: int) -> str:
    for contact in await sites.contacts_of(db, "lieu", site_id):
        if contact.user_id == user_id:
            return contact.name
    return "un contact du lieu"


async def site_poll_text(services: Services, poll: Poll, site_id: int, *, for_team: bool = False,
                         slot_rows: list | None = None) -> tuple[str, object]:
    """The poll as a site (or a team member entering its answer) sees it: one line per slot, current answers."""
    db = services.db
    description = await told_sites(db, poll)
    site = await sites.get(db, site_id)
    slot_objs = [Slot(s.id, s.day, s.part) for s in slot_rows or await polls.slots(db, poll.id)]
    answers = await polls.answers(db, poll.id)
    head = (f"✍️ <b>Réponse de « {esc(site.name)} » saisie par l'équipe</b> (prise par téléphone ou e-mail)"
            if for_team else f"📅 <b>Demande de disponibilité — {esc(site.name)}</b>")
    lines = [head, "", esc(description),
             "La CPTS du Grand Lons et le CLS du Pays Lédonien organisent les visites. Quels créneaux vous conviennent ?",
             f"Réponse attendue avant le <b>{format_datetime(local(poll.deadline))}</b> ; vous pouvez changer vos "
             f"réponses jusque-là.", ""]
    rows = []
    for slot in slot_objs:
        current = answers.get((slot.id, site_id))
        lines.append(f"{slot.label} : {ANSWERS[current.answer] if current else '—'}")
        cb = f"p:{poll.id}:{site_id}:{slot.id}:"
        mark = lambda code: "● " if current and current.answer == ANSWER_CODES[code] else ""  # noqa: E731
        short = f"{slot.day.day}/{slot.day.month:02d}"
        rows.append([(f"{mark('o')}✅ {short}", f"{cb}o"), (f"{mark('s')}🟡 {short}", f"{cb}s"),
                     (f"{mark('n')}❌ {short}", f"{cb}n")])
    if not for_team:
        rows.append([("💬 Ajouter un commentaire", f"p:{poll.id}:{site_id}:c")])
    if poll.state != "open":
        lines += ["", "🔒 Ce sondage est clos. Merci !"]
        rows = []
    return "\n".join(lines), keyboard(rows)


async def invitation_draft(services: Services, poll: Poll, site) -> emails.Draft:
    """The e-mail inviting a site to answer the poll: what the sites were told, the slots, the deadline."""
    slots = [slot_label(r.day, r.part) for r in await polls.slots(services.db, poll.id)]
    description = await told_sites(services.db, poll)
    return emails.poll_invitation(site.name, description, slots, format_datetime(local(poll.deadline)))


def late_note(r, now: datetime, what: str) -> str:
    """For a notice the engine sends late (Telegram was failing, or the bot stopped): when it happened."""
    said = local(r.created_at)
    return f"\n<i>{what} le {format_datetime(said)}.</i>" if now - said > engine.LATE_AFTER else ""


def stop_site(site) -> StopSite:
    return StopSite(site.id, site.name, site.commune, site.epci)


def plan_lines(plan) -> list[str]:
    return [f"• {format_time(s.starts)}–{format_time(s.ends)} : {esc(s.site.name + ' (' + s.site.commune + ')') if s.site else 'débriefing du soir à la CPTS (temps 2)'}"
            for s in plan]


async def site_unreachable(app, r, error: str) -> None:
    """A site contact who blocked the bot (or never opened it) does not get its poll or its visit: the team calls."""
    await engine.tell(app, engine.services_of(app).settings.team_chat_id,
                      texts.PRIVATE_UNREACHABLE.format(name=esc(r.text)))
