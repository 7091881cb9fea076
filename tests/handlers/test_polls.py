"""Availability polls end to end: three sites answering, the tally, reminders, the deadline, the visit day."""

import re
import sqlite3
from datetime import datetime, timedelta

from icalendar import Calendar

from domain.dates import PARIS
from domain.spreadsheets import write_xlsx
from storage import candidates, polls, reminders, sites, visits
from tests.handlers.test_sites import interview_for_croisement
from tests.support import skip_interview, texts_of

HEADER = ["Nom", "Type", "Commune", "Professions recherchées", "Modes", "Équipe pluriprofessionnelle", "Locaux disponibles",
          "Téléphone"]
SITES = [
    ["MSP de Conliège", "MSP", "Conliège", "médecin généraliste", "libéral", "oui", "oui", ""],
    ["Maison médicale de Perrigny", "maison médicale", "Perrigny", "médecin généraliste", "libéral", "oui", "oui", ""],
    ["Centre de santé de Montmorot", "centre de santé", "Montmorot", "médecin généraliste", "libéral", "oui", "oui", ""],
    ["Cabinet de Macornay", "cabinet de groupe", "Macornay", "médecin généraliste", "libéral", "oui", "oui", "03 84 22 33 44"],
]
CONTACTS = {"alice": 1, "bob": 2, "carole": 3}  # the fourth site is not on Telegram


async def prepared(sb, *, sites_chosen=4):
    """Sites with contacts on Telegram, candidate n° 1 interviewed (free on the Tuesdays of January), croisement done."""
    await sb.say("cls", "/lieux_import")
    await sb.send_file("cls", "lieux.xlsx", write_xlsx([("Lieux", HEADER, SITES)]))
    for who, site in CONTACTS.items():
        token = re.search(r"start=(\S+)", texts_of(await sb.say("cls", f"/inviter_lieu {site}"))).group(1)
        await sb.say(who, f"/start {token}", "prive")
    await interview_for_croisement(sb)
    await sb.say("cpts1", "/croisement 1")
    for name in [row[0] for row in SITES][:sites_chosen]:
        await sb.press("cpts1", name)  # the order among equal scores rotates: choose by name
    await sb.press("cpts1", "Valider")


async def send_poll(sb):
    out = texts_of(await sb.say("cpts1", "/sondage 1"))
    await sb.press("cpts1", "Envoyer le sondage")
    return out


def slot_buttons(sb, who):
    message = sb.api.last_with_buttons(sb.person(who).user_id)
    return message, [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def answer(sb, who, day, code):
    """``who`` presses ✅ (o), 🟡 (s) or ❌ (n) on the line of the slot of ``day`` ("5/01")."""
    message, buttons = slot_buttons(sb, who)
    icon = {"o": "✅", "s": "🟡", "n": "❌"}[code]
    data = next(b["callback_data"] for b in buttons if b["text"].endswith(f"{icon} {day}"))
    return await sb.press_data(who, data, "prive", message["message_id"])


async def test_draft_shows_what_sites_will_read_without_personal_data(sb):
    await prepared(sb)
    out = await send_poll(sb)
    assert "Un·e médecin généraliste (exercice regroupé, libéral, installation à court terme) souhaite visiter" in out
    assert "1. mar. 5 janv. (journée)" in out and "4. mar. 26 janv. (journée)" in out
    assert "Cabinet de Macornay (pas sur Telegram : réponse à saisir par l'équipe)" in out
    assert "Réponse attendue avant le lundi 30 novembre 2026 à 18 h 00" in out  # 5 working days
    received = sb.last_text("prive", "alice")
    assert received.startswith("📅 Demande de disponibilité — MSP de Conliège")
    assert "Marie" not in received and "Dupont" not in received and "06 12" not in received
    assert "• Cabinet de Macornay — 03 84 22 33 44" in "\n".join(sb.texts())  # to call: not on Telegram


async def test_three_sites_answer_one_changes_its_mind_the_tally_is_edited_in_place(sb):
    await prepared(sb)
    await send_poll(sb)
    tally_id = (await polls.get(sb.db, 1)).tally_message_id
    await answer(sb, "alice", "5/01", "o")
    await answer(sb, "bob", "5/01", "o")
    await answer(sb, "carole", "5/01", "s")
    await answer(sb, "alice", "12/01", "o")
    await answer(sb, "alice", "5/01", "n")  # changes her mind: the last answer wins
    mine = sb.last_text("prive", "alice")
    assert "mar. 5 janv. (journée) : ❌ Non" in mine and "mar. 12 janv. (journée) : ✅ Oui" in mine
    def tally_edits():
        return [s for s in sb.api.log if s.kind == "edit" and s.message_id == tally_id]

    assert tally_edits() == []  # a burst within seconds of the last edit waits...
    await sb.advance(timedelta(seconds=5))
    assert len(tally_edits()) == 1  # ...and becomes one edit
    tally = sb.api.messages[(sb.settings.team_chat_id, tally_id)]["text"]
    assert "mar. 5 janv. (journée) : ✅ 1 · 🟡 1 · ❌ 1" in tally
    assert "MSP de Conliège : Alice" in tally and "Cabinet de Macornay : pas encore" in tally
    answers = await polls.answers(sb.db, 1)
    assert sum(1 for (_, site) in answers if site == 1) == 2


async def test_an_answer_while_telegram_fails_to_edit_is_kept_acknowledged_and_reaches_the_tally(sb):
    await prepared(sb)
    await send_poll(sb)
    tally_id = (await polls.get(sb.db, 1)).tally_message_id
    await answer(sb, "alice", "5/01", "o")
    await sb.advance(timedelta(seconds=5))
    sb.api.fail("editMessageText", "500", times=2)  # the site's own message, then the tally
    out = await answer(sb, "bob", "12/01", "s")
    assert [(s.kind, s.text) for s in out] == [("toast", "🟡 Si besoin — enregistré")]  # no error shown
    assert "Maison médicale de Perrigny : pas encore" in sb.api.messages[(sb.settings.team_chat_id, tally_id)]["text"]
    await sb.advance(timedelta(minutes=2))
    tally = sb.api.messages[(sb.settings.team_chat_id, tally_id)]["text"]
    assert "Maison médicale de Perrigny : Bob" in tally and "mar. 12 janv. (journée) : ✅ 0 · 🟡 1 · ❌ 0" in tally


async def test_forged_and_stale_presses_change_nothing(sb):
    await prepared(sb)
    await send_poll(sb)
    await sb.say("cpts1", "/sondage 1")  # shows the poll again, no second poll
    message, buttons = slot_buttons(sb, "alice")
    slot = re.match(r"p:1:1:(\d+):o", buttons[0]["callback_data"]).group(1)
    forged = [f"p:1:2:{slot}:o",  # another site's line
              "p:1:1:99999:o",  # a slot of no poll
              f"p:2:1:{slot}:o",  # another poll
              f"p:1:1:{slot}:z", "p:1:1", "q:1:close", "c:1:view"]
    for data in forged:
        out = await sb.press_data("alice", data, "prive", message["message_id"])
        assert out[-1].kind == "toast", data
    await sb.say("intrus", "/start", "prive")
    out = await sb.press_data("intrus", f"p:1:1:{slot}:o", "prive")
    assert out[-1].text == "Ce bouton est réservé à l'équipe."
    assert await polls.answers(sb.db, 1) == {}
    await sb.press("cpts1", "Clore maintenant")
    out = await sb.press_data("alice", f"p:1:1:{slot}:o", "prive", message["message_id"])
    assert out[-1].text.startswith("Ce sondage est clos")
    assert await polls.answers(sb.db, 1) == {}
    # "we can no longer host the visit" before any visit is planned: nothing to cancel, nobody alerted
    group = sb.texts("equipe")
    for step in ("x", "X", "k"):
        out = await sb.press_data("alice", f"p:1:1:{step}", "prive", message["message_id"])
        assert [(s.kind, s.text, s.alert) for s in out] == [
            ("toast", "Aucune visite n'est prévue par ce sondage : rien à annuler.", True)]
    assert sb.texts("equipe") == group and await polls.stops(sb.db, 1) == []


async def test_a_site_comment_reaches_the_tally(sb):
    await prepared(sb, sites_chosen=1)
    await send_poll(sb)
    await sb.press("alice", "commentaire", "prive")
    out = texts_of(await sb.say("alice", "Plutôt le matin. " * 100, "prive"))  # 1,700 characters
    assert "C'est trop long pour un commentaire : 1\u202f700 caractères, 1\u202f000 au plus." in out
    assert not [ps for ps in await polls.poll_sites(sb.db, 1) if ps.comment]  # nothing kept, not even cut
    out = texts_of(await sb.say("alice", "Plutôt le matin, le Dr Morel consulte l'après-midi", "prive"))
    assert "commentaire est transmis" in out  # still awaited after the refusal
    await sb.advance(timedelta(seconds=5))
    tally = sb.api.messages[(sb.settings.team_chat_id, (await polls.get(sb.db, 1)).tally_message_id)]["text"]
    assert "💬 MSP de Conliège : « Plutôt le matin, le Dr Morel consulte l'après-midi »" in tally
    assert "Je n'attends pas de message" in texts_of(await sb.say("alice", "merci", "prive"))


async def test_the_team_enters_a_phone_answer_for_a_site_not_on_telegram(sb):
    await prepared(sb)
    await send_poll(sb)
    await sb.press("cls", "Saisir une réponse")
    await sb.press("cls", "Cabinet de Macornay")
    group = sb.settings.team_chat_id
    message = sb.api.last_with_buttons(group)
    assert "saisie par l'équipe" in message["text"]
    data = next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row if b["text"].endswith("✅ 19/01"))
    await sb.press_data("cls", data, "equipe", message["message_id"])
    await sb.advance(timedelta(seconds=5))
    row = next(v for (slot, site), v in (await polls.answers(sb.db, 1)).items() if site == 4)
    assert row.answer == "oui" and row.by_team and row.by_user == 1001
    tally = sb.api.messages[(group, (await polls.get(sb.db, 1)).tally_message_id)]["text"]
    assert "Cabinet de Macornay : saisi par Claire Martin (téléphone ou e-mail)" in tally


async def test_silent_sites_are_reminded_then_the_poll_closes_by_itself(sb):
    await prepared(sb)
    await send_poll(sb)
    await answer(sb, "alice", "5/01", "o")
    await answer(sb, "bob", "12/01", "s")
    out = await sb.advance(timedelta(days=8))  # past the deadline (Monday 30 November, 18:00)
    to_carole = [s.text for s in out if s.chat_id == sb.person("carole").user_id and "Petit rappel" in s.text]
    assert len(to_carole) == 2  # halfway and the day before, never twice for the same step
    assert not [s for s in out if s.chat_id in (sb.person("alice").user_id, sb.person("bob").user_id) and "Petit rappel" in s.text]
    group = [s.text for s in out if s.chat_id == sb.settings.team_chat_id]
    closing = next(t for t in group if t.startswith("🔒 Sondage clos à l'échéance"))
    assert "Sans réponse : Centre de santé de Montmorot, Cabinet de Macornay" in closing
    assert "Meilleur créneau : mar. 5 janv. (journée) — ✅ 1 · 🟡 0 · ❌ 0" in closing
    assert "9 h 00–10 h 15 : MSP de Conliège (Conliège)" in closing
    calls = [t for t in group if "appeler « Cabinet de Macornay » (03 84 22 33 44)" in t]
    assert calls
    assert (await polls.get(sb.db, 1)).state == "closed"
    assert "Ce sondage est clos" in sb.last_text("prive", "alice")


async def test_a_poll_closing_while_telegram_fails_still_brings_its_proposal_and_the_calls_once(sb):
    await prepared(sb)
    await send_poll(sb)
    await answer(sb, "alice", "5/01", "o")
    deadline = datetime.fromisoformat((await polls.get(sb.db, 1)).deadline)
    await sb.advance(deadline - sb.clock.now() - timedelta(minutes=1))
    sb.api.fail("*", "500", times=8)  # every edit and message as the deadline passes
    await sb.advance(timedelta(minutes=2))
    assert (await polls.get(sb.db, 1)).state == "closed"
    assert not any(t.startswith("🔒 Sondage clos") for t in sb.texts("equipe"))
    await sb.stop()  # and the bot is down for an hour before Telegram comes back
    sb.clock.advance(timedelta(hours=1))
    await sb.start()
    await sb.advance(timedelta(hours=2))
    closing = [t for t in sb.texts("equipe") if t.startswith("🔒 Sondage clos à l'échéance")]
    assert len(closing) == 1 and "Meilleur créneau : mar. 5 janv. (journée)" in closing[0]
    assert "Clos le lundi 30 novembre 2026 à 18 h 00" in closing[0]  # sent late: it says when it closed
    (message,) = [m for m in sb.api.visible(sb.settings.team_chat_id) if m.get("text", "").startswith("🔒")]
    assert [b["callback_data"] for b in message["reply_markup"]["inline_keyboard"][0]] == ["q:1:ok:1"]
    for silent in ("Maison médicale de Perrigny", "Centre de santé de Montmorot", "Cabinet de Macornay"):
        assert sum(f"appeler « {silent} »" in t for t in sb.texts("equipe")) == 1


async def test_a_poll_sent_while_telegram_fails_reaches_every_site_and_its_tally_works_after_a_restart(sb):
    await prepared(sb)
    await sb.say("cpts1", "/sondage 1")
    sb.api.fail("sendMessage", "500", times=3)  # the tally, then the first two sites' polls
    out = await sb.press("cpts1", "Envoyer le sondage")
    assert ("toast", "Sondage envoyé") in [(s.kind, s.text) for s in out]
    assert (await polls.get(sb.db, 1)).state == "open"
    await sb.restart()
    await sb.advance(timedelta(minutes=30))
    for who in ("alice", "bob", "carole"):
        assert sum(t.startswith("📅 Demande de disponibilité") for t in sb.texts("prive", who)) == 1
    tallies = [m for m in sb.api.visible(sb.settings.team_chat_id) if m.get("text", "").startswith("📊 Sondage")]
    assert len(tallies) == 1 and (await polls.get(sb.db, 1)).tally_message_id == tallies[0]["message_id"]
    await answer(sb, "bob", "5/01", "o")  # the message Bob got late is the one his answer edits...
    assert "mar. 5 janv. (journée) : ✅ Oui" in sb.last_text("prive", "bob")
    await sb.advance(timedelta(seconds=5))  # ...and the tally shows it
    tally = sb.api.messages[(sb.settings.team_chat_id, tallies[0]["message_id"])]["text"]
    assert "Maison médicale de Perrigny : Bob" in tally


async def test_a_bot_stopped_right_after_sending_a_poll_plans_its_relances_at_the_next_start(sb, monkeypatch):
    await prepared(sb)

    async def stopped(*_):
        raise RuntimeError("arrêt brutal")  # the bot dies between the poll's transaction and its relances

    monkeypatch.setattr("handlers.polls.sending.plan_relances", stopped)
    await send_poll(sb)
    assert not [r for r in await reminders.for_candidate(sb.db, 1) if r.kind.startswith("sondage_mi")]
    monkeypatch.undo()
    await sb.restart()
    relances = [r for r in await reminders.for_candidate(sb.db, 1) if r.kind in ("sondage_mi", "sondage_veille")]
    assert len(relances) == 2 * 3  # halfway and the day before, for each site contact
    await sb.restart()  # and a start more plans nothing twice
    assert len([r for r in await reminders.for_candidate(sb.db, 1) if r.kind in ("sondage_mi", "sondage_veille")]) == 6


async def test_a_site_contact_who_blocked_the_bot_is_reported_to_the_group_when_the_poll_goes(sb):
    await prepared(sb)
    sb.api.started.discard(sb.person("carole").user_id)
    await send_poll(sb)
    await sb.advance(timedelta(seconds=2))
    assert sum("Je n'ai pas pu écrire en privé à Carole" in t for t in sb.texts("equipe")) == 1
    assert all(any(t.startswith("📅 Demande de disponibilité") for t in sb.texts("prive", who)) for who in ("alice", "bob"))


async def test_restart_with_a_poll_open_keeps_answers_and_the_deadline(sb):
    await prepared(sb)
    await send_poll(sb)
    await answer(sb, "alice", "5/01", "o")
    await sb.restart()
    await answer(sb, "bob", "5/01", "s")
    assert len(await polls.answers(sb.db, 1)) == 2
    await sb.stop()
    sb.clock.advance(timedelta(days=8))  # the deadline passes while the bot is down
    await sb.start()
    assert (await polls.get(sb.db, 1)).state == "closed"
    assert any(s.text.startswith("🔒 Sondage clos") for s in sb.new_output())


async def test_add_a_slot_extend_and_close_early(sb):
    await prepared(sb, sites_chosen=1)
    await send_poll(sb)
    await answer(sb, "alice", "5/01", "s")
    await sb.press("cpts1", "Ajouter un créneau")
    out = texts_of(await sb.say("cpts1", "samedi 9 janvier matin"))  # a Saturday, added on purpose
    assert "1 créneau(x) ajouté(s) ; les réponses déjà données sont gardées" in out
    assert "sam. 9 janv. (matin) : —" in sb.last_text("prive", "alice")
    assert "mar. 5 janv. (journée) : 🟡 Si besoin" in sb.last_text("prive", "alice")
    await answer(sb, "alice", "9/01", "o")
    await sb.press("cpts1", "Prolonger")
    out = texts_of(await sb.say("cpts1", "vendredi 4 décembre 18h"))
    assert "Échéance : vendredi 4 décembre 2026 à 18 h 00" in out
    out = texts_of(await sb.press("cpts1", "Clore maintenant"))
    assert "Sondage clos par Paul Roche" in out and "Meilleur créneau : sam. 9 janv. (matin)" in out


async def closed(sb):
    """Candidate n° 1's poll closed early, the three sites whose contacts are on Telegram free on Tuesday 12
    January."""
    await prepared(sb, sites_chosen=3)
    await send_poll(sb)
    for who in ("alice", "bob", "carole"):
        await answer(sb, who, "12/01", "o")
    await sb.press("cpts1", "Clore maintenant")


async def planned(sb):
    """Candidate n° 1's visits confirmed for Tuesday 12 January (see ``closed``); what the confirmation sent."""
    await closed(sb)
    return await sb.press("cpts1", "Confirmer le")


async def test_the_team_notes_for_a_site_that_called_that_it_can_no_longer_host_the_visit(sb):
    await planned(sb)
    group_before = sb.texts("equipe")
    before = len(sb.api.calls)
    await sb.press("cpts1", "Un lieu ne peut plus recevoir")
    await sb.press("cpts1", "Maison médicale de Perrigny")
    assert [m for m, _ in sb.api.calls[before:]] == ["answerCallbackQuery", "editMessageReplyMarkup"] * 2
    await sb.press("cpts1", "Non, retour")  # taken back: nothing changed
    assert sb.texts("equipe") == group_before and not any(c for *_, c in await polls.stops(sb.db, 1))
    await sb.press("cpts1", "Un lieu ne peut plus recevoir")
    await sb.press("cpts1", "Maison médicale de Perrigny")
    out = await sb.press("cpts1", "Oui, Maison médicale")
    assert ("toast", "C'est noté.") in [(s.kind, s.text) for s in out]
    assert ("⚠️ « Maison médicale de Perrigny » ne peut plus recevoir la visite (signalé à l'équipe, noté par Paul "
            "Roche) de Marie Dupont (n° 1)") in sb.last_text("equipe")
    perrigny = next(site.id for site in await sites.all_sites(sb.db) if site.name == "Maison médicale de Perrigny")
    assert [c for site, *_, c in await polls.stops(sb.db, 1) if site == perrigny] == [True]
    # the site's own button then, or the team's again (a forged or stale press), alerts nobody twice
    again = await sb.press_data("bob", f"p:1:{perrigny}:X", "prive")
    assert [(s.kind, s.text) for s in again] == [("toast", "C'est déjà noté.")]
    plan = [m for m in sb.api.visible(sb.settings.team_chat_id) if m.get("text", "").startswith("🚗")][-1]
    for data in (f"q:1:goneok:{perrigny}", f"q:1:gone:{perrigny}", "q:1:goneok:999"):
        refused = await sb.press_data("cpts1", data, message_id=plan["message_id"])
        assert [s.text for s in refused] == ["C'est déjà noté, ou ce lieu n'est pas dans la journée."]
    assert sum("ne peut plus recevoir la visite" in t for t in sb.texts("equipe")) == 1


async def test_a_day_confirmed_while_telegram_fails_reaches_the_team_and_every_site_once_after_a_restart(sb):
    await closed(sb)
    sb.api.started.discard(sb.person("carole").user_id)  # Carole has blocked the bot since
    sb.api.fail("sendMessage", "500", times=4)
    sb.api.fail("sendDocument", "500", times=1)
    out = await sb.press("cpts1", "Confirmer le")
    assert ("toast", "Journée confirmée") in [(s.kind, s.text) for s in out]
    poll = await polls.get(sb.db, 1)
    assert poll.state == "planned" and len(await polls.stops(sb.db, 1)) == 3  # stored whole, before any message
    assert (await candidates.get(sb.db, 1)).status == "visites_planifiees"
    await sb.restart()
    await sb.advance(timedelta(hours=1))
    team = sb.texts("equipe")
    assert sum(t.startswith("🚗 Journée de visites — Marie Dupont, mardi 12 janvier 2027") for t in team) == 1
    documents = [m for m in sb.api.visible(sb.settings.team_chat_id) if m.get("document")]
    assert [d["document"]["file_name"] for d in documents] == ["visites-2027-01-12.ics"]
    for who, site in (("alice", "MSP de Conliège"), ("bob", "Maison médicale de Perrigny")):
        told = [t for t in sb.texts("prive", who) if t.startswith("✅ Visite confirmée")]
        assert len(told) == 1 and f"« {site} » le mardi 12 janvier 2027" in told[0]
    assert sum("Je n'ai pas pu écrire en privé à Carole" in t for t in team) == 1  # the team calls her site


async def test_a_bot_stopped_right_after_confirming_the_day_has_its_reminders_at_the_next_start(sb, monkeypatch):
    await closed(sb)

    async def stopped(*_):
        raise RuntimeError("arrêt brutal")  # the bot dies between the day's transaction and the reminders

    monkeypatch.setattr("delivery.engine.sync", stopped)
    await sb.press("cpts1", "Confirmer le")
    assert (await polls.get(sb.db, 1)).state == "planned"
    assert not {r.kind for r in await reminders.for_candidate(sb.db, 1)} & {"visites_veille", "debrief_soir"}
    monkeypatch.undo()
    await sb.restart()
    pending = {r.kind for r in await reminders.for_candidate(sb.db, 1) if r.state == "pending"}
    assert {"visites_veille", "debrief_soir"} <= pending


async def test_a_deadline_typed_once_the_day_is_confirmed_changes_nothing(sb):
    await closed(sb)
    closing = sb.api.last_with_buttons(sb.settings.team_chat_id)
    (prompt,) = [s for s in await sb.press("cpts1", "Rouvrir et prolonger") if s.kind == "message"]
    await sb.press_data("cpts1", next(b["callback_data"] for row in closing["reply_markup"]["inline_keyboard"]
                                      for b in row if b["text"].startswith("✅ Confirmer")),
                        message_id=closing["message_id"])  # a colleague confirms the day meanwhile
    out = texts_of(await sb.say("cpts1", "dans 3 semaines", reply_to=prompt.message_id))
    assert "Ce sondage n'est plus ouvert (journée confirmée ou sondage abandonné) : l'échéance n'a pas été changée." in out
    poll = await polls.get(sb.db, 1)
    assert poll.state == "planned" and (await visits.visit(sb.db, 1)).day == "2027-01-12"


async def test_confirming_the_day_plans_everything(sb):
    out = await planned(sb)
    group = texts_of([s for s in out if s.chat_id == sb.settings.team_chat_id])
    assert "Journée de visites — Marie Dupont, mardi 12 janvier 2027" in group
    stops = await polls.stops(sb.db, 1)
    windows = [(datetime.fromisoformat(a).astimezone(PARIS), datetime.fromisoformat(b).astimezone(PARIS)) for _, a, b, _ in stops]
    assert all(end <= start2 - timedelta(minutes=10) for (_, end), (start2, _) in zip(windows, windows[1:], strict=False))
    assert windows[0][0].strftime("%H:%M") == "09:00"
    ics_file = next(s for s in out if s.kind == "document")
    events = [c for c in Calendar.from_ical(ics_file.file_data).walk("VEVENT")]
    assert len(events) == 4 and str(events[-1]["summary"]).startswith("Débriefing du soir")
    first = events[0]["dtstart"].dt
    assert first.tzinfo is not None and first.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") == "2027-01-12 09:00"
    assert "Conliège" in str(events[0]["location"]) or "Montmorot" in str(events[0]["location"]) or "Perrigny" in str(events[0]["location"])
    assert "Visite confirmée à « MSP de Conliège » le mardi 12 janvier 2027" in sb.last_text("prive", "alice")
    assert "Information des élus" in group or "Aucun élu enregistré" in group
    stored = await candidates.get(sb.db, 1)
    assert stored.status == "visites_planifiees"
    assert (await visits.visit(sb.db, 1)).day == "2027-01-12"
    kinds = {r.kind for r in await reminders.for_candidate(sb.db, 1) if r.state == "pending"}
    assert {"visites_veille", "debrief_soir"} <= kinds
    # a site that can no longer host the visit says so, and confirms it first: a press on a phone cancels nothing
    group_before = sb.texts("equipe")
    before = len(sb.api.calls)
    asked = await sb.press("bob", "ne pouvons plus", "prive")
    assert [m for m, _ in sb.api.calls[before:]] == ["answerCallbackQuery", "editMessageReplyMarkup"]
    assert any(s.kind == "toast" and "Confirmez" in s.text for s in asked)
    assert sb.texts("equipe") == group_before and not any(c for *_, c in await polls.stops(sb.db, 1))
    await sb.press("bob", "Non, nous la recevons", "prive")  # taken back: the one button again, nothing changed
    assert sb.texts("equipe") == group_before and not any(c for *_, c in await polls.stops(sb.db, 1))
    await sb.press("bob", "ne pouvons plus", "prive")
    await sb.press("bob", "Oui, nous ne pouvons plus", "prive")
    assert "« Maison médicale de Perrigny » ne peut plus recevoir la visite" in sb.last_text("equipe")
    assert "Vous avez indiqué ne plus pouvoir recevoir cette visite" in sb.last_text("prive", "bob")
    assert [c for _, _, _, c in await polls.stops(sb.db, 1)].count(True) == 1
    # the same confirmation pressed again (a second tap, an old message) alerts nobody twice
    site_id = next(site for site, _, _, cancelled in await polls.stops(sb.db, 1) if cancelled)
    told = sb.texts("equipe")
    other = next(site for site, _, _, cancelled in await polls.stops(sb.db, 1) if site and not cancelled)
    out = await sb.press_data("cpts1", f"p:1:{other}:X", "equipe")  # the team cannot say it for a site
    assert [(s.kind, s.text) for s in out] == [("toast", "Ce bouton n'est pas valable pour vous.")]
    for step in ("X", "x"):
        again = await sb.press_data("bob", f"p:1:{site_id}:{step}", "prive")
        assert [(s.kind, s.text, s.alert) for s in again] == [("toast", "C'est déjà noté.", True)]
    assert sb.texts("equipe") == told


async def test_a_cancelled_visit_reaches_the_team_though_telegram_fails_and_the_bot_restarts(sb):
    await planned(sb)
    alert = "« Maison médicale de Perrigny » ne peut plus recevoir la visite"
    await sb.press("bob", "ne pouvons plus", "prive")
    sb.api.fail("sendMessage", "500", times=6)  # Telegram down for a quarter of an hour
    out = await sb.press("bob", "Oui, nous ne pouvons plus", "prive")
    assert ("toast", "C'est noté, l'équipe est prévenue.") in [(s.kind, s.text) for s in out]
    assert not any(alert in text for text in sb.texts("equipe"))
    await sb.restart()  # and the bot stopped meanwhile: the alert waits in the database, not in memory
    perrigny = next(site.id for site in await sites.all_sites(sb.db) if site.name == "Maison médicale de Perrigny")
    again = await sb.press_data("bob", f"p:1:{perrigny}:X", "prive")
    assert [(s.kind, s.text) for s in again] == [("toast", "C'est déjà noté.")]
    await sb.advance(timedelta(hours=1))
    told = [text for text in sb.texts("equipe") if alert in text]
    assert len(told) == 1 and "/sondage_cloner 1 1" in told[0]
    assert "Signalé le" in told[0]  # sent late: the team sees when the site said it
    events, _ = await candidates.timeline(sb.db, 1)
    assert sum(alert in e.detail for e in events) == 1


async def test_clone_for_the_next_candidate(sb):
    await prepared(sb, sites_chosen=2)
    await send_poll(sb)
    assert "Usage" in texts_of(await sb.say("cls", "/sondage_cloner"))
    wrong = {"/sondage_cloner 99 1": "Aucun sondage n° 99. Usage : /sondage_cloner P N",
             "/sondage_cloner 1 99": "Aucun dossier n° 99. Tapez /dossiers pour la liste.",
             f"/sondage_cloner {'9' * 30} 1": "Usage : /sondage_cloner P N",  # no error from SQLite's integers
             f"/sondage_cloner 1 {'9' * 30}": "Usage : /sondage_cloner P N",
             "/sondage_cloner 1 ²": "Usage : /sondage_cloner P N"}
    for typed, answer in wrong.items():
        out = texts_of(await sb.say("cls", typed))
        assert answer in out and "erreur inattendue" not in out, (typed, out)
    assert [p.id for p in await polls.open_ones(sb.db)] == [1]  # nothing dropped, nothing opened
    await sb.say("cls", "/nouveau")
    for step in ("Luc", "Bernard"):
        await sb.say("cls", step)
    for button in ("généraliste", "Passer", "Passer", "ARS", "Aujourd'hui", "Oui", "Oui", "Pas encore", "Confirmer"):
        await sb.press("cls", button)
    assert "le dossier n° 2 est à l'étape « nouveau »" in texts_of(await sb.say("cls", "/sondage_cloner 1 2"))
    await skip_interview(sb, 2)
    await sb.say("cls", "/dossier 2")
    await sb.press("cls", "Changer le statut")
    await sb.press("cls", "croisement")
    out = texts_of(await sb.say("cls", "/sondage_cloner 1 2"))
    assert "Sondage de disponibilité — Luc Bernard (n° 2)" in out
    assert "✅ MSP de Conliège" in out and "✅ Maison médicale de Perrigny" in out
    assert "1. " in out  # slots of their own (no availability given: the next working days)
    clone = await polls.current_for(sb.db, 2)
    assert clone.cloned_from == 1 and clone.state == "draft"


async def _relances(sb) -> list:
    return [r for r in (await reminders.open_ones(sb.db, limit=500))[0] if r.kind in ("sondage_mi", "sondage_veille")]


async def test_reminders_to_silent_sites_go_when_a_site_answers_the_deadline_moves_or_the_poll_closes(sb):
    await prepared(sb, sites_chosen=3)
    await send_poll(sb)
    sites_reminded = {(r.poll_id, r.site_id) for r in await _relances(sb)}
    assert len(sites_reminded) == 3 and len(await _relances(sb)) == 6  # halfway and the day before, for each site
    await answer(sb, "alice", "5/01", "o")
    assert len(await _relances(sb)) == 4 and (1, 1) not in {(r.poll_id, r.site_id) for r in await _relances(sb)}  # alice's site answered

    await sb.press("cpts1", "Prolonger")
    await sb.say("cpts1", "vendredi 4 décembre 18h")
    moved = await _relances(sb)
    assert len(moved) == 4 and all(r.key.endswith(":202612041800") for r in moved)  # only the new deadline's

    await sb.press("cpts1", "Clore maintenant")
    assert await _relances(sb) == []
    digest = [s.text for s in await sb.advance(timedelta(days=7)) if s.text.startswith("🗓 Point de la semaine")][-1]
    assert "Sondage : relance" not in digest and "appeler « Centre de santé de Montmorot »" in digest  # calls to make stay



async def test_a_site_answer_costs_two_requests_and_a_burst_of_answers_one_edit_of_the_tally(sb):
    """A press is answered and its message edited in place: two requests, none to the group, whose 20 messages a
    minute are spared; the answers of a few seconds reach the tally in one edit."""
    await prepared(sb)
    await send_poll(sb)
    group = sb.settings.team_chat_id
    tally_id = (await polls.get(sb.db, 1)).tally_message_id
    await sb.advance(timedelta(seconds=5))  # the tally was posted a moment ago: now it may be edited at once

    def requests(before):
        return [(method, int(params.get("chat_id") or 0)) for method, params in sb.api.calls[before:]]

    before = len(sb.api.calls)
    await answer(sb, "alice", "5/01", "o")
    alice = sb.person("alice").user_id
    assert requests(before) == [("answerCallbackQuery", 0), ("editMessageText", alice), ("editMessageText", group)]
    for who, day in [("bob", "5/01"), ("carole", "12/01"), ("alice", "12/01")]:
        before = len(sb.api.calls)
        await answer(sb, who, day, "o")
        assert requests(before) == [("answerCallbackQuery", 0), ("editMessageText", sb.person(who).user_id)]
    before = len(sb.api.calls)
    await sb.advance(timedelta(seconds=5))
    assert [r for r in requests(before) if r[1] == group] == [("editMessageText", group)]
    tally = sb.api.messages[(group, tally_id)]["text"]
    assert "mar. 5 janv. (journée) : ✅ 2" in tally and "mar. 12 janv. (journée) : ✅ 2" in tally


async def test_what_the_sites_were_told_stays_as_sent_after_a_correction_and_a_restart(sb):
    """The poll keeps the text the sites received: an interview corrected afterwards changes neither the site's
    poll message nor its web page, even once the bot has restarted (it no longer lives in memory only)."""
    from storage import interviews

    await prepared(sb)
    await send_poll(sb)
    told = "Un·e médecin généraliste (exercice regroupé, libéral, installation à court terme) souhaite visiter"
    assert told in sb.last_text("prive", "alice")
    await interviews.save_answer(sb.db, 1, "exercice", "isole", by=sb.person("cpts1").user_id, role="cpts",
                                 at="2026-11-24T10:00:00+00:00")
    await sb.restart()
    await answer(sb, "alice", "5/01", "o")
    assert told in sb.last_text("prive", "alice")
    assert (await polls.get(sb.db, 1)).asked.startswith(told)


async def test_a_database_from_before_the_poll_and_site_columns_keeps_its_queued_messages(sb):
    """Migration 0017: the poll and site a message is about were packed into its key (a relance's, into its text)
    and read back by splitting; a database of the schema before, with a poll sent and its relances to come, is
    carried over and the relances still reach the silent site, once each."""
    await prepared(sb)
    await send_poll(sb)
    await answer(sb, "alice", "5/01", "o")
    await answer(sb, "bob", "12/01", "s")
    await sb.stop()
    raw = sqlite3.connect(sb.db_path)
    before = raw.execute("SELECT id, kind, poll_id, site_id FROM reminders WHERE poll_id IS NOT NULL ORDER BY id").fetchall()
    assert {kind for _, kind, _, _ in before} >= {"sondage_tableau", "sondage_lieu", "sondage_envoye", "sondage_mi"}
    raw.execute("UPDATE reminders SET text = poll_id || ':' || site_id WHERE kind IN ('sondage_mi', 'sondage_veille')")
    raw.execute("ALTER TABLE reminders DROP COLUMN poll_id")
    raw.execute("ALTER TABLE reminders DROP COLUMN site_id")
    raw.execute("INSERT INTO kv (key, value) VALUES ('sauvegarde:derniere', "
                "'2026-11-22T23:00:00+00:00|installation-2026-11-23-000000.sqlite3')")
    raw.execute("PRAGMA user_version = 16")
    raw.commit()
    raw.close()
    await sb.start()
    after = await sb.db.fetchall("SELECT id, kind, poll_id, site_id FROM reminders WHERE poll_id IS NOT NULL ORDER BY id")
    assert [tuple(row) for row in after] == before
    assert all(r["text"] == "" for r in await sb.db.fetchall(
        "SELECT text FROM reminders WHERE kind IN ('sondage_mi', 'sondage_veille')"))
    out = texts_of(await sb.say("admin", "/etat", "prive"))
    assert "installation-2026-11-23-000000.sqlite3" in out
    sent = await sb.advance(timedelta(days=8))
    to_carole = [s.text for s in sent if s.chat_id == sb.person("carole").user_id and "Petit rappel" in s.text]
    assert len(to_carole) == 2
