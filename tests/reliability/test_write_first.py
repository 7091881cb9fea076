"""A pressed button writes what it records before the message says so: the bot killed right after the message
changed (a ``kill`` fault: Telegram carries the edit out, then the process dies) has always saved it."""

from datetime import timedelta

import pytest

from sandbox.fakeapi import Killed
from storage import candidates, dialogs, interviews, polls, reminders
from tests.handlers.test_polls import answer, closed, prepared, send_poll
from tests.support import register_candidate


async def killed_at_the_edit(sb, press, method: str = "editMessageText") -> None:
    """Press, and let the bot die as soon as Telegram has edited the pressed message (or carried out the first
    call of ``method``); then start it again."""
    sb.api.fail(method, "kill")
    with pytest.raises(Killed):
        await press()
    await sb.restart()


async def test_an_interview_answer_shown_is_saved_and_the_interview_goes_on(sb):
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    await killed_at_the_edit(sb, lambda: sb.press("cpts1", "Oui"))
    group = sb.api.visible(sb.settings.team_chat_id)
    assert any("(Paul Roche)" in m["text"] for m in group)  # Telegram shows the answer...
    saved = await interviews.answers(sb.db, 1)
    assert [(a.question, a.value, a.answered_by) for a in saved] == [("deroule", True, 1002)]  # ...and it is saved
    dialog = (await dialogs.in_chat(sb.db, sb.settings.team_chat_id))[0]
    assert dialog.position != "deroule"  # at restart the interview asked the next question
    assert dialog.prompt_message_id == group[-1]["message_id"] and "question 2/" in group[-1]["text"]


async def test_a_new_candidate_answer_and_its_confirmation_survive_a_kill(sb):
    await sb.say("cls", "/nouveau")
    await sb.say("cls", "Marie")
    await sb.say("cls", "Dupont")
    await killed_at_the_edit(sb, lambda: sb.press("cls", "généraliste"))
    dialog = (await dialogs.in_chat(sb.db, sb.settings.team_chat_id))[0]
    assert dialog.data["values"]["profession"] == "medecin_generaliste"
    assert "Téléphone" in sb.last_text() or "téléphone" in sb.last_text()  # the next question, asked at restart
    for step in ("06 12 34 56 78",):
        await sb.say("cls", step)
    for label in ("Passer", "ARS", "Aujourd'hui", "Oui", "Oui", "Pas encore de date"):
        await sb.press("cls", label)
    await killed_at_the_edit(sb, lambda: sb.press("cls", "Confirmer"))
    stored = await candidates.get(sb.db, 1)
    assert (stored.first_name, stored.last_name, stored.source) == ("Marie", "Dupont", "ars")


async def test_a_site_poll_answer_shown_is_saved(sb):
    await prepared(sb, sites_chosen=1)
    await send_poll(sb)
    await killed_at_the_edit(sb, lambda: answer(sb, "alice", "5/01", "o"))
    assert [a.answer for a in (await polls.answers(sb.db, 1)).values()] == ["oui"]


async def test_a_reminder_marked_done_is_saved(sb):
    await sb.say("cls", "/rappel relancer la mairie demain 10h")
    await sb.advance(timedelta(days=1, hours=1))
    await killed_at_the_edit(sb, lambda: sb.press("cpts1", "Fait"))
    assert "✅ Fait (Paul Roche)" in sb.last_text()
    open_ones, _ = await reminders.open_ones(sb.db)
    assert [r for r in open_ones if "mairie" in (r.text or "")] == []


async def test_a_poll_sent_then_killed_once_its_tally_is_out_reaches_every_site_at_restart(sb):
    await prepared(sb)
    await sb.say("cpts1", "/sondage 1")
    await killed_at_the_edit(sb, lambda: sb.press("cpts1", "Envoyer le sondage"), method="sendMessage")
    await sb.advance(timedelta(minutes=1))
    for who in ("alice", "bob", "carole"):
        assert sum(t.startswith("📅 Demande de disponibilité") for t in sb.texts("prive", who)) == 1
    tallies = [m for m in sb.api.visible(sb.settings.team_chat_id) if m.get("text", "").startswith("📊 Sondage")]
    assert 1 <= len(tallies) <= 2  # sent once more at restart at most: never lost
    assert (await polls.get(sb.db, 1)).tally_message_id == tallies[-1]["message_id"]


async def test_a_day_confirmed_then_killed_once_its_calendar_is_out_tells_everyone_at_restart(sb):
    await closed(sb)
    drafts_before = sum("Information des élus" in t or "Aucun élu enregistré" in t for t in sb.texts("equipe"))
    await killed_at_the_edit(sb, lambda: sb.press("cpts1", "Confirmer le"), method="sendDocument")
    await sb.advance(timedelta(minutes=1))
    assert (await polls.get(sb.db, 1)).state == "planned"
    team = sb.texts("equipe")
    assert sum(t.startswith("🚗 Journée de visites — Marie Dupont") for t in team) == 1
    for who in ("alice", "bob", "carole"):
        assert sum(t.startswith("✅ Visite confirmée") for t in sb.texts("prive", who)) == 1
    assert sum("Information des élus" in t or "Aucun élu enregistré" in t for t in team) == drafts_before + 1
