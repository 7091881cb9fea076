"""uvicorn inside the bot's process and event loop, serving web/app.py."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import TYPE_CHECKING

import uvicorn
from telegram.ext import Application

from web.app import build_web

if TYPE_CHECKING:  # read on top, by the entry point
    from bot.config import Settings

# HTTP read and written by httptools (C) rather than h11: named, so that a missing package fails at start instead of
# silently falling back to the slower parser
HTTP = "httptools"


class WebServer:
    """The bot's web server, started and stopped with the bot."""

    def __init__(self, ptb: Application, settings: Settings, *, sock: socket.socket | None = None):
        self.app = app = build_web(ptb, webhook_path=settings.webhook_path, webhook_secret=settings.webhook_secret)
        # no access log (a link's token is in its path), no lifespan (the bot's own start and stop do that), the
        # client's address read from X-Forwarded-For only when a trusted reverse proxy sent it (TRUSTED_PROXIES):
        # anyone else's header is ignored, and the per-address limits count the socket's address
        trusted = settings.trusted_proxies
        config = uvicorn.Config(app, host=settings.web_listen, port=settings.web_port, log_config=None,
                                access_log=False, lifespan="off", proxy_headers=bool(trusted),
                                forwarded_allow_ips=",".join(trusted) or None, server_header=False, http=HTTP)
        self.server = uvicorn.Server(config)
        # in the bot's loop, the bot handles the signals (bot/__main__.py): uvicorn must not take them over
        self.server.capture_signals = contextlib.nullcontext
        self.sock = sock
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock] if self.sock else None))
        while not self.server.started:
            if self.task.done():  # the port is taken, say
                await self.task
                raise RuntimeError("le serveur web n'a pas démarré")
            await asyncio.sleep(0.01)

    async def settle(self) -> None:
        """Wait for the work the pages left after their responses (the Telegram edits of an answer)."""
        await self.app.state.follow_ups.settle()

    async def stop(self) -> None:
        await self.settle()
        if self.task is not None:
            self.server.should_exit = True
            await self.task
            self.task = None


def local_socket(port: int = 0) -> socket.socket:
    """A loopback socket on ``port`` (a free one by default: the sandbox and the tests)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock
