"""Shared steps for end-to-end tests."""

from sandbox.fakeapi import Sent
from sandbox.sandbox import Sandbox


def texts_of(sent: list[Sent]) -> str:
    return "\n".join(s.text for s in sent)


async def register_candidate(sb: Sandbox, *, first="Marie", last="Dupont", profession="généraliste",
                             phone="06 12 34 56 78", source="ARS", interview="jeudi 14h", who="cls",
                             chat="equipe", share=True) -> list[Sent]:
    """Go through /nouveau with typical answers and confirm; returns what the bot sent last."""
    await sb.say(who, "/nouveau", chat)
    await sb.say(who, first, chat)
    await sb.say(who, last, chat)
    await sb.press(who, profession, chat)
    await (sb.say(who, phone, chat) if phone else sb.press(who, "Passer", chat))
    await sb.press(who, "Passer", chat)  # e-mail
    await sb.press(who, source, chat)
    await sb.press(who, "Aujourd'hui", chat)
    await sb.press(who, "Oui", chat)  # consent to be followed
    await sb.press(who, "Oui" if share else "Non", chat)  # first name and profession shared with sites and élus
    if interview:
        await sb.say(who, interview, chat)
        await sb.press(who, "Oui", chat)
    else:
        await sb.press(who, "Pas encore de date", chat)
    return await sb.press(who, "Confirmer", chat)


async def skip_interview(sb: Sandbox, number: int = 1, who: str = "cls") -> list[Sent]:
    """Run /entretien N skipping every question, and confirm."""
    await sb.say(who, f"/entretien {number}")
    for _ in range(60):
        await sb.press(who, "Passer")
        if "Récapitulatif" in sb.last_text():
            break
    return await sb.press(who, "Confirmer")


async def to_croisement(sb: Sandbox) -> None:
    """Candidate n° 1 registered, interviewed (every question skipped) and moved to the croisement by hand."""
    await register_candidate(sb, interview=None)
    await skip_interview(sb)
    await sb.say("cls", "/dossier 1")
    await sb.press("cls", "Changer le statut")
    await sb.press("cls", "croisement")


async def to_follow_up(sb: Sandbox, visit_day: str = "jeudi 3 décembre") -> None:
    """Candidate n° 1 from registration to the follow-up stage, through the chat."""
    await to_croisement(sb)
    await sb.say("cls", f"/visites 1 {visit_day} : MSP de Conliège, Cabinet de Perrigny")
    await sb.say("cls", "/debrief 1")
    for answer in ("Accueil chaleureux", "Locaux trop petits", "Travailler en équipe", "Un logement"):
        await sb.say("cls", answer)
    await sb.press("cls", "Passer")  # no remote debrief appointment yet
    await sb.press("cls", "Confirmer")
    await sb.say("cls", "/debrief 1")
    for _ in range(4):
        await sb.press("cls", "Passer")
    await sb.press("cls", "Confirmer")
