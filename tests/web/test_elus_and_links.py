"""Élus reached by e-mail with a personal link to their message, and the team's /lien: revoke, renew."""

from __future__ import annotations

import html
from datetime import timedelta

import httpx

from storage import outbox
from tests.support import texts_of
from tests.web.conftest import link_in, text_of
from tests.web.test_poll_page import MACORNAY, prepared

MAIRIE = "mairie@macornay.fr"


async def add_elu_with_email(sb, name: str, commune: str, email: str) -> None:
    await sb.say("cls", "/elu_ajouter")
    await sb.say("cls", name)
    await sb.say("cls", "Maire")
    await sb.press("cls", "Une commune")
    await sb.say("cls", commune)
    await sb.press("cls", "Passer")  # no phone
    await sb.say("cls", email)
    await sb.press("cls", "Confirmer")


async def test_an_elu_without_telegram_gets_the_validated_message_by_email_with_a_link(web, mailbox):
    await add_elu_with_email(web, "Marc Petit", "Macornay", MAIRIE)
    await prepared(web)
    draft = next(t for t in web.texts() if t.startswith("🏛 Information des élus"))
    assert "Par e-mail, avec un lien personnel : Marc Petit (Maire)" in draft
    assert mailbox.to(MAIRIE) == []  # nothing leaves before the team validates
    notice = next(m for m in web.api.visible(web.settings.team_chat_id) if m.get("text", "").startswith("🏛 Information des élus"))
    (send,) = [b["callback_data"] for row in notice["reply_markup"]["inline_keyboard"] for b in row
               if b["text"].startswith("✅ Envoyer aux élus")]
    await web.press_data("cls", send, message_id=notice["message_id"])
    await web.advance(timedelta(seconds=5))
    (mail,) = mailbox.to(MAIRIE)
    body = text_of(mail)
    assert "Cabinet de Macornay (Macornay)" in body and "Dupont" not in body and "Conliège" not in body
    async with httpx.AsyncClient() as client:
        page = await client.get(link_in(mail))
    shown = html.unescape(page.text)
    assert page.status_code == 200 and "Information des élus" in shown and "Cabinet de Macornay (Macornay)" in shown
    assert "Dupont" not in shown and "06 12" not in shown


async def test_the_team_revokes_a_link_then_gives_a_new_one(web, mailbox):
    await prepared(web)
    first = link_in(mailbox.to(MACORNAY)[0])
    listing = texts_of(await web.say("cls", "/lien 1"))
    assert "1. Cabinet de Macornay : pas encore ouvert" in listing and listing.count("Macornay") == 1
    assert "Conliège" not in listing  # on Telegram only: no link was made for it
    async with httpx.AsyncClient() as client:
        checked = await client.head(first)  # an e-mail client or a link scanner checking it: nobody opened it
        assert checked.status_code == 200 and checked.content == b""
        assert "1. Cabinet de Macornay : pas encore ouvert" in texts_of(await web.say("cls", "/lien 1"))
        assert (await client.get(first)).status_code == 200
        assert "1. Cabinet de Macornay : ouvert le" in texts_of(await web.say("cls", "/lien 1"))
        out = texts_of(await web.press("cls", "🚫 Révoquer 1"))
        assert "est révoqué" in out
        revoked = await client.get(first)
        assert revoked.status_code == 404 and "Macornay" not in revoked.text

        await web.say("cls", "/lien 1")
        out = texts_of(await web.press("cls", "🔁 Nouveau lien 1"))
        assert f"envoyé par e-mail à {MACORNAY}" in out
        await web.advance(timedelta(seconds=5))
        second = link_in(mailbox.to(MACORNAY)[-1])
        assert second != first and len(mailbox.to(MACORNAY)) == 2
        assert (await client.get(second)).status_code == 200
        assert (await client.get(first)).status_code == 404
    forged = await web.press_data("cls", "w:999:r")
    assert forged[-1].text == "Ce bouton n'est plus valable."
    assert [m.state for m in await outbox.all_mail(web.db) if m.kind == "invitation"] == ["sent", "sent"]
