"""Durable reminders end to end: the clock is moved by the tests, nothing sleeps for hours."""

import asyncio
from datetime import UTC, datetime, timedelta

from bot.app import build_application, shutdown, startup
from delivery.clock import Clock
from delivery.engine import schedule_wake
from domain.dates import PARIS
from sandbox.fakeapi import FakeBotAPI
from sandbox.sandbox import Sandbox, sandbox_settings
from storage import candidates, reminders, visits
from tests.support import register_candidate, skip_interview, texts_of, to_croisement, to_follow_up

GROUP = -1001000000001


def group_texts(out, *, digests=True):
    """The messages the bot posted in the team group: reminders (meeting summaries left out), and the weekly
    digests unless told otherwise."""
    return [s.text for s in out if s.kind == "message" and s.chat_id == GROUP and not s.text.startswith("📝 À relire")
            and (digests or not s.text.startswith("🗓"))]


async def test_interview_reminders_the_day_before_and_one_hour_before(sb):
    await register_candidate(sb, interview="jeudi 14h")
    out = await sb.advance(timedelta(days=2, hours=7, minutes=59))  # Wednesday 16:59
    assert not [t for t in group_texts(out) if "Entretien" in t]
    out = group_texts(await sb.advance(timedelta(minutes=1)))  # Wednesday 17:00
    assert len(out) == 1 and "Entretien demain, jeudi 26 novembre 2026 à 14 h 00 : Marie Dupont" in out[0]
    assert "Claire Martin (CLS)" in out[0] and "Paul Roche" in out[0] and "Anne Vidal" in out[0]
    out = group_texts(await sb.advance(timedelta(hours=20)))  # Thursday 13:00
    assert out == ["📅 Entretien dans une heure, à 14 h 00 : Marie Dupont (médecin généraliste, n° 1).\n"
                   "👥 Claire Martin (CLS) et Anne Vidal ou Paul Roche (CPTS)"]
    assert group_texts(await sb.advance(timedelta(days=1))) == []  # each exactly once


async def test_moving_the_interview_moves_its_reminders(sb):
    await register_candidate(sb, interview="jeudi 14h")
    await sb.say("cls", "/dossier 1")
    await sb.press("cls", "Corriger")
    await sb.press("cls", "Entretien")
    await sb.say("cls", "vendredi 10h")
    await sb.press("cls", "Oui")
    out = group_texts(await sb.advance(timedelta(days=3, hours=8)))  # to Thursday 17:00
    assert len(out) == 1 and "vendredi 27 novembre 2026 à 10 h 00" in out[0]
    states = sorted((r.kind, r.state) for r in await reminders.for_candidate(sb.db, 1))
    assert states == [("entretien_1h", "cancelled"), ("entretien_1h", "pending"),
                      ("entretien_veille", "cancelled"), ("entretien_veille", "sent")]


async def test_croisement_warning_at_day_7_alert_at_day_10_until_recorded(sb):
    await register_candidate(sb, interview=None)
    await skip_interview(sb)  # interview held Monday 23 November
    out = group_texts(await sb.advance(timedelta(days=7)))  # Monday 30 November, 9:00
    croisement = [t for t in out if t.startswith("🔎")]
    assert len(croisement) == 1 and "plus que 3 jours" in croisement[0]
    assert "avant le jeudi 3 décembre 2026" in croisement[0]
    out = group_texts(await sb.advance(timedelta(days=3)))  # Thursday 3 December
    assert any("délai de 10 jours atteint" in t for t in out)
    out = texts_of(await sb.press("cpts1", "Faire le croisement"))
    assert "Aucun lieu ne recherche ce profil" in out
    out = texts_of(await sb.press("cpts1", "Passer"))
    assert "Croisement enregistré (dans les délais)" in out
    assert (await candidates.get(sb.db, 1)).status == "croisement"
    assert all(r.state != "awaiting" and r.state != "pending"
               for r in await reminders.for_candidate(sb.db, 1) if r.kind.startswith("croisement"))
    assert not [t for t in group_texts(await sb.advance(timedelta(days=10))) if t.startswith(("🔎", "🔁"))]


async def test_a_reminder_on_christmas_or_a_sunday_moves_to_the_next_working_day(tmp_path):
    # interview held Friday 18 December: day 7 is Friday 25 December, day 10 is Monday 28 December
    async with Sandbox(tmp_path / "b.sqlite3", start=datetime(2026, 12, 18, 10, 0, tzinfo=PARIS)) as sb:
        await register_candidate(sb, interview=None)
        await skip_interview(sb)
        out = await sb.advance(timedelta(days=6, hours=23))  # until Friday 25 December, 9:00
        assert not [s for s in out if s.text.startswith("🔎")]
        out = await sb.advance(timedelta(days=3))  # through the weekend to Monday 28 December 9:00
        croisement = [s for s in out if s.text.startswith("🔎")]
        assert len(croisement) == 2  # the moved day-7 warning and the day-10 alert, both on Monday morning
        due = {r.kind: datetime.fromisoformat(r.original_due_at).astimezone(PARIS)
               for r in await reminders.for_candidate(sb.db, 1)}
        assert due["croisement_j7"] == datetime(2026, 12, 28, 9, 0, tzinfo=PARIS)
    async with Sandbox(tmp_path / "c.sqlite3", start=datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)) as sb:
        await sb.say("cls", "/rappel relancer le Dr Martin dimanche")  # a day without time: protocol-like
        assert "dimanche : il partira le lundi 30 novembre 2026 à 9 h 00, jour ouvré suivant" in sb.last_text()
        await sb.say("cls", "/rappel réunion de l'équipe dimanche 11h")  # a day off, even at a typed hour
        assert "le dimanche 29 novembre 2026 est un dimanche : il partira le lundi 30 novembre 2026 à 9 h 00" in sb.last_text()


async def test_free_reminder_and_bad_input(sb):
    out = texts_of(await sb.say("cls", "/rappel appeler la mairie de Conliège mardi 10h"))
    assert "« appeler la mairie de Conliège » le mardi 24 novembre 2026 à 10 h 00" in out
    assert "Que faut-il rappeler" in texts_of(await sb.say("cls", "/rappel"))
    assert "Je n'ai pas trouvé de date" in texts_of(await sb.say("cls", "/rappel appeler la mairie"))
    assert "déjà passé" in texts_of(await sb.say("cls", "/rappel appeler la mairie hier 10h"))
    assert [r.kind for r in (await reminders.open_ones(sb.db))[0]].count("libre") == 1  # nothing for the bad ones
    out = group_texts(await sb.advance(timedelta(days=1, hours=1)))
    assert out[0].startswith("🔔 Rappel : appeler la mairie de Conliège")


async def test_private_free_reminder_goes_to_its_author(sb):
    await sb.say("cpts1", "/rappel préparer la réunion demain 8h", "prive")
    out = await sb.advance(timedelta(days=1))
    assert [s.chat_id for s in out if "préparer la réunion" in s.text] == [1002]


async def test_reminders_due_while_the_bot_was_down_are_sent_at_once_marked_late(sb):
    await sb.say("cls", "/rappel appeler la MSP mardi 10h")
    await sb.stop()
    sb.clock.advance(timedelta(days=2))  # down until Wednesday 9:00
    await sb.start()
    out = group_texts(sb.new_output())
    assert len(out) == 1
    assert out[0].startswith("⏰ En retard — prévu le mardi 24 novembre 2026 à 10 h 00.\n🔔 Rappel : appeler la MSP")


async def test_faults_never_lose_a_reminder_nor_send_it_twice(sb):
    for i in range(20):
        await sb.say("cls", f"/rappel tâche {i:02d} demain 10h")
    sb.new_output()
    sb.api.fail("sendMessage", "429", times=3, retry_after=5)
    sb.api.fail("sendMessage", "500", times=3)
    sb.api.fail("sendMessage", "timeout", times=3)
    out = group_texts(await sb.advance(timedelta(days=1, hours=2)))
    delivered = sorted(t.split("tâche ")[1][:2] for t in out if "🔔 Rappel : tâche" in t and "Relance" not in t)
    assert delivered == [f"{i:02d}" for i in range(20)]  # every one, exactly once
    rows = [r for r in (await reminders.open_ones(sb.db, limit=100))[0] if r.kind == "libre"]
    assert len(rows) == 20 and all(r.state == "awaiting" and r.message_id for r in rows)
    sent = [dict(r) for r in await sb.db.fetchall("SELECT attempts FROM reminders WHERE sent_at IS NOT NULL")]
    # the three 429s were waited out by the limiter, the six other failures retried by the reminders, whichever
    # reminder they hit
    assert sb.app.bot.rate_limiter.retried == 3
    assert sum(r["attempts"] - 1 for r in sent) == 6


async def test_permanent_error_is_recorded_and_admins_are_told(sb):
    await sb.say("cls", "/start", "prive")  # the admin opened the private chat
    await sb.say("cls", "/rappel vérifier le groupe demain 10h")
    sb.api.fail("sendMessage", "403", times=1)
    await sb.advance(timedelta(days=1, hours=1))
    row = [r for r in await reminders.failed(sb.db)][0]
    assert row.state == "failed" and "kicked" in row.last_error
    assert "n'a pas pu être envoyé" in sb.last_text("prive", "cls")
    assert "Échecs d'envoi" in texts_of(await sb.say("cls", "/rappels"))
    assert "Échecs d'envoi" not in texts_of(await sb.say("cpts1", "/rappels"))  # admins only


async def test_snooze_tomorrow_and_to_a_typed_date(sb):
    await sb.say("cls", "/rappel relancer la mairie demain 10h")
    await sb.advance(timedelta(days=1, hours=1))  # Tuesday 10:00
    await sb.press("cpts1", "Reporter")
    out = texts_of(await sb.press("cpts1", "Demain"))
    assert "Reporté au mercredi 25 novembre 2026 à 9 h 00 par Paul Roche" in out
    out = group_texts(await sb.advance(timedelta(hours=23)))  # Wednesday 9:00
    assert len(out) == 1 and "relancer la mairie" in out[0] and "En retard" not in out[0]
    await sb.press("cpts1", "Reporter")
    await sb.press("cpts1", "Autre date")
    out = texts_of(await sb.say("cpts1", "le 3 décembre"))
    assert "Rappel reporté au jeudi 3 décembre 2026 à 9 h 00" in out
    assert not [t for t in group_texts(await sb.advance(timedelta(days=7, hours=23)), digests=False) if "relancer" in t]
    assert [t for t in group_texts(await sb.advance(timedelta(hours=1)), digests=False) if "relancer" in t]


async def test_unanswered_reminders_come_back_after_two_working_days_three_times_at_most(sb):
    await sb.say("cls", "/rappel rappeler le Dr Roux jeudi 10h")
    out = group_texts(await sb.advance(timedelta(days=30)))
    mentions = [t for t in out if "rappeler le Dr Roux" in t and not t.startswith("🗓")]
    assert len(mentions) == 4 and all(t.startswith("🔁 Relance") for t in mentions[1:])
    digests = [t for t in out if t.startswith("🗓 Point de la semaine")]
    assert digests and "rappeler le Dr Roux" in digests[-1]  # still listed as late


async def test_taking_a_reminder_on_stops_the_reposts(sb):
    await sb.say("cls", "/rappel rappeler le Dr Roux jeudi 10h")
    await sb.advance(timedelta(days=3, hours=1))
    out = texts_of(await sb.press("cpts2", "Je m'en charge"))
    assert "Pris en charge par Anne Vidal" in out
    assert not [t for t in group_texts(await sb.advance(timedelta(days=10))) if t.startswith("🔁")]
    mine = texts_of(await sb.say("cpts2", "/rappels mes"))
    assert "rappeler le Dr Roux — 🙋 Anne Vidal" in mine
    assert "Aucun rappel en attente" in texts_of(await sb.say("cpts1", "/rappels mes"))


async def test_weekly_digest_on_monday_morning(sb):
    await sb.say("cls", "/rappel envoyer le compte rendu mercredi 10h")
    await register_candidate(sb, first="Luc", last="Bernard", interview="mardi 1er décembre 15h")
    out = group_texts(await sb.advance(timedelta(days=7)))  # to Monday 30 November 9:00
    digest = [t for t in out if t.startswith("🗓")][-1]
    assert "Point de la semaine — lundi 30 novembre 2026" in digest
    assert "Entretien demain : Luc Bernard (n° 1)" in digest  # due this week
    assert "Rappel : envoyer le compte rendu" in digest.split("En retard")[1]


async def test_forged_reminder_buttons_change_nothing(sb):
    await sb.say("cls", "/rappel appeler la mairie demain 10h")
    await sb.advance(timedelta(days=1, hours=1))
    message = sb.api.last_with_buttons(GROUP)["message_id"]
    for data in ("r:999:done", "r:1:explode", "r:abc:done", "r:1", "rl:everything"):
        out = await sb.press_data("cpts1", data, message_id=message)
        assert out[-1].kind == "toast", data
    row = (await reminders.open_ones(sb.db))[0]
    assert all(r.state in ("awaiting", "pending") and r.assigned_to is None for r in row)
    out = await sb.press_data("intrus", "r:1:done", message_id=message)
    assert out[-1].text == "Ce bouton est réservé à l'équipe."


async def test_visits_evening_debrief_remote_debrief_then_follow_ups(sb):
    await to_croisement(sb)
    assert "Aucun dossier" in texts_of(await sb.say("cls", "/visites 9 jeudi : MSP"))
    assert "Usage" in texts_of(await sb.say("cls", "/visites 1 jeudi"))
    out = texts_of(await sb.say("cls", "/visites 1 jeudi 3 décembre : MSP de Conliège, Cabinet de Perrigny"))
    assert "prévues le jeudi 3 décembre 2026" in out
    out = group_texts(await sb.advance(timedelta(days=9, hours=8)))  # Wednesday 2 December 17:00
    assert any("Visites demain pour Marie Dupont" in t and "MSP de Conliège, Cabinet de Perrigny" in t for t in out)
    out = group_texts(await sb.advance(timedelta(days=1, hours=1)))  # Thursday 18:00
    assert any("Débriefing du soir (temps 2)" in t for t in out)
    out = texts_of(await sb.press("cpts1", "Commencer le débriefing"))
    assert "Ressenti du candidat sur « MSP de Conliège »" in out
    await sb.say("cpts1", "Très bon accueil")
    await sb.say("cls", "Trop loin de l'école")
    await sb.say("cls", "Une équipe soudée")
    await sb.say("cpts1", "Un logement")
    await sb.say("cls", "mardi 8 décembre 12h30")
    await sb.press("cls", "Oui")
    out = texts_of(await sb.press("cls", "Confirmer"))
    assert "Débriefing à distance le mardi 8 décembre 2026 à 12 h 30" in out
    stored = await candidates.get(sb.db, 1)
    assert stored.status == "visites_faites"
    soir = await visits.debrief(sb.db, 1, "soir")
    assert soir["Ressenti — MSP de Conliège"] == "Très bon accueil"
    out = group_texts(await sb.advance(timedelta(days=4, hours=23)))  # Tuesday 8 December 17:00
    assert any("Débriefing à distance demain" in t for t in out)
    assert any("Débriefing à distance dans une heure" in t for t in out)
    assert any("Débriefing à distance (temps 3)" in t for t in out)
    await sb.press("cls", "Saisir le débriefing")
    for answer in ("Convaincue", "Installation à Conliège", "Aucun", "RAS"):
        await sb.say("cls", answer)
    await sb.press("cls", "Confirmer")
    assert (await candidates.get(sb.db, 1)).status == "suivi"
    due = {f.months: f.due_day for f in await visits.follow_ups(sb.db, 1)}
    assert due == {3: "2027-03-03", 6: "2027-06-03", 12: "2027-12-03"}  # from the visit day


async def test_follow_up_installed_closes_the_remaining_ones(sb):
    await to_follow_up(sb)
    out = group_texts(await sb.advance(timedelta(days=101)), digests=False)  # past 3 March 2027
    call = [t for t in out if "Suivi à 3 mois" in t]
    assert len(call) == 1 and "06 12 34 56 78" in call[0] and "binôme CLS–CPTS" in call[0]
    await sb.press("cpts1", "Fait")
    await sb.press("cpts1", "Installé")
    await sb.say("cpts1", "MSP de Conliège")
    await sb.say("cpts1", "Conliège")
    await sb.say("cpts1", "1er avril")
    await sb.press("cpts1", "Passer")
    out = texts_of(await sb.press("cpts1", "Confirmer"))
    assert "Suivi enregistré. Les suivis restants sont clos." in out and "Statut : installé" in out
    stored = await candidates.get(sb.db, 1)
    assert (stored.status, stored.installed_place, stored.installed_commune, stored.installed_on) == (
        "installe", "MSP de Conliège", "Conliège", "2027-04-01")
    follow = {f.months: f for f in await visits.follow_ups(sb.db, 1)}
    assert follow[3].outcome == "installe" and follow[3].done_by == 1002 and follow[6].done_at is None
    assert not [t for t in group_texts(await sb.advance(timedelta(days=400)), digests=False) if "Suivi à" in t]
    events, _ = await candidates.timeline(sb.db, 1, limit=50)
    assert any(e.detail.startswith("Suivi à 3 mois : installé·e — MSP de Conliège (Conliège)") for e in events)


async def test_follow_up_outcomes_reflexion_then_abandon(sb):
    await to_follow_up(sb)
    await sb.advance(timedelta(days=101))
    await sb.press("cls", "Fait")
    await sb.press("cls", "En réflexion")
    await sb.say("cls", "Attend la réponse de son conjoint")
    await sb.press("cls", "Confirmer")
    assert (await candidates.get(sb.db, 1)).status == "en_reflexion"
    out = group_texts(await sb.advance(timedelta(days=95)))  # the 6-month call still comes
    assert any("Suivi à 6 mois" in t for t in out)
    await sb.press("cls", "Fait")
    await sb.press("cls", "Abandon")
    await sb.press("cls", "Passer")
    await sb.press("cls", "Confirmer")
    assert (await candidates.get(sb.db, 1)).status == "abandon"
    assert not [t for t in group_texts(await sb.advance(timedelta(days=400)), digests=False) if "Suivi à 12" in t]


async def test_follow_up_still_searching_snooze_and_assignment(sb):
    await to_follow_up(sb)
    await sb.advance(timedelta(days=101))
    await sb.press("cpts2", "Je m'en charge")
    await sb.press("cpts2", "Fait")
    await sb.press("cpts2", "Toujours en recherche")
    await sb.press("cpts2", "Passer")
    await sb.press("cpts2", "Confirmer")
    assert (await candidates.get(sb.db, 1)).status == "suivi"
    assert [f.outcome for f in await visits.follow_ups(sb.db, 1)] == ["recherche", None, None]


async def test_real_job_queue_wakes_late_and_still_sends(tmp_path):
    """APScheduler drops a job later than its misfire grace time; the wake job has none."""
    api = FakeBotAPI()
    settings = sandbox_settings(tmp_path / "real.sqlite3")
    api.add_group(settings.team_chat_id, "équipe")
    app = build_application(settings, request=api.request(), clock=Clock(), rate_limiter=False)
    await app.initialize()
    await startup(app)
    await app.start()
    try:
        db = app.bot_data["services"].db
        late = datetime.now(UTC) - timedelta(minutes=30)
        await reminders.create(db, kind="libre", chat_id=settings.team_chat_id, text="vérifier la salle",
                               due_at=late.isoformat(timespec="seconds"), at=late.isoformat(timespec="seconds"))
        schedule_wake(app, late.isoformat(timespec="seconds"))
        job = app.job_queue.get_jobs_by_name("rappels")[0]
        assert job.job.misfire_grace_time is None
        for _ in range(40):
            if any("vérifier la salle" in s.text for s in api.log):
                break
            await asyncio.sleep(0.1)
        sent = [s.text for s in api.log if "vérifier la salle" in s.text]
        assert len(sent) == 1 and sent[0].startswith("⏰ En retard")
    finally:
        await app.stop()
        await app.shutdown()
        await shutdown(app)


async def test_what_falls_due_with_the_monday_digest_is_this_week_not_late(sb):
    await sb.say("cls", "/rappel appeler la mairie lundi 30 novembre 8h50")
    await sb.say("cls", "/rappel relire la convention vendredi 10h")
    out = group_texts(await sb.advance(timedelta(days=7)))  # to Monday 30 November 9:00
    digest = [t for t in out if t.startswith("🗓")][-1]
    this_week, late = digest.split("En retard ou sans réponse")
    assert "appeler la mairie" in this_week and "appeler la mairie" not in late  # sent ten minutes ago
    assert "relire la convention" in late.split("Les 7 derniers jours")[0]  # last Friday's, still open


async def test_a_reminder_typed_for_a_day_off_says_when_it_will_really_go(sb):
    out = texts_of(await sb.say("cls", "/rappel appeler la mairie samedi 10h"))
    assert ("« appeler la mairie » le samedi 28 novembre 2026 est un samedi : il partira le "
            "lundi 30 novembre 2026 à 9 h 00, jour ouvré suivant") in out
    assert "• 30/11" in texts_of(await sb.say("cls", "/rappels"))
    early = group_texts(await sb.advance(timedelta(days=5, hours=1)), digests=False)  # Saturday 28, 10:00
    assert not [t for t in early if "appeler la mairie" in t]
    later = group_texts(await sb.advance(timedelta(days=2)), digests=False)  # past Monday 30, 9:00
    assert [t for t in later if "appeler la mairie" in t]
    out = texts_of(await sb.say("cls", "/rappel fermer le cabinet le 25 décembre"))
    assert "est un jour férié (Noël)" in out and "samedi 26" not in out and "lundi 28 décembre 2026 à 9 h 00" in out
    out = texts_of(await sb.say("cls", "/rappel appeler le Dr Morel mardi 20h"))
    assert "« appeler le Dr Morel » le mardi 1er décembre 2026 à 20 h 00." in out  # an hour typed on a working day is kept


async def test_a_croisement_deadline_on_a_saturday_is_said_and_alerted_the_friday_before(tmp_path):
    # interview held Wednesday 25 November: the 10 days end on Saturday 5 December
    async with Sandbox(tmp_path / "d.sqlite3", start=datetime(2026, 11, 25, 10, 0, tzinfo=PARIS)) as sb:
        await register_candidate(sb, interview=None)
        out = texts_of(await skip_interview(sb))
        assert ("avant le samedi 5 décembre 2026 (10 jours) — un samedi : l'alerte du délai viendra le "
                "vendredi 4 décembre 2026") in out
        assert "un samedi : l'alerte du délai viendra le vendredi 4 décembre 2026" in texts_of(await sb.say("cls", "/dossier 1"))
        out = group_texts(await sb.advance(timedelta(days=8, hours=23, minutes=30)))  # Friday 4 December, 9:30
        assert any("délai de 10 jours atteint" in t for t in out)


async def test_a_reminder_for_a_date_that_cannot_be_is_refused_with_its_reason(sb):
    cases = {
        "/rappel test le 31 Février": "La date « 31 Février » n'existe pas.",  # quoted as typed
        "/rappel test dans 999999999 ans": "« dans 999999999 ans », c'est trop loin",
        "/rappel test dans 9000 ans": "« dans 9000 ans », c'est trop loin",
        "/rappel test demain 25h": "L'heure « 25h » n'existe pas.",
    }
    for typed, reason in cases.items():
        out = texts_of(await sb.say("cls", typed))
        assert reason in out and "Rien n'a été noté" in out and "erreur inattendue" not in out, out
    listing = texts_of(await sb.say("cls", "/rappels"))
    assert "— test" not in listing  # nothing was saved for any of them


async def test_a_reminder_with_a_date_and_nothing_to_do_asks_what_to_remind(sb):
    out = texts_of(await sb.say("cls", "/rappel dans 3 jours"))
    assert "Que faut-il rappeler dans 3 jours ? Écrivez-le avant la date." in out
    assert "/rappel appeler la mairie" in out  # the example of what to type
