"""Reliability runs: the bot as a separate process killed with SIGKILL mid-work, Bot API faults, bad input.

`python -m bench.fiabilite` runs every scenario and writes docs/fiabilite.md; the tests in tests/reliability run the
same scenarios with smaller sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from domain.dates import PARIS
from domain.interview import INTERVIEW
from sandbox.fakeapi import FakeBotAPI
from sandbox.fakeserver import FakeBotAPIServer
from sandbox.sandbox import FULL_NAMES, TEAM, TEAM_CHAT_ID
from storage import candidates as candidates_store
from storage import polls as polls_store
from storage import reminders as reminders_store
from storage import sites as sites_store
from storage.db import Database

TOKEN = "123456789:FIABILITE-sans-reseau"


@dataclass
class Result:
    name: str
    tried: str
    crashes: int = 0
    lost: int = 0
    duplicates: int = 0
    cases: int = 0
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


class BotProcess:
    """`python -m bot` on a database file, talking to the fake Bot API over HTTP."""

    def __init__(self, workdir: Path, port: int, api: FakeBotAPI):
        self.workdir = workdir
        self.api = api
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": os.pathsep.join(sys.path),
            "BOT_TOKEN": TOKEN, "TEAM_CHAT_ID": str(TEAM_CHAT_ID), "ADMIN_IDS": str(TEAM["cls"].user_id),
            "TEAM_MEMBERS": ";".join(f"{p.user_id}:{p.role}:{FULL_NAMES[p.key]}" for p in TEAM.values()),
            "DATABASE_PATH": str(workdir / "bot.sqlite3"), "BOT_API_BASE_URL": f"http://127.0.0.1:{port}",
            "LOG_LEVEL": "ERROR",
        }
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    async def start(self, timeout: float = 30) -> None:
        polls_before = sum(1 for m, _ in self.api.calls if m == "getUpdates")
        log = open(self.workdir / f"bot-{self.starts}.log", "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=self.workdir, env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT)
        self.starts += 1
        await wait_for(lambda: sum(1 for m, _ in self.api.calls if m == "getUpdates") > polls_before, timeout,
                       f"the bot did not start (see {log.name})")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no flush, exactly what a power cut or an OOM kill does."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


async def wait_for(predicate, timeout: float, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"timed out waiting for: {what}")


def read_db(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the bot's database from outside while it runs (WAL lets a reader in)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def new_world() -> FakeBotAPI:
    api = FakeBotAPI(privacy_mode=True, limits=True)  # refusing (429) what Telegram refuses
    for person in TEAM.values():
        api.add_user(person.user_id, person.first_name)
        api.started.add(person.user_id)
    api.add_group(TEAM_CHAT_ID, "Installation — équipe CLS/CPTS")
    return api


async def seed_candidate(db_path: Path) -> None:
    db = await Database.open(db_path)
    try:
        await candidates_store.create(
            db, {"first_name": "Marie", "last_name": "Dupont", "profession": "medecin_generaliste", "source": "ars",
                 "first_contact": "2026-11-23", "consent": 1},
            status="entretien_planifie", by=1001, at=datetime.now(UTC).isoformat(timespec="seconds"),
            detail="Dossier créé")
    finally:
        await db.close()


# --- an interview, killed twice -----------------------------------------------------------------------------

TYPED = {"target": "septembre 2027", "availability": "les mardis de janvier", "number": "2"}


def _question_key(text: str) -> str | None:
    """Which interview question a bot message asks (None for a read-back or the summary)."""
    if "question " not in text or "Entretien" not in text:
        return None
    for q in INTERVIEW.questions:
        if re.sub(r"<[^>]+>", "", q.prompt) in text:
            return q.key
    return None


async def interview_with_crashes(workdir: Path, kills_after: tuple[int, ...] = (4, 11)) -> Result:
    """Answer the whole interview in the group; SIGKILL the bot right after sending some answers.

    An answer is acknowledged once the bot asked something else; every acknowledged question must end up with its
    answer in the database (else it was lost). A question asked twice is a duplicate."""
    result = Result("Entretien", "répondre à tout l'entretien dans le groupe, le bot tué (SIGKILL) juste après "
                                 f"l'envoi des réponses n° {', '.join(map(str, kills_after))}")
    started = time.monotonic()
    api = new_world()
    server = FakeBotAPIServer(api)
    port = await server.start()
    db_path = workdir / "bot.sqlite3"
    await seed_candidate(db_path)
    bot = BotProcess(workdir, port, api)

    def status() -> str:
        return read_db(db_path, "SELECT status FROM candidates WHERE id = 1")[0][0]

    acknowledged: set[str] = set()
    try:
        await bot.start()
        api.user_message(1001, TEAM_CHAT_ID, "/entretien 1")
        await wait_for(lambda: any(_question_key(m.get("text", "")) for m in api.visible(TEAM_CHAT_ID)), 20,
                       "the first question")
        sent = 0
        while status() != "entretien_fait" and sent < 80:
            prompt = dict(api.visible(TEAM_CHAT_ID)[-1])  # a copy: a pressed step is edited into the next one
            key = _question_key(prompt.get("text", ""))
            buttons = [b for row in prompt.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
            labels = [b["text"] for b in buttons]
            if "Récapitulatif" in prompt.get("text", ""):
                api.user_press(1002, TEAM_CHAT_ID, prompt["message_id"],
                               next(b["callback_data"] for b in buttons if "Confirmer" in b["text"]))
            elif "✅ Oui" in labels:  # a date read back: confirm it
                api.user_press(1001, TEAM_CHAT_ID, prompt["message_id"],
                               next(b["callback_data"] for b in buttons if b["text"] == "✅ Oui"))
            elif "Répondez" in prompt.get("text", ""):  # a question typed in, answered as its kind expects
                kind = INTERVIEW.question(key).kind.value if key else "text"
                typed = TYPED.get(kind, f"réponse {sent}")
                api.user_message(1001 if sent % 2 else 1002, TEAM_CHAT_ID, typed, reply_to=prompt["message_id"])
            elif "✔️ Valider" in labels:  # several choices: tick the first, then validate
                api.user_press(1002, TEAM_CHAT_ID, prompt["message_id"], buttons[0]["callback_data"])
                api.user_press(1002, TEAM_CHAT_ID, prompt["message_id"],
                               next(b["callback_data"] for b in buttons if b["text"] == "✔️ Valider"))
            else:  # a question with choices: the first one
                api.user_press(1002, TEAM_CHAT_ID, prompt["message_id"], buttons[0]["callback_data"])
            sent += 1
            if sent in kills_after:
                bot.kill()
                result.crashes += 1
                await bot.start()
            await wait_for(lambda: (api.visible(TEAM_CHAT_ID)[-1]["message_id"], api.visible(TEAM_CHAT_ID)[-1].get("text"))
                           != (prompt["message_id"], prompt.get("text")) or status() == "entretien_fait",
                           20, "the next step")
            if key and _question_key(api.visible(TEAM_CHAT_ID)[-1].get("text", "")) != key:
                acknowledged.add(key)
        asked = Counter(k for k in (_question_key(m.get("text", "")) for m in api.visible(TEAM_CHAT_ID)) if k)
        stored = {row[0] for row in read_db(db_path, "SELECT question FROM interview_answers WHERE candidate_id = 1")}
        result.cases = sent
        result.lost = len(acknowledged - stored) + (status() != "entretien_fait")
        result.duplicates = sum(n - 1 for n in asked.values())
        result.notes.append(f"{len(stored)} réponses enregistrées pour {len(acknowledged)} questions répondues, "
                            f"statut final « {status()} »")
    finally:
        bot.stop()
        await server.stop()
    result.seconds = time.monotonic() - started
    return result


async def seed_sites(db: Database, contacts: dict[int, int]) -> None:
    """Three sites of Conliège, and their contacts on Telegram (user id -> site)."""
    await db.execute("INSERT INTO communes (name, name_key, epci) VALUES ('Conliège', 'conliege', 'ecla') "
                     "ON CONFLICT DO NOTHING")
    commune = (await db.fetchone("SELECT id FROM communes WHERE name_key = 'conliege'"))[0]
    for site in (1, 2, 3):
        await db.execute("INSERT INTO sites (id, name, type, status, commune_id, created_at, updated_at) "
                         "VALUES (?, ?, 'msp', 'en_fonctionnement', ?, ?, ?)", (site, f"Lieu {site}", commune, "x", "x"))
    for user_id, site in contacts.items():
        await db.execute("INSERT INTO outsiders (user_id, kind, target_id, name, joined_at) VALUES (?, 'lieu', ?, ?, ?)",
                         (user_id, site, f"Contact{user_id}", "x"))


async def seed_poll(db_path: Path, contacts: dict[int, int]) -> tuple[int, list[int]]:
    """Three sites of Conliège, their contacts on Telegram (user id -> site), and an open poll of candidate n° 1 on
    four Tuesdays of January; returns the poll's id and its slots' ids."""
    db = await Database.open(db_path)
    now = datetime.now(UTC)
    try:
        await seed_sites(db, contacts)
        poll_id = await polls_store.create(db, candidate_id=1, deadline=(now + timedelta(days=5)).isoformat(timespec="seconds"),
                                           chat_id=TEAM_CHAT_ID, by=1001, at=now.isoformat(timespec="seconds"),
                                           slots=[(date(2027, 1, 5 + 7 * i), "journee") for i in range(4)],
                                           site_ids=[1, 2, 3])
        await polls_store.update(db, poll_id, state="open", opened_at=now.isoformat(timespec="seconds"))
        return poll_id, [s.id for s in await polls_store.slots(db, poll_id)]
    finally:
        await db.close()


# --- a poll answered by three sites, killed once -------------------------------------------------------------

async def poll_with_crash(workdir: Path, presses: int = 30, kill_after: int = 14) -> Result:
    result = Result("Sondage", f"{presses} réponses de 3 lieux à un sondage, le bot tué (SIGKILL) après la "
                               f"{kill_after}e sans attendre")
    started = time.monotonic()
    api = new_world()
    contacts = {2001: 1, 2002: 2, 2003: 3}
    for user_id in contacts:
        api.add_user(user_id, f"Contact{user_id}")
        api.started.add(user_id)
    db_path = workdir / "bot.sqlite3"
    await seed_candidate(db_path)
    poll_id, slot_ids = await seed_poll(db_path, contacts)
    server = FakeBotAPIServer(api)
    port = await server.start()
    bot = BotProcess(workdir, port, api)
    rng = random.Random(7)
    final: dict[tuple[int, int], str] = {}
    try:
        await bot.start()
        for user_id in contacts:  # the poll message each contact received
            api._new_message({"chat_id": user_id}, text="Demande de disponibilité")
        for i in range(presses):
            user_id = rng.choice(list(contacts))
            slot = rng.choice(slot_ids)
            code = rng.choice("osn")
            message = api.visible(user_id)[-1]
            api.user_press(user_id, user_id, message["message_id"], f"p:{poll_id}:{contacts[user_id]}:{slot}:{code}")
            final[(slot, contacts[user_id])] = {"o": "oui", "s": "si_besoin", "n": "non"}[code]
            if i + 1 == kill_after:
                bot.kill()
                result.crashes += 1
                await bot.start()

        def stored() -> dict:
            return {(s, site): a for s, site, a in read_db(db_path, "SELECT slot_id, site_id, answer FROM poll_answers")}

        try:
            await wait_for(lambda: stored() == final, 30, "every last answer stored")
        except TimeoutError:
            pass
        got = stored()
        result.cases = presses
        result.lost = sum(1 for k, v in final.items() if got.get(k) != v)
        toasts = [s for s in api.log if s.kind == "toast" and "enregistré" in s.text]
        result.duplicates = max(0, len(toasts) - presses)
        result.notes.append(f"{len(final)} réponses finales attendues, {len(got)} en base")
    finally:
        bot.stop()
        await server.stop()
    result.seconds = time.monotonic() - started
    return result


# --- a burst of reminders, killed once ----------------------------------------------------------------------

async def reminders_with_crash(workdir: Path, count: int = 120, kill_after: int = 40) -> Result:
    result = Result("Rappels", f"{count} rappels dus en même temps, le bot tué (SIGKILL) après {kill_after} envois")
    started = time.monotonic()
    api = new_world()
    users = [3000 + i for i in range(20)]
    for user_id in users:
        api.add_user(user_id, f"Membre{user_id}")
        api.started.add(user_id)
    db_path = workdir / "bot.sqlite3"
    db = await Database.open(db_path)
    due = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    try:
        for i in range(count):
            await reminders_store.create(db, kind="libre", chat_id=users[i % len(users)], text=f"tâche {i:04d}",
                                         due_at=due, exact=True, at=due)
    finally:
        await db.close()
    server = FakeBotAPIServer(api)
    port = await server.start()
    bot = BotProcess(workdir, port, api)

    def delivered() -> Counter:
        return Counter(s.text.split("tâche ")[1][:4] for s in api.log
                       if s.kind == "message" and "🔔 Rappel : tâche" in s.text)

    try:
        await bot.start()
        await wait_for(lambda: sum(delivered().values()) >= kill_after, 60, f"{kill_after} reminders sent")
        bot.kill()
        result.crashes += 1
        await bot.start()
        await wait_for(lambda: len(delivered()) == count, 120, "every reminder sent")
        await wait_for(lambda: read_db(db_path, "SELECT COUNT(*) FROM reminders WHERE kind = 'libre' AND "
                                                "state = 'pending'")[0][0] == 0, 30, "every reminder recorded")
        counts = delivered()
        result.cases = count
        result.lost = count - len(counts)
        result.duplicates = sum(n - 1 for n in counts.values())
        result.notes.append(f"{sum(counts.values())} messages pour {len(counts)} rappels")
    finally:
        bot.stop()
        await server.stop()
    result.seconds = time.monotonic() - started
    return result


# --- faults from the Bot API ---------------------------------------------------------------------------------

async def reminders_under_faults(workdir: Path, count: int = 500, rate: float = 0.10) -> Result:
    """10 % of Bot API calls fail (429 with retry_after, 500, time-outs): every reminder still arrives once."""
    from sandbox.sandbox import Sandbox

    result = Result("Pannes de l'API", f"{count} rappels dus ensemble, {int(rate * 100)} % des appels en échec "
                                       f"(429 avec retry_after, 500, délais dépassés)")
    started = time.monotonic()
    async with Sandbox(workdir / "pannes.sqlite3", start=datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)) as sb:
        users = [3000 + i for i in range(25)]
        for user_id in users:
            sb.api.add_user(user_id, f"Membre{user_id}")
            sb.api.started.add(user_id)
        due = (sb.clock.now() + timedelta(minutes=1)).astimezone(UTC).isoformat(timespec="seconds")
        for i in range(count):
            await reminders_store.create(sb.db, kind="libre", chat_id=users[i % len(users)], text=f"tâche {i:04d}",
                                         due_at=due, exact=True, at=due)
        sb.api.fault_rate = rate
        sb.api.rng = random.Random(11)
        for _ in range(60):
            await sb.advance(timedelta(minutes=5))
            pending = (await sb.db.fetchone("SELECT COUNT(*) FROM reminders WHERE kind = 'libre' AND state = 'pending'"))[0]
            if pending == 0:
                break
        counts = Counter(s.text.split("tâche ")[1][:4] for s in sb.api.log
                         if s.kind == "message" and s.text.startswith("🔔 Rappel : tâche"))
        failures = sum(1 for m, _ in sb.api.calls if m == "sendMessage") - sum(counts.values())
        result.cases = count
        result.lost = count - len(counts) + pending
        result.duplicates = sum(n - 1 for n in counts.values())
        result.notes.append(f"{failures} envois refusés par l'API puis réessayés")
    result.seconds = time.monotonic() - started
    return result


async def polls_under_faults(workdir: Path, count: int = 20, rate: float = 0.10) -> Result:
    """``count`` polls sent, answered, closed and confirmed while 10 % of the bot's calls fail: every site contact
    gets each poll and each visit confirmation once, the team each tally, closing and day plan once."""
    from sandbox.sandbox import Sandbox

    result = Result("Sondages et journées", f"{count} sondages envoyés, clos et confirmés (3 lieux chacun), "
                                            f"{int(rate * 100)} % des appels du bot en échec")
    started = time.monotonic()
    path, contacts = workdir / "sondages.sqlite3", {4001: 1, 4002: 2, 4003: 3}
    await seed_polls(path, contacts, count)
    async with Sandbox(path, start=datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)) as sb:
        for user_id in contacts:
            sb.api.add_user(user_id, f"Contact{user_id}")
            sb.api.started.add(user_id)
        sb.api.rng = random.Random(13)

        async def under_faults(step) -> None:
            sb.api.fault_rate = rate
            try:
                await step()
            finally:
                sb.api.fault_rate = 0.0

        def buttons(chat_id: int, prefix: str) -> list[tuple[int, str]]:
            return [(m["message_id"], b["callback_data"]) for m in sb.api.visible(chat_id)
                    for row in m.get("reply_markup", {}).get("inline_keyboard", []) for b in row
                    if b["callback_data"].startswith(prefix)]

        for n in range(1, count + 1):
            await sb.say("cpts1", f"/sondage {n}")
            await under_faults(lambda: sb.press("cpts1", "Envoyer le sondage"))
        await sb.advance(timedelta(hours=1))  # what failed goes again
        for user_id in contacts:  # each site says yes to each poll's first slot
            for message_id, data in buttons(user_id, "p:"):
                parts = data.split(":")  # p:<poll>:<site>:<slot>:<o|s|n>
                if len(parts) == 5 and parts[4] == "o":
                    first = min(s.id for s in await polls_store.slots(sb.db, int(parts[1])))
                    if int(parts[3]) == first:
                        await _press_as(sb, user_id, data, message_id)
        for poll_id in range(1, count + 1):
            poll = await polls_store.get(sb.db, poll_id)
            await under_faults(lambda p=poll: _press_as(sb, TEAM["cpts1"].user_id, f"q:{p.id}:close",
                                                        p.tally_message_id, TEAM_CHAT_ID))
        await sb.advance(timedelta(hours=1))
        for message_id, data in buttons(TEAM_CHAT_ID, "q:"):
            if ":ok:" in data:
                await under_faults(lambda m=message_id, d=data: _press_as(sb, TEAM["cpts1"].user_id, d, m, TEAM_CHAT_ID))
        await sb.advance(timedelta(hours=1))

        def per_poll(chat_id: int, starts: str) -> Counter:  # messages as sent (edits since do not count)
            return Counter(sent.buttons[0][0]["callback_data"].split(":")[1] for sent in sb.api.log
                           if sent.kind == "message" and sent.chat_id == chat_id and sent.text.startswith(starts))

        expected, got = [], []
        for user_id in contacts:
            for starts in ("📅 Demande de disponibilité", "✅ Visite confirmée"):
                expected.append(count)
                got.append(per_poll(user_id, starts))
        team = [sent.text for sent in sb.api.log if sent.kind == "message" and sent.chat_id == TEAM_CHAT_ID]
        for starts in ("📊 Sondage — ", "🔒 Sondage clos", "🚗 Journée de visites"):
            expected.append(count)
            got.append(Counter(re.search(r"Candidat(\d+)", t).group(1) for t in team if t.startswith(starts)))
        result.cases = sum(expected)
        result.lost = sum(max(0, e - len(c)) for e, c in zip(expected, got, strict=True))
        result.duplicates = sum(n - 1 for c in got for n in c.values())
        calls = sum(1 for method, _ in sb.api.calls if method in ("sendMessage", "sendDocument"))
        refused = calls - sum(1 for sent in sb.api.log if sent.kind in ("message", "document"))
        result.notes.append(f"{result.cases} messages attendus (sondage et confirmation par contact, tableau, clôture "
                            f"et journée par sondage), {sum(len(c) for c in got)} arrivés ; {refused} envois refusés "
                            f"par l'API puis réessayés")
    result.seconds = time.monotonic() - started
    return result


async def _press_as(sb, user_id: int, data: str, message_id: int, chat_id: int | None = None):
    sb.api.user_press(user_id, chat_id or user_id, message_id, data)
    return await sb._process()


async def seed_polls(path: Path, contacts: dict[int, int], count: int) -> None:
    """Three sites of Conliège with a contact each, and ``count`` candidates whose croisement chose them."""
    db = await Database.open(path)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        await seed_sites(db, contacts)
        for n in range(1, count + 1):
            await candidates_store.create(
                db, {"first_name": f"Candidat{n}", "last_name": "Test", "profession": "medecin_generaliste",
                     "source": "ars", "first_contact": "2026-11-23", "consent": 1},
                status="croisement", by=1001, at=now, detail="Dossier créé")
            await sites_store.record_croisement(db, n, proposed=[(s, s, 10, "criteres") for s in (1, 2, 3)], chosen={1, 2, 3},
                                                on_time=True, by=1001, at=now)
    finally:
        await db.close()


def report(results: list[Result], path: Path) -> str:
    lines = [
        "# Fiabilité : ce qui a été essayé, et ce qui a été perdu",
        "",
        f"Produit par `python -m bench.fiabilite` le {datetime.now():%d/%m/%Y à %H:%M}, sur {os.cpu_count()} cœur(s). "
        "Relancez la commande pour le refaire.",
        "",
        "Les scénarios « tué » lancent le vrai bot dans un processus à part (`python -m bot`), qui parle à la fausse "
        "API Bot servie en HTTP sur 127.0.0.1 ; le processus est tué par SIGKILL au milieu du travail, puis relancé "
        "sur la même base. Un doublon est un message envoyé deux fois (au plus un par arrêt brutal est admis).",
        "",
        "| scénario | essai | arrêts brutaux | cas | perdus | doublons | durée |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r.name} | {r.tried} | {r.crashes} | {r.cases} | **{r.lost}** | {r.duplicates} | {r.seconds:.1f} s |")
    lines += ["", "Détails :"]
    for r in results:
        for note in r.notes:
            lines.append(f"- {r.name} : {note}")
    lines += ["", "Les entrées invalides (textes, nombres, dates, arguments de commandes, données de boutons "
                  "aléatoires) sont essayées par les tests à base de propriétés (`tests/reliability/test_bad_input.py`, "
                  "hypothesis) : aucune exception non traitée, une réponse en français, aucune donnée modifiée."]
    text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


async def main_async(out: Path) -> int:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, scenario in (("entretien", interview_with_crashes), ("sondage", poll_with_crash),
                               ("rappels", lambda d: reminders_with_crash(d, 300, 100)),
                               ("pannes", reminders_under_faults), ("sondages", polls_under_faults)):
            workdir = Path(tmp) / name
            workdir.mkdir()
            results.append(await scenario(workdir))
            print(f"{results[-1].name}: perdus {results[-1].lost}, doublons {results[-1].duplicates}", flush=True)
    print(report(results, out))
    return 1 if any(r.lost for r in results) else 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Essais de fiabilité et rapport docs/fiabilite.md")
    parser.add_argument("--sortie", type=Path, default=Path("docs/fiabilite.md"))
    return asyncio.run(main_async(parser.parse_args().sortie))


if __name__ == "__main__":
    sys.exit(main())
