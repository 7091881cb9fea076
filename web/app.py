"""The bot's one web server: the pages of the personal links and, in webhook mode, Telegram's posts.

A Starlette app run by uvicorn in the bot's own process and event loop (web/server.py): a page reads and writes
through the same storage and handlers as a Telegram update. Nothing else is served: every other path is a 404.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from telegram import Update
from telegram.ext import Application

from domain.weblinks import masked, same
from web import links
from web.pages import HERE, TEMPLATES, FollowUps, Limits, client_of, not_found, refused

log = logging.getLogger(__name__)
MAX_UPDATE = 1024 * 1024  # bytes: an update is a few kB, a document's is its description, not the file


FOLLOW_UP_DELAY = 2.0  # seconds between a web answer and the Telegram edits that show it (see FollowUps)


class OneAddress:
    """Watches the first requests: when they all come from one address that is not a trusted proxy, the bot is
    most likely behind a reverse proxy (or Docker's port mapping) it was not told of, and every visitor shares one
    limit. Said once in the log, with what to set."""

    WATCHED = 30

    def __init__(self, ptb: Application):
        self.ptb = ptb
        self.seen: set[str] = set()
        self.count = 0

    def saw(self, address: str) -> None:
        if self.count > self.WATCHED:
            return
        self.count += 1
        self.seen.add(address)
        if self.count == self.WATCHED and len(self.seen) == 1:
            settings = self.ptb.bot_data["services"].settings
            if address not in settings.trusted_proxies:
                log.warning("every request comes from one address: behind a reverse proxy, set TRUSTED_PROXIES "
                            "(docs/deploiement.md), else all visitors share one limit", extra={"address": address})


def build_web(ptb: Application, *, webhook_path: str = "", webhook_secret: str | None = None,
              follow_up_delay: float = FOLLOW_UP_DELAY) -> Starlette:
    """The ASGI app of the bot ``ptb`` (initialised: its services are in bot_data)."""
    limits = Limits()
    addresses = OneAddress(ptb)

    def guarded(endpoint: Callable[[Request, Application, Limits], Awaitable[Response]]):
        async def handle(request: Request) -> Response:
            addresses.saw(client_of(request))
            if not limits.per_address.allow(client_of(request)):
                return refused(429, "Trop de demandes", "Patientez une minute avant de réessayer.")
            try:
                return await endpoint(request, ptb, limits)
            except ClientDisconnect:  # the visitor went away mid-request: nothing was changed, nobody to answer
                return Response(status_code=400)
            except Exception:  # noqa: BLE001 - a page that fails says so and reveals nothing
                log.exception("web page failed", extra={"path": masked(request.url.path)})
                return refused(500, "Erreur", "Une erreur est survenue : rien n'a été changé. Réessayez dans un "
                                              "moment, ou appelez la CPTS du Grand Lons.")
        return handle

    async def webhook(request: Request) -> Response:
        """Telegram's post of an update (PTB's custom-webhook pattern), refused without the secret."""
        if not same(request.headers.get("x-telegram-bot-api-secret-token", ""), webhook_secret or ""):
            return Response(status_code=403)
        body = await request.body()
        if len(body) > MAX_UPDATE:
            return Response(status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise ValueError("not an update")
            update = Update.de_json(data, ptb.bot)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            # valid JSON that is not an update ([], {"message": 5}, arrays nested a thousand deep): not Telegram's
            log.warning("webhook body refused: not an update")
            return Response(status_code=400)
        await ptb.update_queue.put(update)
        return Response()

    async def missing(request: Request, exc: Exception) -> Response:
        return not_found()

    routes = [
        Route("/r/{token}", guarded(links.show), methods=["GET"]),
        Route("/r/{token}", guarded(links.submit), methods=["POST"]),
        Route("/r/{token}/visite.ics", guarded(links.calendar), methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    if webhook_path:
        routes.append(Route(f"/{webhook_path}", webhook, methods=["POST"]))
    web = Starlette(routes=routes, exception_handlers={404: missing, 405: missing})
    for name in TEMPLATES.list_templates():  # compiled now, not while the first visitors wait (a few ms each)
        TEMPLATES.get_template(name)
    web.state.follow_ups = FollowUps(follow_up_delay)
    return web
