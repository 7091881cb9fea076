"""Shared steps for end-to-end tests."""

from bot.fakeapi import Sent
from bot.sandbox import Sandbox


def texts_of(sent: list[Sent]) -> str:
    return "\n".join(s.text for s in sent)


async def register_candidate(sb: Sandbox, *, first="Marie", last="Dupont", profession="généraliste",
                             phone="06 12 34 56 78", source="ARS", interview="jeudi 14h", who="cls",
                             chat="equipe") -> list[Sent]:
    """Go through /nouveau with typical answers and confirm; returns what the bot sent last."""
    await sb.say(who, "/nouveau", chat)
    await sb.say(who, first, chat)
    await sb.say(who, last, chat)
    await sb.press(who, profession, chat)
    await (sb.say(who, phone, chat) if phone else sb.press(who, "Passer", chat))
    await sb.press(who, "Passer", chat)  # e-mail
    await sb.press(who, source, chat)
    await sb.press(who, "Aujourd'hui", chat)
    await sb.press(who, "Oui", chat)  # consent
    if interview:
        await sb.say(who, interview, chat)
        await sb.press(who, "Oui", chat)
    else:
        await sb.press(who, "Pas encore de date", chat)
    return await sb.press(who, "Confirmer", chat)
