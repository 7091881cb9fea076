"""Speed and memory: the full bot against a bare python-telegram-bot echo bot, under load and at scale.

`python -m bench` runs every section (about 6 minutes on 2 cores, most of it at Telegram's pace), writes bench/results.json and
docs/performance.md. Every speed figure comes with the echo bot's, measured in the same run: the machine is
small and shared, so ratios say more than absolute numbers. Sizes can be made smaller for a quick look
(`python -m bench --petit`); the tests run the same code at a small size to keep it working.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, timedelta
from pathlib import Path

from bench.harness import (
    Figures,
    TimedSandbox,
    echo_bot,
    echo_world,
    ids_with_status,
    next_interview_step,
    open_polls,
    queue_step,
    replay_on_echo,
)
from bench.liens import web_links
from bench.pace import Pace, at_telegrams_pace
from bench.synthetic import CONTACT_IDS, NOW, Sizes, generate
from bench.tableur import reporting_table
from bot.pace import LoopTime
from delivery.engine import dispatch_due
from domain.pipeline import Status
from sandbox.sandbox import TEAM, TEAM_CHAT_ID, Sandbox
from storage import bulk, candidates

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "throughput_ratio": 0.5,  # our updates/s against the echo bot's, at least
    "p99_ms": 25.0,
    "dossiers_ms": 50.0,
    "croisement_ms": 50.0,
    "export_s": 5.0,  # at 10,000 candidates (the reporting table is written again at each /export)
    "export_1000_s": 0.5,
    "summary_s": 1.0,
    "rss_mb": 150.0,
    "cold_start_s": 2.0,
    "pace_step_p99_ms": 1000.0,  # the next question of an interview in the group, limiter on, API at 50 ms
    "pace_step_p50_ms": 300.0,
    "pace_private_p99_ms": 300.0,  # a site's answer in private, meanwhile
    "pace_burst_p99_ms": 1000.0,  # 250 updates over 100 chats at once
    "web_post_p99_ms": 50.0,  # a site's answer sent from its personal link, 50 sites at once
}


@dataclass(frozen=True)
class Plan:
    """How much of everything; the defaults are the benchmark's, ``small()`` the tests'."""

    data: Sizes = Sizes()
    per_kind: int = 300  # updates of each kind for the throughput figures
    contacts: int = 200
    pace: Pace = Pace()
    reminders: int = 1000
    group_reminders: int = 20  # of which, to the team group (20 a minute at most there)
    repeats: int = 5  # each command at scale
    cold_starts: int = 3
    table_sizes: tuple[int, ...] = (1000, 10_000)  # candidates, for the reporting table's section
    web_clients: int = 50  # sites answering from their personal links at once
    web_rounds: int = 4  # pages opened and forms sent by each

    @classmethod
    def small(cls) -> Plan:
        return cls(Sizes(candidates=400, sites=60, visits=150, reminders=600, contacts=30), per_kind=40,
                   contacts=30, pace=Pace.small(), reminders=60, group_reminders=5, repeats=2, cold_starts=1,
                   table_sizes=(100, 400), web_clients=8, web_rounds=2)


# --- 1. one update at a time, against the echo bot ---------------------------------------------------------

def _add_contacts(sb: Sandbox, count: int) -> list[int]:
    ids = [CONTACT_IDS + n for n in range(1, count + 1)]
    for user_id in ids:
        sb.api.add_user(user_id, f"Contact {user_id - CONTACT_IDS}")
        sb.api.started.add(user_id)
    return ids


@asynccontextmanager
async def _running(sb: Sandbox, contacts: int) -> AsyncIterator[Sandbox]:
    """The bot started, with ``contacts`` sites' contacts on the fake Telegram; stopped at the end."""
    await sb.start()
    try:
        _add_contacts(sb, contacts)
        yield sb
    finally:
        await sb.stop()


async def update_handling(workdir: Path, base: Path, plan: Plan) -> dict:
    async with _running(TimedSandbox(_copy(base, workdir / "debit.sqlite3"), start=NOW), plan.contacts) as sb:
        figures = {"entretien": Figures("réponse d'entretien"), "sondage": Figures("bouton de sondage"),
                   "dossier": Figures("/dossier N")}
        recorded: dict[str, list[dict]] = {}
        # interview answers, typed or pressed, interview after interview
        for cid in await ids_with_status(sb, Status.ENTRETIEN_PLANIFIE, 1000):
            if len(figures["entretien"].latencies) >= plan.per_kind:
                break
            await sb.measuring(None).say("cpts1", f"/entretien {cid}")
            sb.measuring(figures["entretien"])
            while (step := await next_interview_step(sb, cid)) and len(figures["entretien"].latencies) < plan.per_kind:
                queue_step(sb.api, TEAM["cpts1"].user_id, TEAM_CHAT_ID, step[:3])
                await sb._process()
        recorded["entretien"], sb.recorded = sb.recorded, []
        # site contacts pressing their availability buttons
        sb.measuring(None)
        reached = await open_polls(sb, min(plan.contacts, 30))
        sb.measuring(figures["sondage"])
        presses = [(user, message, data) for user, (message, buttons) in reached.items() for data in buttons]
        for n in range(plan.per_kind):
            user, message, data = presses[n % len(presses)]
            sb.api.user_press(user, user, message, data)
            await sb._process()
        recorded["sondage"], sb.recorded = sb.recorded, []
        # a candidate's card
        sb.measuring(figures["dossier"])
        rng = random.Random(3)
        for _ in range(plan.per_kind):
            await sb.say("cls", f"/dossier {rng.randint(1, plan.data.candidates)}")
        recorded["dossier"], sb.recorded = sb.recorded, []
        errors = len(sb.app.bot_data["services"].errors)

    echo_api = echo_world([p.user_id for p in TEAM.values()] + [CONTACT_IDS + n for n in range(1, plan.contacts + 1)],
                          [TEAM_CHAT_ID])
    echo = await echo_bot(echo_api)
    try:
        baseline = {kind: await replay_on_echo(echo, updates, kind) for kind, updates in recorded.items()}
    finally:
        await echo.stop()
        await echo.shutdown()
    out = {"errors": errors, "kinds": {}}
    for kind, ours in figures.items():
        mine, theirs = ours.summary(), baseline[kind].summary()
        out["kinds"][kind] = {"label": ours.name, "bot": mine, "echo": theirs,
                              "ratio": round(mine["updates_per_s"] / theirs["updates_per_s"], 3)}
    return out


# --- 2. at Telegram's pace: bench/pace.py ----------------------------------------------------------------

# --- 3. a thousand reminders due at once, through the rate limiter --------------------------------------------

async def reminder_burst(workdir: Path, plan: Plan) -> dict:
    # the limiter in real time, against a fake that refuses (429) what Telegram refuses
    sb = Sandbox(workdir / "rappels.sqlite3", start=NOW, pace_clock=LoopTime())
    await sb.start()
    try:
        contacts = _add_contacts(sb, plan.contacts)
        private = [p.user_id for p in TEAM.values()] + contacts
        sb.api.started.update(p.user_id for p in TEAM.values())  # the team has opened its private chats
        due = NOW.astimezone(UTC).isoformat(timespec="seconds")
        rows = []
        for n in range(plan.reminders):
            chat = TEAM_CHAT_ID if n % (plan.reminders // plan.group_reminders) == 0 else private[n % len(private)]
            rows.append({"kind": "libre", "chat_id": chat, "text": f"Rappel d'essai n° {n}", "due_at": due,
                         "original_due_at": due, "exact": 1, "created_by": TEAM["cls"].user_id,
                         "created_at": due})
        await bulk.insert(sb.db, "reminders", rows)
        sent_at: list[tuple[float, int]] = []
        original = sb.api._api_sendMessage

        def timed_send(params, files):  # when each message reached "Telegram", and where
            result = original(params, files)
            sent_at.append((time.perf_counter(), int(params["chat_id"])))
            return result

        sb.api._api_sendMessage = timed_send
        started = time.perf_counter()
        delivered = await dispatch_due(sb.app)
        elapsed = time.perf_counter() - started
        texts = [s.text for s in sb.api.log if s.kind == "message" and "Rappel d'essai n° " in s.text]
        numbers = [int(t.split("Rappel d'essai n° ")[1].split()[0].rstrip(".,")) for t in texts]
        still_open = len([r for r in await _open_reminders(sb)])
        refused = sum(sb.api.refused.values())
    finally:
        await sb.stop()
    times = sorted(t for t, _ in sent_at)
    group_times = sorted(t for t, chat in sent_at if chat == TEAM_CHAT_ID)
    return {"reminders": plan.reminders, "to_group": plan.group_reminders, "delivered": delivered,
            "seconds": round(elapsed, 1), "messages_per_s": round(len(times) / elapsed, 1),
            "max_in_any_second": _max_in_window(times, 1.0), "max_in_group_in_any_minute": _max_in_window(group_times, 60.0),
            "lost": plan.reminders - len(set(numbers)), "duplicates": len(numbers) - len(set(numbers)),
            "not_marked_sent": still_open, "refused_429": refused}


async def _open_reminders(sb: Sandbox):
    from storage import reminders

    return await reminders.due(sb.db, (NOW - timedelta(days=1)).astimezone(UTC).isoformat(), limit=10_000)


def _max_in_window(times: list[float], window: float) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


# --- 4. at scale, in a process of its own (for its peak memory) ------------------------------------------------

def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's ru_maxrss would not do: a process started by another keeps the
    starting one's peak (the bench's driver, at 270 MB, hid the scale worker's own figure)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


SCALE_COMMANDS = [
    ("dossiers", "/dossiers"), ("dossiers", "/dossiers suivi généraliste"), ("dossiers", "/dossiers infirmier"),
    ("dossiers", "/dossiers benoit"), ("dossiers", "/dossiers lefevre 06"),  # a search by name, phone
    ("croisement", "/croisement {a}"), ("croisement", "/croisement {b}"),
    ("export", "/export"), ("export_csv", "/export csv"), ("summary", "/synthese copil"),
    ("summary", "/synthese cpam"),
]


async def scale_worker(db: Path, repeats: int) -> dict:
    sb = Sandbox(db, start=NOW)
    await sb.start()
    try:
        todo = await ids_with_status(sb, Status.ENTRETIEN_FAIT, 2)
        timings: dict[str, list[float]] = {}
        replies: dict[str, str] = {}
        for repeat in range(repeats):
            if repeat:  # as between two exports of the team: a few dossiers changed
                await _change_dossiers(sb, CHANGED_BETWEEN_RUNS, repeat)
            for _kind, command in SCALE_COMMANDS:
                command = command.format(a=todo[0], b=todo[-1])
                started = time.perf_counter()
                out = await sb.say("cls", command)
                timings.setdefault(command, []).append(time.perf_counter() - started)
                replies[command] = out[-1].text[:60] if out else ""
                _drop_sent_files(sb)
        counts = {t: await bulk.count(sb.db, t) for t in ("candidates", "sites", "visits", "reminders")}
    finally:
        await sb.stop()
    return {"counts": counts,
            "rss_mb": peak_rss_mb(),
            "commands": {cmd: {"kind": next(k for k, c in SCALE_COMMANDS if c.split()[0] == cmd.split()[0]
                                            and (k != "export_csv" or "csv" in cmd) and (k != "export" or "csv" not in cmd)),
                               "median_ms": round(1000 * statistics.median(ts[1:] or ts), 1),
                               "max_ms": round(1000 * max(ts[1:] or ts), 1), "first_ms": round(1000 * ts[0], 1),
                               "reply": replies[cmd]} for cmd, ts in timings.items()}}


CHANGED_BETWEEN_RUNS = 20


async def _change_dossiers(sb: Sandbox, count: int, seed: int) -> None:
    """``count`` dossiers get a new phone number, as the team corrects them between two exports."""

    total = await bulk.count(sb.db, "candidates")
    for n in range(count):
        cid = 1 + (seed * 7919 + n * 104729) % total
        await candidates.update(sb.db, cid, {"phone": f"06 {seed:02d} {n:02d} 00 00"}, by=0, at=sb.clock.utc_iso(),
                                kind="correction", detail="Téléphone corrigé")


def _drop_sent_files(sb: Sandbox) -> None:
    """The fake Telegram keeps every file the bot sent; Telegram's memory is not the bot's: let them go."""
    for sent in sb.api.log:
        sent.file_data = None
    sb.api.files.clear()


def scale(workdir: Path, base: Path, plan: Plan) -> dict:
    db = _copy(base, workdir / "echelle.sqlite3")
    out = workdir / "echelle.json"
    subprocess.run([sys.executable, "-m", "bench", "--echelle-seule", str(db), str(out), str(plan.repeats)],
                   check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.read_text())


# --- 5. cold start -----------------------------------------------------------------------------------------

async def cold_start(workdir: Path, plan: Plan) -> dict:
    from bench.fiabilite import BotProcess, new_world, wait_for
    from sandbox.fakeserver import FakeBotAPIServer

    seconds = []
    for n in range(plan.cold_starts):
        api = new_world()
        server = FakeBotAPIServer(api)
        port = await server.start()
        run = workdir / f"demarrage-{n}"
        run.mkdir()
        bot = BotProcess(run, port, api)
        api.user_message(TEAM["cls"].user_id, TEAM["cls"].user_id, "/aide")  # waiting when the bot starts
        try:
            started = time.perf_counter()
            bot.proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=run, env=bot.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            await wait_for(lambda: any(s.chat_id == TEAM["cls"].user_id for s in api.log), 30, "the first reply")
            seconds.append(time.perf_counter() - started)
        finally:
            bot.stop()
            await server.stop()
    return {"runs": [round(s, 2) for s in seconds], "median_s": round(statistics.median(seconds), 2)}


# --- running it all --------------------------------------------------------------------------------------

def _copy(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


def machine() -> dict:
    return {"python": platform.python_version(), "system": platform.platform(), "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "date": time.strftime("%Y-%m-%d %H:%M")}


async def run_all(plan: Plan, workdir: Path, only: set[str] | None = None) -> dict:
    results: dict = {"machine": machine(), "plan": asdict(plan), "targets": TARGETS}
    base = workdir / "donnees.sqlite3"
    started = time.perf_counter()
    results["data"] = await generate(base, plan.data)
    results["data_seconds"] = round(time.perf_counter() - started, 1)
    sections = [("debit", lambda: update_handling(workdir, base, plan)),
                ("cadence", lambda: at_telegrams_pace(workdir, base, plan.pace)),
                ("rappels", lambda: reminder_burst(workdir, plan)),
                ("echelle", lambda: asyncio.to_thread(scale, workdir, base, plan)),
                ("tableur", lambda: reporting_table(workdir, base, plan.data, plan.table_sizes, plan.repeats)),
                ("liens", lambda: web_links(workdir, base, plan.web_clients, plan.web_rounds)),
                ("demarrage", lambda: cold_start(workdir, plan))]
    for name, section in sections:
        if only and name not in only:
            continue
        started = time.perf_counter()
        print(f"… {name}", file=sys.stderr, flush=True)
        results[name] = await section()
        results[name]["section_seconds"] = round(time.perf_counter() - started, 1)
    return results


SECTIONS = ("debit", "cadence", "rappels", "echelle", "tableur", "liens", "demarrage")


def merged(results: dict, previous_path: Path) -> dict:
    """A run of some sections only keeps the other sections of the previous run of the same plan (the report says
    which sections were measured again, and when)."""
    if all(name in results for name in SECTIONS) or not previous_path.exists():
        return results
    previous = json.loads(previous_path.read_text())
    if previous.get("plan") != results["plan"]:
        return results
    out = {**previous, "remeasured": dict(previous.get("remeasured", {}))}
    for name in SECTIONS:
        if name in results:
            out[name] = results[name]
            out["remeasured"][name] = results["machine"]["date"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Performances du bot (voir docs/performance.md)")
    parser.add_argument("--petit", action="store_true", help="petites tailles, pour un essai rapide")
    parser.add_argument("--sections", default="", help="debit,cadence,rappels,echelle,tableur,liens,demarrage (défaut : toutes)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--rapport", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--echelle-seule", nargs=3, metavar=("DB", "JSON", "REPETITIONS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.echelle_seule:
        db, out, repeats = args.echelle_seule
        Path(out).write_text(json.dumps(asyncio.run(scale_worker(Path(db), int(repeats)))))
        return 0
    plan = Plan.small() if args.petit else Plan()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        started = time.perf_counter()
        results = asyncio.run(run_all(plan, Path(tmp), set(filter(None, args.sections.split(","))) or None))
        results["total_seconds"] = round(time.perf_counter() - started, 1)
    results = merged(results, args.json)
    args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    from bench.report import write_report

    write_report(results, args.rapport)
    print(f"Résultats : {args.json} ; rapport : {args.rapport}")
    return 0
