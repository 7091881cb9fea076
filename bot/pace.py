"""Keeping Telegram's pace: chats handled in parallel, each in order, and requests paced as Telegram paces them.

Telegram's published limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
- "avoid sending more than one message per second" in a single chat — PRIVATE;
- in a group, "not more than 20 messages per minute" — GROUP;
- "not more than about 30 messages per second" in all — OVERALL.
Past them Telegram answers 429 with ``retry_after``. PTB's AIORateLimiter counts every request with a chat_id against
the group's 20 a minute (an interview's buttons edit their question in place: each edit would cost a new message's
share) and answers a 429 by pausing the whole bot, private chats included. This limiter counts what the FAQ counts,
messages sent: per chat and overall. Edits, deletions and answers to buttons are not paced (the FAQ gives no figure
for them; the bot coalesces the ones it makes by itself, such as a poll's tally), and if Telegram ever answers one of
them with a 429, it is retried like any other. A 429 pauses the chat it came from. Requests made while
handling a user's update go before those of scheduled jobs (reminders, tallies): a person is waiting for them.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor

log = logging.getLogger(__name__)

OVERALL = (30, 1.0)  # new messages to any chat, per second (FAQ: "not more than 30 messages per second or so")
GROUP = (20, 60.0)  # new messages to one group, per minute (FAQ: 20 messages per minute in a group)
PRIVATE = (1, 1.0)  # new messages to one private chat, per second (FAQ: one message per second in a chat)
# Telegram counts a request when it arrives, a little after this limiter let it go, and the delay varies from one
# request to the next: each window is this much longer than Telegram's, so that jitter never fits one request too many
# into Telegram's window.
MARGIN = 0.1  # seconds
MAX_RETRIES = 5  # a 429 is retried after its retry_after this many times before the caller sees it

# The Bot API methods that post a new message in a chat; edits, deletions and answers to a button do not.
NEW_MESSAGE_METHODS = frozenset({
    "sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "sendAudio", "sendVideo", "sendAnimation",
    "sendVoice", "sendSticker", "sendLocation", "sendContact", "sendPoll", "sendDice", "copyMessage",
    "copyMessages", "forwardMessage", "forwardMessages",
})

# True while a user's update is handled (set by ChatOrderedProcessor): its requests are served first.
INTERACTIVE: ContextVar[bool] = ContextVar("interactive", default=False)


def chat_key(update: object) -> int | str:
    """What orders an update: its chat, else its user (a button on an inline message), else one shared key."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return "autre"


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Updates of different chats are handled concurrently; those of one chat one after the other, in the order they
    arrived. Storage makes each unit of work its own transaction (storage/db.py), so chats cannot see each other's
    work half done.

    PTB takes one of ``max_concurrent_updates`` slots before calling ``do_process_update``, and an update waiting
    for its chat holds its slot: the bound is high enough for a burst (hundreds of updates) never to make one chat
    wait for another's queue."""

    def __init__(self, max_concurrent_updates: int = 512):
        super().__init__(max_concurrent_updates)
        self._locks: dict[int | str, asyncio.Lock] = {}
        self._queued: Counter[int | str] = Counter()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's previous updates (asyncio's locks are first come, first served), then handle it."""
        key = chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._queued[key] += 1
        try:
            async with lock:
                token = INTERACTIVE.set(True)
                try:
                    await coroutine
                finally:
                    INTERACTIVE.reset(token)
        finally:
            self._queued[key] -= 1
            if not self._queued[key]:  # nobody left for this chat: forget it
                del self._queued[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""


class LoopTime:
    """The event loop's clock, which the limiter waits on."""

    def time(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.Handle:
        return asyncio.get_running_loop().call_later(delay, callback)


class SkippedTime(LoopTime):
    """A clock whose waits pass at once, moving it forward: the sandbox's fake Telegram counts its limits on it and
    the bot's limiter waits on it, so the limiter paces exactly as it would (the fake refuses what it would
    refuse) while nobody waits for the seconds it counts."""

    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.Handle:
        self.now += max(delay, 0.0)
        return asyncio.get_running_loop().call_soon(callback)


class Window:
    """At most ``rate`` passages in any ``period`` seconds (a sliding window, as Telegram counts), urgent waiters
    served before the others, each kind in arrival order."""

    def __init__(self, rate: int, period: float, clock: LoopTime | None = None):
        self.rate, self.period = rate, period + MARGIN
        self.clock = clock or LoopTime()
        self._passed: deque[float] = deque()
        self._waiting: list[tuple[int, int, asyncio.Future]] = []
        self._order = itertools.count()
        self._timer: asyncio.Handle | None = None

    def _has_room(self, now: float) -> bool:
        while self._passed and now - self._passed[0] >= self.period:
            self._passed.popleft()
        return len(self._passed) < self.rate

    def idle(self, now: float) -> bool:
        return not self._waiting and (not self._passed or now - self._passed[-1] >= self.period)

    async def acquire(self, *, urgent: bool) -> None:
        if not self._waiting and self._has_room(self.clock.time()):
            self._passed.append(self.clock.time())
            return
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (0 if urgent else 1, next(self._order), future))
        self._wake()
        await future  # cancelled while waiting: _wake skips it

    def _on_timer(self) -> None:
        self._timer = None
        self._wake()

    def _wake(self) -> None:
        while self._waiting and self._has_room(self.clock.time()):
            *_, future = heapq.heappop(self._waiting)
            if not future.done():
                self._passed.append(self.clock.time())
                future.set_result(None)
        if self._waiting and self._timer is None:
            delay = self._passed[0] + self.period - self.clock.time()
            self._timer = self.clock.call_later(max(delay, 0.001), self._on_timer)


class TelegramPace(BaseRateLimiter[int]):
    """A rate limiter for PTB that paces what Telegram paces (see the module's docstring); ``rate_limit_args`` is a
    number of retries, as for AIORateLimiter."""

    def __init__(self, *, overall: tuple[int, float] = OVERALL, group: tuple[int, float] = GROUP,
                 private: tuple[int, float] = PRIVATE, max_retries: int = MAX_RETRIES, clock: LoopTime | None = None):
        self.clock = clock or LoopTime()
        self._overall = Window(*overall, self.clock)
        self._group, self._private = group, private
        self._chats: dict[int | str, Window] = {}
        self._paused_until: dict[int | str | None, float] = {}
        self.max_retries = max_retries
        self.retried = 0  # 429s Telegram answered and this limiter retried (for /etat and the benchmarks)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def _chat_window(self, chat_id: int | str) -> Window:
        window = self._chats.get(chat_id)
        if window is None:
            if len(self._chats) > 512:  # forget the chats with nothing in their window
                now = self.clock.time()
                self._chats = {key: w for key, w in self._chats.items() if not w.idle(now)}
            is_group = isinstance(chat_id, str) or chat_id < 0  # "@channel" or a negative id: not a person
            window = self._chats[chat_id] = Window(*(self._group if is_group else self._private), self.clock)
        return window

    async def _paused(self, chat_id: int | str | None) -> None:
        while (until := self._paused_until.get(chat_id, 0.0)) > self.clock.time():
            await self.clock.sleep(until - self.clock.time())

    async def process_request(
        self, callback: Callable[..., Coroutine[Any, Any, bool | dict | list[dict]]], args: Any, kwargs: dict[str, Any],
        endpoint: str, data: dict[str, Any], rate_limit_args: int | None,
    ) -> bool | dict | list[dict]:
        """A new message waits for its chat's window, then for the overall one (a group waiting for its minute holds
        no share of the overall rate); then send, and after a 429 pause that chat only and try again."""
        chat_id = data.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        urgent = INTERACTIVE.get()
        retries = rate_limit_args if rate_limit_args is not None else self.max_retries
        for attempt in itertools.count():
            await self._paused(chat_id)
            if chat_id is not None and endpoint in NEW_MESSAGE_METHODS:
                await self._chat_window(chat_id).acquire(urgent=urgent)
                await self._overall.acquire(urgent=urgent)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= retries:
                    log.warning("429 still answered after %d retries", retries, extra={"method": endpoint})
                    raise
                self.retried += 1
                wait = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else exc.retry_after
                self._paused_until[chat_id] = max(self._paused_until.get(chat_id, 0.0), self.clock.time() + float(wait))
                log.info("429: chat paused %.1f s", wait, extra={"method": endpoint})
        raise AssertionError("unreachable")
