"""Step C, the personal links: /lien N lists the links sent for candidate N's poll; each can be revoked, or
replaced by a new one (sent again by e-mail, or given here to paste)."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from delivery import engine
from domain.callbacks import read
from domain.dates import PARIS, format_datetime
from handlers import dossiers, mail
from handlers.common import esc, keyboard, reply, send
from handlers.context import BotContext
from handlers.polls import invitation_draft
from storage import polls, sites, weblinks


def _local(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(PARIS)


async def links_command(update: Update, context: BotContext) -> None:
    """/lien N: the personal links of candidate N's poll, with a button to revoke or renew each."""
    candidate = await dossiers.numbered_candidate(update, context, "lien")
    if candidate is None:
        return
    poll = await polls.latest_for(context.db, candidate.id)
    links = await weblinks.of_poll(context.db, poll.id) if poll else []
    if not links:
        await reply(update, context, f"Aucun lien personnel pour le dossier n° {candidate.id} : les liens partent avec "
                                     "le sondage (/sondage N), pour les lieux qui ont une adresse e-mail ou ne sont pas "
                                     "sur Telegram.")
        return
    lines = [f"🔗 <b>Liens personnels — sondage du dossier n° {candidate.id}</b>", ""]
    rows = []
    for n, link in enumerate(links, start=1):
        site = await sites.get(context.db, link.site_id)
        if link.revoked_at:
            state = f"révoqué le {format_datetime(_local(link.revoked_at))}"
        elif link.last_seen_at:
            state = f"ouvert le {format_datetime(_local(link.last_seen_at))}"
        else:
            state = "pas encore ouvert"
        lines.append(f"{n}. {esc(site.name)} : {state}")
        buttons = [(f"🔁 Nouveau lien {n}", f"w:{link.id}:n")]
        if not link.revoked_at:
            buttons.insert(0, (f"🚫 Révoquer {n}", f"w:{link.id}:r"))
        rows.append(buttons)
    lines += ["", "Révoquer : le lien n'ouvre plus rien. Nouveau lien : l'ancien n'ouvre plus rien, le nouveau part par "
                  "e-mail (ou s'affiche ici, à transmettre)."]
    await reply(update, context, "\n".join(lines), keyboard(rows))


async def on_link_button(update: Update, context: BotContext) -> None:
    """🚫 Révoquer or 🔁 Nouveau lien, from /lien N (team only; the data may be forged)."""
    query = update.callback_query
    pressed = read(query.data, "w", int, {"r", "n"})
    link = await weblinks.get(context.db, pressed[0]) if pressed and context.actor else None
    poll = await polls.get(context.db, link.poll_id) if link and link.poll_id else None
    if poll is None:
        await query.answer("Ce bouton n'est plus valable.", show_alert=True)
        return
    site = await sites.get(context.db, link.site_id)
    if pressed[1] == "r":
        if not await weblinks.revoke(context.db, link.id, by=context.actor.user_id, at=context.now_iso()):
            await query.answer("Ce lien est déjà révoqué.", show_alert=True)
            return
        await query.answer("Lien révoqué")
        await send(context, query.message.chat_id, f"🚫 Le lien de « {esc(site.name)} » est révoqué ({esc(context.actor.name)}) : "
                                                   "il n'ouvre plus rien.")
        return
    await weblinks.renew(context.db, link.id)
    await query.answer("Nouveau lien")
    if site.contact_email and mail.mail_enabled(context.application) and poll.state == "open":
        draft = await invitation_draft(context.services, poll, site)
        await mail.queue(context.application, key=f"invitation:{poll.id}:{site.id}:{context.now_iso()}",
                         kind="invitation", to=site.contact_email, draft=draft, link_id=link.id, poll_id=poll.id,
                         site_id=site.id, chat_id=query.message.chat_id)
        await engine.reschedule(context.application)
        text = f"🔁 Nouveau lien pour « {esc(site.name)} », envoyé par e-mail à {esc(site.contact_email)} ; l'ancien n'ouvre plus rien."
    else:
        url = await mail.mint_link(context.application, link.id)
        text = (f"🔁 Nouveau lien pour « {esc(site.name)} » (l'ancien n'ouvre plus rien), à lui transmettre :\n"
                f"{esc(url)}")
    await send(context, query.message.chat_id, text)
