"""Privacy end to end: audit, right of access, erasure, retention, backups and restore."""

import io
import json
import subprocess
import sys
from datetime import timedelta

from openpyxl import load_workbook

from domain.indicators import Period
from handlers.reporting import indicators
from sandbox.sandbox import Sandbox
from storage import audit_log, candidates, interviews, reminders
from tests.conftest import MONDAY
from tests.support import register_candidate, texts_of


async def test_audit_log_of_views_changes_exports_and_refusals(sb):
    await register_candidate(sb)
    await sb.say("cpts1", "/dossier 1")
    await sb.say("cpts1", "/export")
    await sb.say("curieux", "/dossier 1", "prive")
    entries = await audit_log.entries(sb.db, limit=100)
    actions = [(e.action, e.user_id, e.candidate_id) for e in entries]
    assert ("consultation", 1002, 1) in actions and ("modification", 1001, 1) in actions
    assert ("export", 1002, None) in actions
    refusal = next(e for e in entries if e.action == "refus")
    assert refusal.user_id == sb.person("curieux").user_id and "personne hors de l'équipe" in refusal.detail
    assert next(e for e in entries if e.action == "consultation").chat_id == sb.settings.team_chat_id
    out = texts_of(await sb.say("cls", "/journal 1"))
    assert "Journal — dossier n° 1" in out and "Paul Roche — consultation" in out
    assert "Paul Roche" not in texts_of(await sb.say("cls", "/journal utilisateur 1001"))
    assert "réservée aux administrateurs" in texts_of(await sb.say("cpts1", "/journal"))
    for typed in ("/journal ²", f"/journal {'9' * 30}", f"/journal utilisateur {'9' * 30}", "/journal utilisateur ²"):
        out = texts_of(await sb.say("cls", typed))  # no error from int() nor from SQLite's integers
        assert "Usage : /journal" in out and "erreur inattendue" not in out, (typed, out)


async def test_right_of_access_export(sb):
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    await sb.press("cls", "Oui")
    await sb.say("cls", "Rejoindre sa compagne")
    out = await sb.say("cls", "/rgpd_export 1")
    files = {s.file_name.rsplit(".", 1)[1]: s.file_data for s in out if s.kind == "document"}
    data = json.loads(files["json"])
    assert data["candidat"]["last_name"] == "Dupont" and data["candidat"]["phone"] == "06 12 34 56 78"
    assert {a["question"]: a["value"] for a in data["reponses_entretien"]}["motivations"] == "Rejoindre sa compagne"
    assert data["historique"][0]["detail"].startswith("Dossier créé")
    assert any(e["action"] == "consultation" for e in data["journal_d_acces"])
    book = load_workbook(io.BytesIO(files["xlsx"]))
    assert book.sheetnames[0] == "Candidat" and "Reponses entretien" in book.sheetnames
    assert "réservée aux administrateurs" in texts_of(await sb.say("cpts1", "/rgpd_export 1"))


async def test_erasure_after_two_confirmations_keeps_statistics_right(sb):
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    await sb.press("cls", "Oui")
    await sb.say("cls", "Rejoindre sa compagne, infirmière à Lons")
    await sb.press("cls", "Court")
    await sb.say("cls", "/rappel rappeler Marie Dupont au 06 12 34 56 78 demain 10h")
    year = Period(MONDAY.date() - timedelta(days=1), MONDAY.date() + timedelta(days=1))
    (before,) = await indicators(sb.db, [year], MONDAY.date())
    await sb.say("cls", "/export")  # the row drawn for the table is kept, with the name

    await sb.say("cls", "/rgpd_effacer 1")
    await sb.press("cls", "Annuler")
    assert (await candidates.get(sb.db, 1)).last_name == "Dupont"
    await sb.say("cls", "/rgpd_effacer 1")
    await sb.press("cls", "Effacer")
    out = texts_of(await sb.press("cls", "Oui, effacer définitivement"))
    assert "Données personnelles du dossier n° 1 effacées par Claire Martin" in out
    stored = await candidates.get(sb.db, 1)
    assert (stored.first_name, stored.last_name, stored.phone, stored.email) == ("Anonyme", "(n° 1)", None, None)
    assert stored.profession == "medecin_generaliste" and stored.source == "ars" and stored.anonymised_at
    answers = {a.question: a.value for a in await interviews.answers(sb.db, 1)}
    assert answers == {"deroule": True, "calendrier": "court"}  # free texts gone, choices kept
    events, _ = await candidates.timeline(sb.db, 1, limit=50)
    assert all("Dupont" not in e.detail and "06 12" not in e.detail for e in events)
    assert events[-1].detail == "Données personnelles effacées"
    assert all(r.state not in ("pending", "awaiting") or r.candidate_id != 1 for r in (await reminders.open_ones(sb.db))[0])
    (after,) = await indicators(sb.db, [year], MONDAY.date())
    assert after.funnel == before.funnel and after.by_source == before.by_source
    entries = await audit_log.entries(sb.db, candidate_id=1, limit=100)
    assert entries[0].action == "effacement" and all("Dupont" not in e.detail for e in entries)
    assert "déjà effacées" in texts_of(await sb.say("cls", "/rgpd_effacer 1"))
    card = texts_of(await sb.say("cls", "/dossier 1"))
    assert "Anonyme (n° 1)" in card and "Dupont" not in card and "06 12" not in card
    table = (await sb.say("cls", "/export csv"))[-1].file_data.decode("utf-8-sig")
    assert "Anonyme" in table and "Dupont" not in table and "06 12" not in table


async def test_retention_warns_then_anonymises_unless_extended(sb):
    await register_candidate(sb)
    await register_candidate(sb, first="Luc", last="Bernard", interview=None)
    out = await sb.advance(timedelta(days=365 * 2 - 8))
    assert not [s for s in out if "seront anonymisées" in s.text]
    out = await sb.advance(timedelta(days=2))
    warnings = [s for s in out if "seront anonymisées" in s.text]
    assert len(warnings) == 2 and "Luc Bernard (n° 2)" in texts_of(warnings)
    message = next(s for s in warnings if "Luc" in s.text)
    await sb.press_data("cpts1", message.buttons[0][0]["callback_data"], message_id=message.message_id)
    await sb.advance(timedelta(days=8))
    assert (await candidates.get(sb.db, 1)).anonymised_at is not None  # nobody extended Marie's
    assert (await candidates.get(sb.db, 2)).anonymised_at is None  # Luc's was extended by a year
    assert any(e.action == "anonymisation" for e in await audit_log.entries(sb.db, candidate_id=1))


async def test_a_retention_warning_telegram_held_back_still_gives_the_team_its_seven_days(sb):
    await register_candidate(sb)
    await sb.advance(timedelta(days=365 * 2 - 8))
    sb.api.fail("sendMessage", "500", times=1000)  # Telegram refuses every message for three days
    await sb.advance(timedelta(days=3))
    assert (await candidates.get(sb.db, 1)).retention_warned_at is not None
    assert not any("seront anonymisées" in t for t in sb.texts("equipe"))
    sb.api.faults.clear()
    await sb.advance(timedelta(hours=1))
    warnings = [t for t in sb.texts("equipe") if "seront anonymisées" in t]
    assert len(warnings) == 1 and warnings[0].startswith("🕶 Dans 7 jours, les données personnelles de Marie Dupont")
    await sb.advance(timedelta(days=6))  # Thursday: nine days after the warning was due, six after the team got it
    assert (await candidates.get(sb.db, 1)).anonymised_at is None
    await sb.advance(timedelta(days=4))  # the check runs on working mornings: Monday's
    assert (await candidates.get(sb.db, 1)).anonymised_at is not None
    assert sum(t.startswith("🕶 Dossier n° 1 anonymisé") for t in sb.texts("equipe")) == 1
    assert [e.action for e in await audit_log.entries(sb.db, candidate_id=1)].count("anonymisation") == 1


async def test_nightly_backups_rotate_and_restore(tmp_path):
    async with Sandbox(tmp_path / "bot.sqlite3", start=MONDAY, nightly_backups=True) as sb:
        await register_candidate(sb)
        await sb.advance(timedelta(days=40))
        folder = tmp_path / "sauvegardes"
        kept = sorted(p.name for p in folder.glob("installation-*.sqlite3"))
        assert 7 <= len(kept) <= 11  # 7 daily and up to 4 weekly
        out = texts_of(await sb.say("cls", "/sauvegarde"))
        assert "Sauvegarde faite" in out and "contiennent des données personnelles" in out
        assert "réservée aux administrateurs" in texts_of(await sb.say("cpts1", "/sauvegarde"))
        backup = max(folder.glob("*-manuelle.sqlite3"))
        await register_candidate(sb, first="Luc", last="Bernard")  # after the backup
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)}
    result = subprocess.run([sys.executable, "-m", "bot", "restore", str(backup), "--db", str(tmp_path / "bot.sqlite3")],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0 and "remise en place" in result.stdout and "avant-restauration" in result.stdout
    async with Sandbox(tmp_path / "bot.sqlite3", start=MONDAY) as sb:
        assert [c.first_name for c in (await candidates.search(sb.db))[0]] == ["Marie"]  # Luc came after the backup
    bad = tmp_path / "pas-une-base.sqlite3"
    bad.write_bytes(b"bonjour")
    result = subprocess.run([sys.executable, "-m", "bot", "restore", str(bad), "--db", str(tmp_path / "bot.sqlite3")],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1 and "Rien n'a été changé" in result.stderr


async def test_health_view_for_admins(sb, monkeypatch):
    await sb.say("cls", "/rappel appeler la mairie demain 10h")
    monkeypatch.setattr(candidates, "search", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    await sb.say("cls", "/dossiers")  # one failure, remembered
    sb.clock.advance(timedelta(hours=2, minutes=5))
    out = texts_of(await sb.say("cls", "/etat"))
    assert "État du bot" in out and "Version : 0.1.0" in out and "En marche depuis : 0 j 2 h 5 min" in out
    assert "Rappels en attente :" in out and "Dernières erreurs : 23/11/2026 09:00 : RuntimeError (commande /dossiers)" in out
    assert "réservée aux administrateurs" in texts_of(await sb.say("cpts1", "/etat"))
    await sb.restart()  # the errors are still there after a restart
    assert "Dernières erreurs : 23/11/2026 09:00 : RuntimeError (commande /dossiers)" in texts_of(await sb.say("cls", "/etat"))
