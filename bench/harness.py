"""Timing updates through the real Application on the in-process fake Bot API, and the bare echo bot to compare with.

Two ways in: ``TimedSandbox`` hands updates one at a time to ``Application.process_update`` (what the update loop
does with concurrent_updates off) and times each; ``Flood`` puts many updates on ``Application.update_queue`` at
once and times each from the moment it was queued until its last handler group ran.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, TypeHandler, filters

from domain.forms import Kind
from domain.interview import INTERVIEW
from domain.pipeline import Status
from sandbox.fakeapi import FakeBotAPI
from sandbox.sandbox import Sandbox
from storage import candidates, dialogs, polls

DONE_GROUP = 10_000  # after every group of the bot: the update has been fully handled


@dataclass
class Figures:
    """Latencies (seconds) of one kind of update, and the wall time they took together."""

    name: str
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0

    def add(self, seconds: float) -> None:
        self.latencies.append(seconds)
        self.wall += seconds

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        if not lat:
            return {"n": 0}
        return {"n": len(lat), "updates_per_s": round(len(lat) / self.wall, 1) if self.wall else None,
                "p50_ms": round(1000 * percentile(lat, 50), 2), "p99_ms": round(1000 * percentile(lat, 99), 2),
                "max_ms": round(1000 * lat[-1], 2), "mean_ms": round(1000 * statistics.fmean(lat), 2)}


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, round(p / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


class TimedSandbox(Sandbox):
    """The sandbox, timing every update it hands to the bot and keeping a copy of each (to replay on the echo bot)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.figures: Figures | None = None
        self.recorded: list[dict] = []

    async def _process(self):
        for data in self.api.take_updates():
            update = Update.de_json(data, self.app.bot)
            started = time.perf_counter()
            await self.app.process_update(update)
            if self.figures is not None:
                self.figures.add(time.perf_counter() - started)
                self.recorded.append(data)
        return self.new_output()

    def measuring(self, figures: Figures | None) -> TimedSandbox:
        self.figures = figures
        return self


class Flood:
    """Updates put on the Application's queue (as its update fetcher does); each timed until its last handler ran."""

    def __init__(self, app: Application):
        self.app = app
        self.queued: dict[int, float] = {}
        self.done: dict[int, float] = {}
        self.handled: Counter[int] = Counter()  # how many times each update went through (once, always)
        self._waiting: dict[int, asyncio.Future] = {}
        app.add_handler(TypeHandler(Update, self._mark), group=DONE_GROUP)

    async def _mark(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.done[update.update_id] = time.perf_counter()
        self.handled[update.update_id] += 1
        waiting = self._waiting.pop(update.update_id, None)
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    async def put(self, data: dict) -> int:
        """Queue one update; its id."""
        update = Update.de_json(data, self.app.bot)
        self._waiting[update.update_id] = asyncio.get_running_loop().create_future()
        self.queued[update.update_id] = time.perf_counter()
        await self.app.update_queue.put(update)
        return update.update_id

    async def latency(self, update_id: int, timeout: float = 600) -> float:
        """Wait until the update is handled; seconds from queued to handled."""
        if update_id not in self.done:
            await asyncio.wait_for(asyncio.shield(self._waiting[update_id]), timeout)
        return self.done[update_id] - self.queued[update_id]

    async def run(self, updates: list[dict], timeout: float = 600) -> list[float]:
        """Queue every update at once; wait until all are handled; their latencies in seconds."""
        ids = [await self.put(u) for u in updates]
        return [await self.latency(i, timeout) for i in ids]


# --- polls out to the sites' contacts ----------------------------------------------------------------------

async def ids_with_status(sb: Sandbox, status: Status, count: int) -> list[int]:
    """The ids of up to ``count`` candidates at ``status``, in order."""
    found, _ = await candidates.search(sb.db, statuses=[status.value], limit=count)
    return sorted(c.id for c in found)


async def sent_polls(sb: Sandbox) -> AsyncIterator[polls.Poll]:
    """A poll sent for each candidate at the croisement in turn, for as long as the caller wants more."""
    for cid in await ids_with_status(sb, Status.CROISEMENT, 10_000):
        await sb.say("cpts1", f"/sondage {cid}")
        await sb.press("cpts1", "Envoyer le sondage")
        yield await polls.current_for(sb.db, cid)


async def open_polls(sb: Sandbox, contacts: int) -> dict[int, tuple[int, list[str]]]:
    """Polls sent for candidates at the croisement until every contact has one; contact -> (message, buttons)."""
    reached: dict[int, tuple[int, list[str]]] = {}
    async for poll in sent_polls(sb):
        if len(reached) >= contacts:
            break
        for site in await polls.poll_sites(sb.db, poll.id):
            for chat_id, message_id in await polls.messages(sb.db, poll.id, site.site_id):
                message = sb.api.messages[(chat_id, message_id)]
                buttons = [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
                           if b["callback_data"].startswith("p:") and b["callback_data"][-2:] in (":o", ":s", ":n")]
                reached[chat_id] = (message_id, buttons)
    return reached


# --- the interview, answered as a bench user would ----------------------------------------------------------

TYPED = {Kind.TEXT: "Réponse de test", Kind.NUMBER: "2", Kind.TARGET: "septembre 2027",
         Kind.AVAILABILITY: "les mardis de janvier"}


async def next_interview_step(sb: Sandbox, candidate_id: int) -> tuple[str, str, int, str | None] | None:
    """What answers the interview of a candidate now: ("text", answer, prompt id, question answered) or
    ("press", callback data, message id, question answered); None once the interview is confirmed. The question
    is None for a step that answers nothing yet (a typed date waiting for its read-back, a ticked option)."""
    dialog = await dialogs.find_for_subject(sb.db, "entretien", candidate_id)
    if dialog is None:
        return None
    prompt = dialog.prompt_message_id
    if dialog.position == "":
        return "press", f"f:{dialog.id}:s:ok", prompt, None
    q = INTERVIEW.question(dialog.position)
    cb = f"f:{dialog.id}:{INTERVIEW.index(q.key)}:"
    if "pending" in dialog.data:
        return "press", cb + "y", prompt, q.key
    if q.kind is Kind.CHOICE:
        return "press", cb + "o0", prompt, q.key
    if q.kind is Kind.YESNO:
        return "press", cb + "b1", prompt, q.key
    if q.kind is Kind.MULTI:
        ticked = bool(dialog.data.get("multi", {}).get(q.key))
        return "press", cb + ("md" if ticked else "m0"), prompt, q.key if ticked else None
    return "text", TYPED[q.kind], prompt, None if q.confirm else q.key


def queue_step(api: FakeBotAPI, user_id: int, chat_id: int, step: tuple[str, str, int]) -> None:
    """Put the user's action for ``step`` on the fake Telegram's update queue."""
    kind, value, message_id = step
    if kind == "text":
        api.user_message(user_id, chat_id, value, reply_to=message_id)
    else:
        api.user_press(user_id, chat_id, message_id, value)


# --- the baseline: a bare echo bot ------------------------------------------------------------------------

async def _echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text or "…")


async def _echo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    await context.bot.send_message(update.effective_chat.id, update.callback_query.data)


def echo_world(people: list[int], groups: list[int]) -> FakeBotAPI:
    api = FakeBotAPI(privacy_mode=False)
    for user_id in people:
        api.add_user(user_id, f"U{user_id}")
        api.started.add(user_id)
    for chat_id in groups:
        api.add_group(chat_id, "Groupe")
    return api


async def echo_bot(api: FakeBotAPI) -> Application:
    """python-telegram-bot with nothing but an echo: the same stack minus our handlers and SQLite."""
    app = (Application.builder().token("0000000000:ECHO-no-network").request(api.request())
           .get_updates_request(api.request()).concurrent_updates(False).build())
    app.add_handler(MessageHandler(filters.ALL, _echo_text))
    app.add_handler(CallbackQueryHandler(_echo_button))
    await app.initialize()
    await app.start()
    return app


async def replay_on_echo(app: Application, updates: list[dict], name: str) -> Figures:
    """The same updates, one at a time, through the echo bot."""
    figures = Figures(name)
    for data in updates:
        update = Update.de_json(data, app.bot)
        started = time.perf_counter()
        await app.process_update(update)
        figures.add(time.perf_counter() - started)
    return figures
