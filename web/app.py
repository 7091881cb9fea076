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


FOLLOW_UP_DELAY = 2.0  # seconds between a web answer and the Telegram edits that show it (see FollowUps)


def build_web(ptb: Application, *, webhook_path: str = "", webhook_secret: str | None = None,
              follow_up_delay: float = FOLLOW_UP_DELAY) -> Starlette:
    """The ASGI app of the bot ``ptb`` (initialised: its services are in bot_data)."""
    limits = Limits()

    def guarded(endpoint: Callable[[Request, Application, Limits], Awaitable[Response]]):
        async def handle(request: Request) -> Response:
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
        try:
            update = Update.de_json(json.loads(body), ptb.bot)
        except ValueError:
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
