"""At Telegram's pace: the bot with its limiter on, against a fake Bot API that takes 50 ms per call and answers 429
past Telegram's limits, as Telegram does.

One scenario, run twice from the same data in the same run — chats in parallel (the bot as it runs) and one update
at a time for the whole bot (as it was) — so that the gain is a ratio:
- an interview in the team group at a human pace (an answer every few seconds): how long until the next question;
- meanwhile sites answer their poll in private, changing their minds, and reminders fall due: how long until a
  site's press is acknowledged; every update handled once, every last answer stored, the tally right at the end,
  every reminder sent once;
- then a burst of updates over many chats at once.
The burst runs a third time on a database without reader connections (every read waits for the writer), to weigh
SQLite's WAL readers.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path

from bench.harness import Flood, ids_with_status, next_interview_step, open_polls, percentile
from bench.synthetic import CONTACT_IDS, NOW
from bot.pace import LoopTime, TelegramPace
from domain.pipeline import Status
from sandbox.fakeapi import parse_html
from sandbox.sandbox import TEAM, TEAM_CHAT_ID, Sandbox
from storage import bulk, polls

CODES = {"o": "oui", "s": "si_besoin", "n": "non"}


@dataclass(frozen=True)
class Pace:
    """How much of everything (the issue's figures by default; ``small()`` for the tests)."""

    steps: int = 32  # interview steps answered in the group
    every: float = 4.0  # seconds between two answers of the interviewers
    sites: int = 40  # sites' contacts answering their poll in private meanwhile
    presses: int = 3  # presses of each of them (the last one wins)
    reminders: int = 200  # falling due meanwhile, in private chats (and a few in the group)
    group_reminders: int = 2
    burst: int = 250  # updates at once...
    burst_chats: int = 100  # ...over this many chats
    latency: float = 0.05  # seconds per call to the fake Bot API

    @classmethod
    def small(cls) -> Pace:
        return cls(steps=6, every=0.5, sites=10, presses=2, reminders=30, group_reminders=1, burst=50, burst_chats=20)


class Run:
    """One sandbox through the scenario; what it measured and what it checked."""

    def __init__(self, db: Path, pace: Pace, *, serial: bool):
        self.sb = Sandbox(db, start=NOW, rate_limiter=False, pace_clock=LoopTime())
        self.sb.api.limits = False
        self.pace, self.serial = pace, serial
        self.interview: list[float] = []
        self.presses: list[float] = []
        self.last_press: dict[tuple[int, int, int], str] = {}  # (poll, slot, site) -> o/s/n, the last one pressed
        self.expected: set[str] = set()  # interview questions answered
        self.floods: list[Flood] = []

    async def prepare(self) -> None:
        """Polls out to the sites and the interview begun, the quick way (no limiter, instant API); then the bot
        restarted as it runs: its limiter on, the fake API at Telegram's limits and latency."""
        sb = self.sb
        await sb.start()
        for n in range(1, await bulk.count(sb.db, "outsiders") + 1):  # every contact on Telegram
            sb.api.add_user(CONTACT_IDS + n, f"Contact {n}")
            sb.api.started.add(CONTACT_IDS + n)
        sb.api.started.update(p.user_id for p in TEAM.values())
        self.reached = await open_polls(sb, max(self.pace.sites, self.pace.burst_chats))
        self.candidate = (await ids_with_status(sb, Status.ENTRETIEN_PLANIFIE, 1))[0]
        await sb.say("cpts1", f"/entretien {self.candidate}")
        await sb.stop()
        sb.rate_limiter, sb.serial = True, self.serial
        sb.api.limits, sb.api.latency = True, self.pace.latency
        await asyncio.sleep(1.1)  # the fake's windows start empty, as Telegram's would after a pause
        await self.restart()

    async def restart(self) -> None:
        """The bot started again on the same database and fake Telegram, timed from now."""
        sb = self.sb
        await sb.start()
        self.flood = Flood(sb.app)
        self.floods.append(self.flood)
        self.origin = (sb.clock.now(), time.perf_counter())
        self.clock = asyncio.create_task(self._clock())

    async def stop(self) -> None:
        self.clock.cancel()
        with suppress(asyncio.CancelledError):
            await self.clock
        await self.sb.stop()

    async def _clock(self) -> None:
        """The sandbox's clock follows real time, so the bot's own timers (the tally's coalesced edit, the
        reminders) come due as they would."""
        while True:
            await asyncio.sleep(0.25)
            start, started = self.origin
            target = start + timedelta(seconds=time.perf_counter() - started)
            if target > self.sb.clock.now():
                await self.sb.advance(target - self.sb.clock.now())

    async def _interviewers(self) -> None:
        loop = asyncio.get_running_loop()
        for n in range(self.pace.steps):
            step = await next_interview_step(self.sb, self.candidate)
            if step is None:
                break
            at = loop.time()
            kind, value, message_id, question = step
            user = TEAM["cls" if n % 2 else "cpts1"].user_id
            if kind == "text":
                self.sb.api.user_message(user, TEAM_CHAT_ID, value, reply_to=message_id)
            else:
                self.sb.api.user_press(user, TEAM_CHAT_ID, message_id, value)
            for data in self.sb.api.take_updates():
                self.interview.append(await self.flood.latency(await self.flood.put(data)))
            if question:
                self.expected.add(question)
            await asyncio.sleep(max(0.0, at + self.pace.every - loop.time()))

    async def _press(self, contact: int, data: str) -> float:
        message_id, _ = self.reached[contact]
        self.sb.api.user_press(contact, contact, message_id, data)
        _, poll_id, site_id, slot_id, answer = data.split(":")
        self.last_press[(int(poll_id), int(slot_id), int(site_id))] = answer
        [update] = self.sb.api.take_updates()
        return await self.flood.latency(await self.flood.put(update))

    async def _site(self, contact: int, rng: random.Random) -> None:
        span = self.pace.steps * self.pace.every
        _, buttons = self.reached[contact]
        for _ in range(self.pace.presses):
            await asyncio.sleep(rng.uniform(0, span / self.pace.presses))
            self.presses.append(await self._press(contact, rng.choice(buttons)))

    async def _reminders(self) -> None:
        """The reminders fall due a third of the way through the interview."""
        await asyncio.sleep(self.pace.steps * self.pace.every / 3)
        due = self.sb.clock.now().astimezone(UTC).isoformat(timespec="seconds")
        private = [CONTACT_IDS + n for n in range(1, self.pace.sites + 1)] + [p.user_id for p in TEAM.values()]
        every_group = max(1, self.pace.reminders // max(self.pace.group_reminders, 1))
        rows = [{"kind": "libre", "text": f"Rappel d'essai n° {n}", "due_at": due, "original_due_at": due, "exact": 1,
                 "chat_id": TEAM_CHAT_ID if n % every_group == 0 and n // every_group < self.pace.group_reminders
                 else private[n % len(private)],
                 "created_by": TEAM["cls"].user_id, "created_at": due} for n in range(self.pace.reminders)]
        await bulk.insert(self.sb.db, "reminders", rows)

    async def together(self) -> None:
        """The interview, the sites' answers and the reminders at the same time."""
        rng = random.Random(7)
        contacts = sorted(self.reached)[:self.pace.sites]
        await asyncio.gather(self._interviewers(), self._reminders(),
                             *(self._site(c, random.Random(rng.random())) for c in contacts))
        deadline = time.monotonic() + 120
        while self._reminders_sent() < self.pace.reminders and time.monotonic() < deadline:
            await asyncio.sleep(0.2)

    def _reminder_numbers(self) -> list[int]:
        return [int(s.text.split("Rappel d'essai n° ")[1].split()[0].rstrip(".,")) for s in self.sb.api.log
                if s.kind == "message" and "Rappel d'essai n° " in s.text]

    def _reminders_sent(self) -> int:
        return len(set(self._reminder_numbers()))

    async def burst(self) -> list[float]:
        """``burst`` presses over ``burst_chats`` contacts, all queued at once."""
        contacts = sorted(self.reached)[:self.pace.burst_chats]
        rng = random.Random(11)
        updates = []
        for n in range(self.pace.burst):
            contact = contacts[n % len(contacts)]
            message_id, buttons = self.reached[contact]
            data = rng.choice(buttons)
            self.sb.api.user_press(contact, contact, message_id, data)
            _, poll_id, site_id, slot_id, answer = data.split(":")
            self.last_press[(int(poll_id), int(slot_id), int(site_id))] = answer
            updates += self.sb.api.take_updates()
        return await self.flood.run(updates)

    async def checks(self) -> dict:
        """What was sent against what was stored and shown."""
        from handlers.polls import tally_text
        from storage import interviews

        sb = self.sb
        services = sb.app.bot_data["services"]
        stored_questions = {a.question for a in await interviews.answers(sb.db, self.candidate)}
        stored = {}
        for poll_id in {k[0] for k in self.last_press}:
            for (slot_id, site_id), row in (await polls.answers(sb.db, poll_id)).items():
                stored[(poll_id, slot_id, site_id)] = row.answer
        wrong_tallies = 0
        for poll_id in {k[0] for k in self.last_press}:
            poll = await polls.get(sb.db, poll_id)
            shown = sb.api.messages[(poll.chat_id, poll.tally_message_id)]["text"]
            wrong_tallies += shown != parse_html((await tally_text(services, poll))[0])[0]
        numbers = self._reminder_numbers()
        limiter = sb.app.bot.rate_limiter
        return {
            "interview_answers_lost": len(self.expected - stored_questions),
            "poll_answers_wrong_or_lost": sum(1 for key, code in self.last_press.items() if stored.get(key) != CODES[code]),
            "updates_not_handled": sum(1 for f in self.floods for i in f.queued if f.handled[i] == 0),
            "updates_handled_twice": sum(1 for f in self.floods for n in f.handled.values() if n > 1),
            "tallies_wrong": wrong_tallies,
            "reminders_lost": self.pace.reminders - len(set(numbers)),
            "reminders_doubled": len(numbers) - len(set(numbers)),
            "refused_429": sum(sb.api.refused.values()),
            "retried_429": limiter.retried if isinstance(limiter, TelegramPace) else None,
            "errors": len(services.errors),
        }


def _figures(latencies: list[float]) -> dict:
    lat = sorted(latencies)
    if not lat:
        return {"n": 0}
    return {"n": len(lat), "p50_ms": round(1000 * percentile(lat, 50), 1), "p99_ms": round(1000 * percentile(lat, 99), 1),
            "max_ms": round(1000 * lat[-1], 1)}


async def _one_run(workdir: Path, base: Path, pace: Pace, *, serial: bool) -> dict:
    db = workdir / f"cadence-{'serie' if serial else 'parallele'}.sqlite3"
    shutil.copyfile(base, db)
    run = Run(db, pace, serial=serial)
    await run.prepare()
    try:
        await run.together()
        burst = await run.burst()
        await asyncio.sleep(4)  # the tally's last coalesced edit (3 s after the one before at most)
        out = {"interview": _figures(run.interview), "site_presses": _figures(run.presses), "burst": _figures(burst)}
        if not serial:  # the same burst again, reads waiting for the writer
            await run.stop()
            run.sb.readers = 0
            await run.restart()
            out["burst_no_readers"] = _figures(await run.burst())
            await asyncio.sleep(4)
        out.update(await run.checks())
    finally:
        await run.stop()
    return out


async def at_telegrams_pace(workdir: Path, base: Path, pace: Pace = Pace()) -> dict:
    parallel = await _one_run(workdir, base, pace, serial=False)
    serial = await _one_run(workdir, base, pace, serial=True)

    def ratio(kind: str, key: str) -> float | None:
        ours, before = parallel[kind].get(key), serial[kind].get(key)
        return round(before / ours, 1) if ours and before else None

    return {"pace": pace.__dict__, "parallel": parallel, "serial": serial,
            "gain": {"interview_p99": ratio("interview", "p99_ms"), "site_presses_p99": ratio("site_presses", "p99_ms"),
                     "burst_p99": ratio("burst", "p99_ms")}}
