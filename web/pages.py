"""What every page of the personal links shares: templates, security headers, the per-address and per-token
limits, the form's secret, the deferred Telegram edits, and the refusal pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from telegram.ext import Application

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
TEMPLATES = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                        trim_blocks=True, lstrip_blocks=True, auto_reload=False)  # no stat of each template per page

# Every page: no inline script or style, nothing from elsewhere, never in a frame; the token in the address is
# never sent to another site (no referrer) nor kept by a cache.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # the pages use no camera, microphone, location or payment: a browser refuses them to anything on them
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
}
MAX_BODY = 16 * 1024  # bytes: a form of a poll's answers is a few hundred


class Window:
    """At most ``limit`` events per key in any ``seconds``: per token and per address, in memory (a restart
    forgets them, which is only kind to whoever was refused).

    Constant time per call and bounded memory, whatever the number of keys: each key keeps at most ``limit``
    instants; keys are kept in the order they were last used, so those whose window has passed are found at the
    front and dropped as calls come; beyond ``max_keys`` the least recently used is forgotten (a scan of many
    addresses or tokens cannot grow it)."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 50_000):
        self.limit, self.seconds, self.clock, self.max_keys = limit, seconds, clock, max_keys
        self.events: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        now = self.clock()
        for _ in range(2):  # two expired keys dropped per call: they go faster than new ones come
            if not self.events:
                break
            oldest_key, oldest = next(iter(self.events.items()))
            if oldest_key == key or now - oldest[-1] < self.seconds:
                break
            del self.events[oldest_key]
        seen = self.events.get(key)
        if seen is None:
            seen = self.events[key] = deque(maxlen=self.limit)
            if len(self.events) > self.max_keys:
                self.events.popitem(last=False)
        else:
            self.events.move_to_end(key)
        while seen and now - seen[0] >= self.seconds:
            seen.popleft()
        if len(seen) >= self.limit:
            return False
        seen.append(now)
        return True


class Limits:
    def __init__(self) -> None:
        self.per_address = Window(120, 60)  # any request: a person clicking around, even behind one office's NAT
        self.per_token = Window(30, 60)  # one link opened and answered over and over
        self.unknown_tokens = Window(10, 600)  # an address trying tokens that do not exist: guessing


async def form_secret(ptb: Application) -> str:
    """The key that signs the pages' form keys: made once, kept in the database (a restart keeps forms valid)."""
    reading = ptb.bot_data.get("web_secret")
    if reading is None:
        # the pages opened at once as the bot starts wait for one reading, and are woken together by it (behind a
        # lock they were woken one per turn of the loop: under fifty pages, the last a quarter of a second late)
        reading = ptb.bot_data["web_secret"] = asyncio.ensure_future(_stored_form_secret(ptb.bot_data["services"].db))
    try:
        return await asyncio.shield(reading)  # a page closed meanwhile does not stop the others' reading
    except Exception:
        if ptb.bot_data.get("web_secret") is reading:
            del ptb.bot_data["web_secret"]  # the next page reads again
        raise


async def _stored_form_secret(db) -> str:
    from storage import privacy

    secret = await privacy.get_kv(db, "web:secret-formulaires")
    if secret is None:
        secret = secrets.token_hex(32)
        await privacy.set_kv(db, "web:secret-formulaires", secret)
    return secret


class FollowUps:
    """The work a page leaves after its response (editing Telegram messages waits for Telegram's pace, the page
    must not), one per key after a quiet moment: a site that changes its answers three times in a minute makes its
    messages and the tally edited once, not three times (each edit counts in Telegram's limits). What the work
    shows is already in the database: it reads it when it runs."""

    def __init__(self, delay: float):
        self.delay = delay
        self.waiting: dict[object, Callable[[], Awaitable[None]]] = {}
        self.tasks: set[asyncio.Task] = set()
        self._now = asyncio.Event()  # set by ``settle``: what waits runs at once

    def run(self, key: object, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` in ``delay`` seconds, unless work of the same key is already waiting (it will do)."""
        if key in self.waiting:
            return
        self.waiting[key] = work
        task = asyncio.ensure_future(self._after(key))
        self.tasks.add(task)
        task.add_done_callback(self._done)

    async def _after(self, key: object) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._now.wait(), self.delay)
        # taken off before it runs: an answer arriving meanwhile is shown by the next run
        await self.waiting.pop(key)()

    def _done(self, finished: asyncio.Task) -> None:
        self.tasks.discard(finished)
        if not finished.cancelled() and finished.exception() is not None:
            log.error("work after a web answer failed", exc_info=finished.exception())

    async def settle(self) -> None:
        """Run what waits now, and wait until nothing is left (the sandbox after each step, the server's stop)."""
        while self.tasks:
            self._now.set()
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self._now.clear()


def page(template: str, status: int = 200, **context) -> HTMLResponse:
    """A French page from its template, with the security headers."""
    return HTMLResponse(TEMPLATES.get_template(template).render(**context), status_code=status,
                        headers=SECURITY_HEADERS)


def refused(status: int, title: str, text: str) -> HTMLResponse:
    return page("message.html", status, title=title, text=text)


def not_found() -> HTMLResponse:
    return refused(404, "Page introuvable", "Cette adresse ne correspond à rien ici.")


def client_of(request: Request) -> str:
    return request.client.host if request.client else "?"


async def read_body(request: Request) -> bytes | None:
    """The body, or None if it is longer than MAX_BODY (read no further)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return body
