"""Delivery through the real rate limiter and the fake API's faults; private messages to unreachable people."""

import time

from bot.pace import LoopTime
from handlers.common import send_private
from handlers.context import BotContext
from sandbox.sandbox import Sandbox
from tests.conftest import MONDAY
from tests.support import texts_of


async def test_a_429_is_waited_out_and_the_message_still_arrives(tmp_path):
    async with Sandbox(tmp_path / "bot.sqlite3", start=MONDAY, pace_clock=LoopTime()) as sb:  # in real time
        sb.api.fail("sendMessage", "429", retry_after=1)
        started = time.monotonic()
        out = await sb.say("cls", "/aide")
        assert "A. Recueil des candidats" in texts_of(out)
        assert time.monotonic() - started >= 1  # retry_after was honoured
        assert [m for m, _ in sb.api.calls].count("sendMessage") == 2


async def test_private_message_to_someone_who_never_started_the_bot(sb):
    context = BotContext(sb.app)
    assert await send_private(context, 1002, "Paul Roche", "Bonjour") is None
    assert "Je n'ai pas pu écrire en privé à Paul Roche" in sb.last_text("equipe")
    await sb.say("cpts1", "/start", "prive")  # once Paul has opened the chat, it works
    assert await send_private(context, 1002, "Paul Roche", "Bonjour") is not None
    assert sb.last_text("prive", "cpts1") == "Bonjour"
