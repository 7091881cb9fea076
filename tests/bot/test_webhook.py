"""Webhook mode: the real `python -m bot` process registers its webhook, takes Telegram's posts that carry the
secret token, and refuses the others."""

import asyncio
import json
import socket
import subprocess
import sys

import httpx

from bench.fiabilite import BotProcess, new_world, wait_for
from sandbox.fakeserver import FakeBotAPIServer
from sandbox.sandbox import TEAM

SECRET = "s3cret-token_for-the-tests-0123456789"


async def bot_on_fake_telegram(tmp_path, **env):
    """A fake Telegram served over HTTP, and the bot process to run against it with ``env`` (not started yet)."""
    api = new_world()
    server = FakeBotAPIServer(api)
    bot = BotProcess(tmp_path, await server.start(), api)
    bot.env.update(env)
    return api, server, bot


def launch(tmp_path, bot) -> None:
    """The real `python -m bot`, its output kept for the failure message."""
    bot.proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp_path, env=bot.env,
                                stdout=open(tmp_path / "bot.log", "w"), stderr=subprocess.STDOUT)


async def get_when_up(client: httpx.AsyncClient, url: str, **kwargs) -> httpx.Response:
    """The first answer of the bot's web server, which comes up a moment after the bot."""
    for _ in range(100):
        try:
            return await client.request(kwargs.pop("method", "GET"), url, **kwargs)
        except httpx.ConnectError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"nothing answers at {url}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_updates_come_by_webhook_with_the_secret_and_only_with_it(tmp_path):
    listen = free_port()
    api, server, bot = await bot_on_fake_telegram(tmp_path, WEBHOOK_URL="https://bot.exemple.fr/telegram-cls",
                                                  WEBHOOK_SECRET=SECRET, WEBHOOK_LISTEN="127.0.0.1",
                                                  WEBHOOK_PORT=str(listen), PUBLIC_URL="https://bot.exemple.fr")
    claire = TEAM["cls"].user_id
    try:
        launch(tmp_path, bot)
        await wait_for(lambda: api.webhook is not None, 30, "setWebhook")
        assert api.webhook == {"url": "https://bot.exemple.fr/telegram-cls", "secret_token": SECRET}
        assert not any(method == "getUpdates" for method, _ in api.calls)  # no long polling in this mode

        api.user_message(claire, claire, "/aide")
        update = api.take_updates()[0]
        url = f"http://127.0.0.1:{listen}/telegram-cls"
        async with httpx.AsyncClient() as client:
            forged = await get_when_up(client, url, method="POST", json=update,
                                       headers={"X-Telegram-Bot-Api-Secret-Token": "faux"})
            assert forged.status_code == 403
            await asyncio.sleep(0.5)
            assert not [s for s in api.log if s.chat_id == claire]  # nothing reached the bot

            good = await client.post(url, content=json.dumps(update),
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET,
                                              "Content-Type": "application/json"})
            assert good.status_code == 200
            await wait_for(lambda: any(s.chat_id == claire for s in api.log), 15, "the reply to /aide")
            # the same server serves the personal links' pages, and nothing else
            page = await client.get(f"http://127.0.0.1:{listen}/r/{'A' * 22}")
            assert page.status_code == 404 and "Lien non valable" in page.text
            assert (await client.get(f"http://127.0.0.1:{listen}/")).status_code == 404
        reply = next(s.text for s in api.log if s.chat_id == claire)
        assert "/nouveau" in reply and "/entretien" in reply  # the help, by protocol step
    finally:
        bot.stop()
        await server.stop()
    assert bot.proc.returncode == 0, (tmp_path / "bot.log").read_text()


async def test_in_long_polling_mode_the_same_process_serves_the_personal_links_pages(tmp_path):
    listen = free_port()
    api, server, bot = await bot_on_fake_telegram(tmp_path, PUBLIC_URL="https://bot.exemple.fr",
                                                  WEB_LISTEN="127.0.0.1", WEB_PORT=str(listen))
    claire = TEAM["cls"].user_id
    try:
        launch(tmp_path, bot)
        api.user_message(claire, claire, "/aide")
        await wait_for(lambda: any(s.chat_id == claire for s in api.log), 30, "the reply to /aide, by long polling")
        async with httpx.AsyncClient() as client:
            page = await get_when_up(client, f"http://127.0.0.1:{listen}/r/{'B' * 22}")
            assert page.status_code == 404 and "Lien non valable" in page.text
            assert page.headers["cache-control"] == "no-store"
            assert (await client.post(f"http://127.0.0.1:{listen}/telegram", json={})).status_code == 404  # no webhook
    finally:
        bot.stop()
        await server.stop()
    assert bot.proc.returncode == 0, (tmp_path / "bot.log").read_text()
