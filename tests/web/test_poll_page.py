"""A site answers a poll from the personal link of its e-mail: real SMTP server, real web server over loopback."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import timedelta

import httpx

from domain.spreadsheets import write_xlsx
from handlers import mail
from sandbox.sandbox import TEAM_CHAT_ID
from storage import outbox, polls
from tests.handlers.test_polls import CONTACTS, HEADER, SITES, answer
from tests.handlers.test_sites import interview_for_croisement
from tests.support import texts_of
from tests.web.conftest import link_in, text_of

MACORNAY = "secretariat@cabinet-macornay.fr"
# the fourth site, not on Telegram, has an e-mail address
WITH_EMAIL = [row + [""] for row in SITES[:3]] + [SITES[3] + [MACORNAY]]


async def prepared(sb):
    await sb.say("cls", "/lieux_import")
    await sb.send_file("cls", "lieux.xlsx", write_xlsx([("Lieux", HEADER + ["E-mail"], WITH_EMAIL)]))
    for who, site in CONTACTS.items():
        token = re.search(r"start=(\S+)", texts_of(await sb.say("cls", f"/inviter_lieu {site}"))).group(1)
        await sb.say(who, f"/start {token}", "prive")
    await interview_for_croisement(sb)
    await sb.say("cpts1", "/croisement 1")
    for name in [row[0] for row in SITES]:
        await sb.press("cpts1", name)
    await sb.press("cpts1", "Valider")
    await sb.say("cpts1", "/sondage 1")
    await sb.press("cpts1", "Envoyer le sondage")
    await sb.advance(timedelta(seconds=5))  # the outbox sends what is due


def form_of(html: str) -> dict[str, str]:
    return {"formulaire": re.search(r'name="formulaire" value="([^"]+)"', html).group(1)}


def slot_fields(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'name="(c\d+)"', html)))


async def test_a_site_answers_from_its_email_changes_its_mind_and_the_group_tally_shows_it(web, mailbox):
    await prepared(web)
    (invitation,) = mailbox.to(MACORNAY)
    assert invitation["Subject"] == "Disponibilités pour une visite — Cabinet de Macornay"
    assert invitation["From"] == "CPTS du Grand Lons <installation@cpts-grandlons.fr>"
    assert invitation.get_body(preferencelist=("html",)) is not None
    body = text_of(invitation)
    assert "mar. 5 janv. (journée)" in body and "Marie" not in body and "Dupont" not in body
    link = link_in(invitation)
    token = link.rsplit("/", 1)[1]
    assert len(token) == 22 and not await web.db.fetchone("SELECT 1 FROM web_tokens WHERE token_hash = ?", (token,))
    assert "Invitation envoyée par e-mail, avec un lien personnel, à : Cabinet de Macornay" in "\n".join(web.texts())

    async with httpx.AsyncClient() as client:
        page = await client.get(link)
        assert page.status_code == 200 and "Cabinet de Macornay" in html.unescape(page.text) and "Dupont" not in html.unescape(page.text)
        assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in page.headers["content-security-policy"]
        first, second, *_ = slot_fields(html.unescape(page.text))
        sent = await client.post(link, data={**form_of(html.unescape(page.text)), first: "oui", second: "si_besoin",
                                             "nom": "Sophie Lambert", "commentaire": "Plutôt le matin"})
        assert sent.status_code == 200 and "Merci, c'est enregistré" in html.unescape(sent.text) and "Oui" in html.unescape(sent.text)
        # the group's tally shows who answered and how; the relances by e-mail to this site are off
        await web.advance(timedelta(minutes=1))
        tally = "\n".join(web.texts())
        assert "Cabinet de Macornay : Sophie Lambert (lien web)" in tally and "Plutôt le matin" in tally
        assert all(m.state == "cancelled" for m in await outbox.all_mail(web.db) if m.kind == "relance"
                   and m.site_id == 4)

        again = await client.get(link)  # reopened: the answers as recorded, changeable
        assert re.search(rf'name="{first}" value="oui" checked', again.text)
        changed = await client.post(link, data={**form_of(again.text), first: "non", "nom": "Sophie Lambert"})
        assert changed.status_code == 200
        replayed = await client.post(link, data={**form_of(html.unescape(page.text)), first: "oui", "nom": "Quelqu'un"})
        assert replayed.status_code == 409 and "déjà été envoyé" in html.unescape(replayed.text)
    answers = await polls.answers(web.db, 1)
    mine = {slot: a for (slot, site), a in answers.items() if site == 4}
    assert mine[int(first[1:])].answer == "non" and mine[int(first[1:])].channel == "web"  # the last answer wins
    assert mine[int(second[1:])].answer == "si_besoin" and mine[int(first[1:])].by_name == "Sophie Lambert"

    # a site on Telegram answers the same poll: both channels count in one tally
    await answer(web, "alice", "5/01", "o")
    await web.advance(timedelta(minutes=1))
    assert "MSP de Conliège : Alice (Telegram)" in "\n".join(web.texts())


async def restart_before_follow_ups(web):
    """The bot stops before the work a page left for after its response: what waited in memory is gone with it."""
    follow_ups = web.web.app.state.follow_ups
    for task in list(follow_ups.tasks):
        task.cancel()
    await asyncio.gather(*follow_ups.tasks, return_exceptions=True)
    follow_ups.waiting.clear()
    await web.restart()


async def test_a_web_answer_reaches_the_tally_even_if_the_bot_stops_before_its_quiet_moment(web, mailbox):
    await prepared(web)
    link = link_in(mailbox.to(MACORNAY)[0])
    await web.advance(timedelta(minutes=1))
    async with httpx.AsyncClient() as client:
        page = await client.get(link)
        first = slot_fields(page.text)[0]
        await client.post(link, data={**form_of(page.text), first: "oui", "nom": "Sophie Lambert"})
    await restart_before_follow_ups(web)
    assert "Sophie Lambert (lien web)" not in "\n".join(web.texts())
    await web.advance(timedelta(minutes=1))  # the answer's transaction left the tally due: the restarted bot edits it
    assert "Cabinet de Macornay : Sophie Lambert (lien web)" in "\n".join(web.texts())
    assert (await polls.get(web.db, 1)).tally_due_at is None


async def test_bad_input_gets_a_clear_page_and_changes_nothing(web, mailbox):
    await prepared(web)
    link = link_in(mailbox.to(MACORNAY)[0])
    async with httpx.AsyncClient() as client:
        page = await client.get(link)
        fields = slot_fields(html.unescape(page.text))
        before = await polls.answers(web.db, 1)
        base = f"{web.web_url}/r/"
        for token in ("A" * 22, "court", "x" * 300, "%00%0a", link.rsplit("/", 1)[1][:-1] + "B"):
            refused = await client.get(base + token)
            assert refused.status_code == 404 and "Ce lien n'est pas ou plus valable" in html.unescape(refused.text)
            assert "Lédonien au 03\u00a084\u00a047\u00a000\u00a000." in html.unescape(refused.text)  # whom to call, and the number
            assert "Macornay" not in html.unescape(refused.text)
        cases = [
            ({fields[0]: "oui", "nom": "X"}, 403, "ne vient pas de cette page"),  # no form key: a cross-site post
            ({**form_of(html.unescape(page.text)), "c999999": "oui", "nom": "X"}, 400, "ne correspond pas à ce sondage"),
            ({**form_of(html.unescape(page.text)), fields[0]: "peut-être", "nom": "X"}, 400, "ne correspond pas à ce sondage"),
            ({**form_of(html.unescape(page.text)), fields[0]: "oui", "nom": ""}, 422, "Indiquez votre nom"),
            ({**form_of(html.unescape(page.text)), fields[0]: "oui", "nom": "X", "commentaire": "é" * 1001}, 422, "trop long"),
            ({**form_of(html.unescape(page.text)), fields[0]: "oui", "nom": "N" * 300}, 422, "trop long pour votre nom"),
            ({**form_of(html.unescape(page.text)), "nom": "X"}, 422, "au moins un créneau"),
            ({**form_of(html.unescape(page.text)), "action": "annuler"}, 409, "Aucune visite n'est confirmée pour votre lieu"),
            ({**form_of(html.unescape(page.text)), "action": "annuler_confirme"}, 409, "rien à annuler"),
        ]
        for data, status, says in cases:
            form = form_of((await client.get(link)).text) if "formulaire" in data else {}
            out = await client.post(link, data={**data, **form})
            shown = html.unescape(out.text)
            assert out.status_code == status and says in shown, (data, shown)
            nothing = shown.lower().count("rien n'a été enregistré") + shown.count("rien à annuler")
            assert nothing == 1, shown  # said once, not twice
        huge = await client.post(link, data={**form_of((await client.get(link)).text), fields[0]: "oui", "nom": "X",
                                             "commentaire": "x" * 100_000})
        assert huge.status_code == 413 and "trop long" in html.unescape(huge.text)
        # the same valid form in another content type than the page's form sends (JSON, multipart, none)
        valid = {**form_of((await client.get(link)).text), fields[0]: "oui", "nom": "X"}
        for sent in (dict(json=valid), dict(data=valid, files={"f": ("a.txt", b"x")}),
                     dict(content="&".join(f"{k}={v}" for k, v in valid.items()))):
            odd = await client.post(link, **sent)
            assert odd.status_code == 415 and "rien n'a été enregistré" in html.unescape(odd.text)
        assert page.headers["permissions-policy"].startswith("camera=()")
        assert (await client.get(f"{web.web_url}/admin")).status_code == 404
        assert await polls.answers(web.db, 1) == before
        # a slot of another poll: the form of another site's link does not open this one either
        # guessing: after ten wrong tokens from one address, it must wait
        statuses = [(await client.get(base + f"{n:022d}")).status_code for n in range(12)]
        assert statuses[-1] == 429

    await web.press("cpts1", "Clore maintenant")
    async with httpx.AsyncClient() as client:
        closed = await client.get(link)
        assert "Ce sondage est clos" in html.unescape(closed.text) and 'name="c' not in html.unescape(closed.text)


async def test_without_smtp_the_team_gets_each_text_and_link_to_send_itself(web_no_mail):
    sb = web_no_mail
    await prepared(sb)
    async with httpx.AsyncClient() as client:  # without TEAM_PHONE, whom to call, without a number
        shown = html.unescape((await client.get(f"{sb.web_url}/r/{'C' * 22}")).text)
        assert "appelez la CPTS du Grand Lons ou le CLS du Pays Lédonien." in shown
    posted = next(t for t in sb.texts() if t.startswith("📋"))
    assert "Cabinet de Macornay" in posted and "Objet : Disponibilités pour une visite" in posted
    link = re.search(r"http://127\.0\.0\.1:\d+/r/[A-Za-z0-9_-]{22}", posted).group(0)
    async with httpx.AsyncClient() as client:
        page = await client.get(link)
        assert page.status_code == 200 and "Cabinet de Macornay" in html.unescape(page.text)


async def test_a_refused_address_is_reported_and_a_busy_server_is_tried_again(tmp_path, mailbox, web):
    mailbox.refuse.add(MACORNAY)
    await prepared(web)
    failed = [m for m in await outbox.all_mail(web.db) if m.kind == "invitation"]
    assert [m.state for m in failed] == ["failed"] and "550" in failed[0].last_error
    assert any("n'a pas pu être remis à « Cabinet de Macornay »" in t and "(réponse du serveur : 550 5.1.1 " in t
               for t in web.texts())
    assert mailbox.received == []


async def test_an_email_that_meets_a_busy_server_is_sent_later_once(web, mailbox):
    mailbox.busy = 2
    await prepared(web)
    (mail,) = [m for m in await outbox.all_mail(web.db) if m.kind == "invitation"]
    assert mail.state == "pending" and mail.attempts == 1 and "451" in mail.last_error
    await web.advance(timedelta(minutes=10))
    await web.restart()  # a restart between two tries loses nothing
    await web.advance(timedelta(minutes=10))
    assert len(mailbox.to(MACORNAY)) == 1 and (await outbox.get(web.db, mail.id)).state == "sent"


async def test_an_email_the_server_never_takes_is_given_up_after_a_day_and_the_team_told_once(web, mailbox):
    mailbox.busy = 1000
    await prepared(web)
    await web.advance(timedelta(days=1))
    (mail,) = [m for m in await outbox.all_mail(web.db) if m.kind == "invitation"]
    assert mail.state == "failed" and "451" in mail.last_error and mailbox.received == []
    told = [t for t in web.texts() if t.startswith("📧❗")]
    assert len(told) == 1 and "pour « Cabinet de Macornay » (secretariat@cabinet-macornay.fr) n'a pas pu partir" in told[0]
    assert told[0].endswith("Un nouveau lien à lui transmettre : /lien 1.")


async def confirmed_with_macornay(web, mailbox, client) -> str:
    """The visits' day confirmed with the Cabinet de Macornay, which said yes from its link; that link."""
    await prepared(web)
    link = link_in(mailbox.to(MACORNAY)[0])
    page = await client.get(link)
    await client.post(link, data={**form_of(page.text), slot_fields(page.text)[0]: "oui", "nom": "Sophie Lambert"})
    await answer(web, "alice", "5/01", "o")
    await web.press("cpts1", "Clore maintenant")
    await web.press("cpts1", "Confirmer")
    await web.advance(timedelta(seconds=5))
    return link


async def test_once_the_day_is_confirmed_the_site_gets_its_time_and_ics_and_can_cancel_from_its_page(web, mailbox, caplog):
    from icalendar import Calendar

    async with httpx.AsyncClient() as client:
        link = await confirmed_with_macornay(web, mailbox, client)
        confirmation = mailbox.to(MACORNAY)[-1]
        assert confirmation["Subject"].startswith("Visite confirmée le mardi 5 janvier 2027")
        (attached,) = [p for p in confirmation.iter_attachments() if p.get_filename() == "visite.ics"]
        (event,) = Calendar.from_ical(attached.get_content()).walk("VEVENT")
        assert str(event["location"]) == "Cabinet de Macornay, Macornay" and "Dupont" not in text_of(confirmation)

        page = await client.get(link)
        other_tab = await client.get(link)  # the same page left open in another tab
        shown = html.unescape(page.text)
        assert "Visite confirmée" in shown and "mardi 5 janvier 2027" in shown and 'name="c' not in shown
        ics = await client.get(link + "/visite.ics")
        assert ics.headers["content-type"].startswith("text/calendar") and b"Cabinet de Macornay" in ics.content
        asked = await client.post(link, data={**form_of(page.text), "action": "annuler"})
        shown = html.unescape(asked.text)  # asked first: a tap cancels nothing, the form is still unused
        assert asked.status_code == 200 and "Ne plus recevoir la visite\u00a0?" in shown and "mardi 5 janvier 2027" in shown
        assert f'href="/r/{link.rsplit("/", 1)[1]}"' in shown and "ne peut plus recevoir" not in "\n".join(web.texts())
        assert not any(cancelled for *_, cancelled in await polls.stops(web.db, 1))
        confirm = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]+)">', asked.text))
        assert confirm["action"] == "annuler_confirme" and confirm["formulaire"] == form_of(page.text)["formulaire"]
        cancelled = await client.post(link, data=confirm)
        assert cancelled.status_code == 200 and "L'équipe est prévenue" in html.unescape(cancelled.text)
        await web.advance(timedelta(seconds=5))  # the alert goes once the page has answered
        told = "\n".join(web.texts())
        assert "« Cabinet de Macornay » ne peut plus recevoir la visite (indiqué par le lien web)" in told
        reopened = html.unescape((await client.get(link)).text)
        assert "Vous avez indiqué ne plus pouvoir recevoir cette visite" in reopened and "annuler" not in reopened
        assert "appelez la CPTS du Grand Lons ou le CLS du Pays Lédonien au 03\u00a084\u00a047\u00a000\u00a000." in reopened  # whom to call
        for action in ("annuler", "annuler_confirme"):  # the same form again, or asked again
            again = await client.post(link, data={**form_of(page.text), "action": action})
            assert again.status_code == 409 and told.count("ne peut plus recevoir la visite") == 1
            assert "Ce formulaire a déjà été envoyé : rien n'a été changé." in html.unescape(again.text)
        stale = await client.post(link, data={**form_of(other_tab.text), "action": "annuler"})
        assert stale.status_code == 409 and "C'est déjà noté : l'équipe est prévenue." in html.unescape(stale.text)
        assert (await client.get(link + "/visite.ics")).status_code == 404  # no visit left for this site
    token = link.rsplit("/", 1)[1]
    assert not any(token in record.getMessage() or token in str(record.__dict__) for record in caplog.records)


async def test_a_cancellation_from_the_page_reaches_the_team_though_telegram_fails_and_the_bot_restarts(web, mailbox):
    async with httpx.AsyncClient() as client:
        link = await confirmed_with_macornay(web, mailbox, client)
        asked = await client.post(link, data={**form_of((await client.get(link)).text), "action": "annuler"})
        confirm = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]+)">', asked.text))
        web.api.fail("sendMessage", "500", times=2)
        done = await client.post(link, data=confirm)
        assert done.status_code == 200 and "L'équipe est prévenue" in html.unescape(done.text)
    await restart_before_follow_ups(web)  # the restarted bot finds the alert due, and Telegram still fails
    assert not any("ne peut plus recevoir la visite" in text for text in web.texts())
    await web.advance(timedelta(hours=1))
    told = [text for text in web.texts() if "ne peut plus recevoir la visite" in text]
    assert len(told) == 1 and "« Cabinet de Macornay » ne peut plus recevoir la visite (indiqué par le lien web)" in told[0]
    assert "/sondage_cloner 1 1" in told[0]


async def test_relances_go_by_email_only_to_silent_sites_and_links_expire_two_weeks_after_closing(web, mailbox):
    await prepared(web)  # Monday 9:00, deadline next Monday 18:00: relances halfway and the day before
    link = link_in(mailbox.to(MACORNAY)[0])
    await web.advance(timedelta(days=4, hours=1))  # Friday 10:00: halfway, moved to a working morning
    (relance,) = [m for m in mailbox.to(MACORNAY) if m["Subject"].startswith("Petit rappel")]
    assert "Cabinet de Macornay" in text_of(relance) and link_in(relance) != link  # a token of its own
    async with httpx.AsyncClient() as client:
        page = await client.get(link_in(relance))  # the relance's link opens the same page
        await client.post(link, data={**form_of(page.text), slot_fields(page.text)[0]: "oui", "nom": "Nadia"})
        await web.advance(timedelta(days=3))  # Monday 10:00, past the day-before one: none, it answered
        assert len([m for m in mailbox.to(MACORNAY) if m["Subject"].startswith("Petit rappel")]) == 1
        await web.advance(timedelta(hours=8))  # the deadline: the poll closes by itself
        assert "Ce sondage est clos" in html.unescape((await client.get(link)).text)
        await web.advance(timedelta(days=15))
        expired = await client.get(link)
        assert expired.status_code == 404 and "Ce lien n'est pas ou plus valable" in html.unescape(expired.text)
        # reopened for three weeks: the same links work again, until it closes
        closing = [m for m in web.api.visible(web.settings.team_chat_id) if m.get("text", "").startswith("🔒")][-1]
        await web.press_data("cpts1", "q:1:reopen", message_id=closing["message_id"])  # « ⏳ Rouvrir et prolonger »
        await web.say("cpts1", "dans 3 semaines")
        await web.advance(timedelta(days=16))
        reopened = await client.get(link)
        assert reopened.status_code == 200 and 'name="c' in reopened.text


async def test_an_email_a_crash_left_half_sent_goes_again_at_start_with_the_same_message_id(web, mailbox):
    await prepared(web)
    (mail,) = [m for m in await outbox.all_mail(web.db) if m.kind == "invitation"]
    first_id = mailbox.to(MACORNAY)[0]["Message-ID"]
    # as if the bot died between handing the e-mail to the server and noting it sent
    await web.db.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", (mail.id,))
    await web.restart()
    await web.advance(timedelta(seconds=5))
    again = mailbox.to(MACORNAY)
    assert len(again) == 2 and again[1]["Message-ID"] == first_id  # recognisable as the same message
    assert (await outbox.get(web.db, mail.id)).state == "sent"


async def test_the_first_pages_ever_opened_all_at_once_all_take_their_answers(web, mailbox):
    await prepared(web)
    link = link_in(mailbox.to(MACORNAY)[0])
    # no page was opened yet: the key that signs the forms is made by whichever page comes first
    async with httpx.AsyncClient() as client:
        pages = await asyncio.gather(*(client.get(link) for _ in range(8)))
        field = slot_fields(pages[0].text)[0]
        sent = await asyncio.gather(*(client.post(link, data={**form_of(p.text), field: "oui", "nom": f"N{n}"})
                                      for n, p in enumerate(pages)))
    assert [r.status_code for r in sent] == [200] * 8  # each page's own form, none refused


async def test_a_site_changing_its_mind_three_times_makes_one_edit_of_its_telegram_message(web, mailbox):
    """The Telegram edits that follow web answers wait for a quiet moment: three answers in a row from the link of
    a site whose contact is on Telegram edit that contact's message once, showing the last answers, and the tally
    once; the database has each answer as it was sent."""
    await prepared(web)
    poll = await polls.get(web.db, 1)
    link = await mail.mint_link(web.app, (await mail.poll_link(web.app, poll, 1)).id)
    alice = web.chat_id("alice", "prive")
    message_id = next(m for m in web.api.visible(alice) if m.get("reply_markup"))["message_id"]
    edits_before = len(web.api.calls)
    async with httpx.AsyncClient() as client:
        for choice in ("oui", "non", "si_besoin"):
            page = html.unescape((await client.get(link)).text)
            assert slot_fields(page), page
            first, *_ = slot_fields(page)
            sent = await client.post(link, data={**form_of(page), first: choice, "nom": "Alice, pour la MSP"})
            assert sent.status_code == 200
            assert (await polls.site_answers(web.db, 1, 1))[int(first[1:])].answer == choice  # kept at once
    await web.advance(timedelta(seconds=5))
    edits = [params for method, params in web.api.calls[edits_before:] if method == "editMessageText"]
    to_alice = [p for p in edits if int(p["chat_id"]) == alice and int(p["message_id"]) == message_id]
    assert len(to_alice) == 1, edits
    assert "🟡" in to_alice[0]["text"]
    assert len([p for p in edits if int(p["chat_id"]) == TEAM_CHAT_ID]) == 1  # the tally


async def test_one_form_sent_ten_times_at_once_is_kept_once(web, mailbox):
    """Ten sends of the same form at the same moment (a double tap, a flaky connection): they reach the writer
    together and are committed together, and still only the first is kept; the others say it was already sent."""
    await prepared(web)
    link = link_in(mailbox.to(MACORNAY)[0])
    async with httpx.AsyncClient() as client:
        page = html.unescape((await client.get(link)).text)
        first, *_ = slot_fields(page)
        data = {**form_of(page), first: "oui", "nom": "Sophie Lambert"}
        sent = await asyncio.gather(*(client.post(link, data=data) for _ in range(10)))
    assert sorted(r.status_code for r in sent) == [200] + [409] * 9
    assert all("déjà été envoyé" in html.unescape(r.text) for r in sent if r.status_code == 409)
    assert (await web.db.fetchone("SELECT count(*) FROM web_forms"))[0] == 1
    assert (await polls.site_answers(web.db, 1, 4))[int(first[1:])].answer == "oui"


async def test_an_email_that_cannot_be_written_is_reported_like_a_refused_address_never_left_sending(web, mailbox):
    """A subject with a line break (written before names refused them) makes the e-mail library raise: the row is
    failed and the team told, not left « sending » to be tried again at every start."""
    await prepared(web)
    await outbox.enqueue(web.db, key="essai:crlf", kind="invitation", to_addr=MACORNAY,
                         subject="Visite\r\nBcc: espion@exemple.invalid", body_text="x", body_html="<p>x</p>",
                         due_at=web.clock.utc_iso(), at=web.clock.utc_iso(), chat_id=web.settings.team_chat_id)
    await web.advance(timedelta(minutes=1))
    (mail,) = [m for m in await outbox.all_mail(web.db) if m.key == "essai:crlf"]
    assert mail.state == "failed" and "n'a pas pu être composé" in mail.last_error
    assert sum("n'a pas pu être composé : un de ses champs contient un retour à la ligne" in t and "Bcc" in t
               for t in web.texts()) == 1
    assert not [m for m in mailbox.received if "espion" in str(m)]
    await web.restart()
    assert (await outbox.get(web.db, mail.id)).state == "failed"  # not sent again at the next start
