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
            # valid JSON that is not an update, with the secret: refused plainly, nothing handled, no traceback
            signed = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
            for body in ("[]", '{"message": 5}', '{"update_id": "x"}', '{"update_id": 7, "message": 5}',
                         "[" * 100_000 + "]" * 100_000, "null", "pas du json"):
                refused = await client.post(url, content=body, headers=signed)
                assert refused.status_code == 400, body[:30]
            handled = len([s for s in api.log if s.chat_id == claire])
            again = await client.post(url, content=json.dumps(update | {"update_id": update["update_id"] + 1}),
                                      headers=signed)
            assert again.status_code == 200  # and the bot goes on taking updates
            await wait_for(lambda: len([s for s in api.log if s.chat_id == claire]) > handled, 15, "a second reply")
        reply = next(s.text for s in api.log if s.chat_id == claire)
        assert "/nouveau" in reply and "/entretien" in reply  # the help, by protocol step
    finally:
        bot.stop()
        await server.stop()
    assert bot.proc.returncode == 0, (tmp_path / "bot.log").read_text()
    assert "Traceback" not in (tmp_path / "bot.log").read_text()


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


async def test_at_debug_level_the_log_holds_no_secret_and_no_personal_data(tmp_path):
    """LOG_LEVEL=DEBUG, as .env.example offers: a journey through the real process (a candidate registered by
    name, phone and e-mail, a personal link's page opened) writes neither the bot's token, the webhook's secret,
    a page's token, nor anything the member typed."""
    from bench.fiabilite import TOKEN

    listen = free_port()
    api, server, bot = await bot_on_fake_telegram(tmp_path, LOG_LEVEL="DEBUG", WEBHOOK_URL="https://bot.exemple.fr/tg",
                                                  WEBHOOK_SECRET=SECRET, WEBHOOK_LISTEN="127.0.0.1",
                                                  WEBHOOK_PORT=str(listen), PUBLIC_URL="https://bot.exemple.fr")
    claire = TEAM["cls"].user_id
    typed = ["/nouveau", "Léontine", "Vuillermoz", "0698765432"]
    url = f"http://127.0.0.1:{listen}/tg"
    signed = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    try:
        launch(tmp_path, bot)
        await wait_for(lambda: api.webhook is not None, 30, "setWebhook")
        async with httpx.AsyncClient() as client:
            for n, text in enumerate(typed, start=1):
                api.user_message(claire, claire, text)
                update = api.take_updates()[0]
                answered = len([s for s in api.log if s.chat_id == claire])
                posted = await get_when_up(client, url, method="POST", content=json.dumps(update), headers=signed)
                assert posted.status_code == 200
                await wait_for(lambda: len([s for s in api.log if s.chat_id == claire]) > answered, 15, f"reply {n}")
            token = "Q" * 22
            assert (await client.get(f"http://127.0.0.1:{listen}/r/{token}")).status_code == 404
    finally:
        bot.stop()
        await server.stop()
    log = (tmp_path / "bot.log").read_text()
    assert bot.proc.returncode == 0, log
    assert " DEBUG " in log or " INFO " in log  # the bot's own events are there
    for secret in (TOKEN, TOKEN.split(":")[1], SECRET, "Q" * 22, "Léontine", "Vuillermoz", "0698765432", "98 76"):
        assert secret not in log, secret
