"""The limiter against a fake Telegram that refuses what Telegram refuses, and chats handled in parallel."""

import asyncio

from telegram import Bot

from bot.pace import ChatOrderedProcessor, TelegramPace, Window
from sandbox.fakeapi import FakeBotAPI

GROUP, PERSON = -100123, 42


async def _bot(api: FakeBotAPI, limiter) -> Bot:
    from telegram.ext import ExtBot

    bot = ExtBot("1:TEST", request=api.request(), get_updates_request=api.request(), rate_limiter=limiter)
    await bot.initialize()
    return bot


async def test_a_group_past_its_limit_waits_but_a_private_chat_does_not_and_telegram_refuses_nothing():
    api = FakeBotAPI(limits=True)
    api.add_group(GROUP, "équipe")
    api.add_user(PERSON, "Site")
    api.started.add(PERSON)
    bot = await _bot(api, TelegramPace())
    loop = asyncio.get_running_loop()
    group = [asyncio.create_task(bot.send_message(GROUP, f"n° {n}")) for n in range(21)]  # one past 20 a minute
    await asyncio.sleep(0.05)
    started = loop.time()
    await bot.send_message(PERSON, "à vous")  # the group's wait is not the private chat's
    assert loop.time() - started < 0.5
    await asyncio.sleep(0.2)
    assert sum(t.done() for t in group) == 20  # the 21st waits for the group's minute...
    for t in group:
        t.cancel()
    assert api.refused == {}  # ...so Telegram never had to refuse one


async def test_without_the_limiter_the_fake_refuses_like_telegram():
    api = FakeBotAPI(limits=True)
    api.add_user(PERSON, "Site")
    api.started.add(PERSON)
    bot = await _bot(api, None)
    await bot.send_message(PERSON, "un")
    try:
        await bot.send_message(PERSON, "deux")  # a second message in the same second
    except Exception as err:  # noqa: BLE001
        assert type(err).__name__ == "RetryAfter"
    else:
        raise AssertionError("the fake let two messages a second through to a private chat")
    assert api.refused["sendMessage"] == 1


async def test_a_429_is_retried_after_retry_after_for_that_chat_only():
    api = FakeBotAPI()
    api.add_user(PERSON, "Site")
    api.started.add(PERSON)
    limiter = TelegramPace()
    bot = await _bot(api, limiter)
    api.fail("sendMessage", "429", retry_after=1)
    await bot.send_message(PERSON, "après une attente")
    assert limiter.retried == 1 and [m["text"] for m in api.visible(PERSON)] == ["après une attente"]


async def test_urgent_waiters_pass_before_the_others():
    window, order = Window(1, 0.2), []

    async def take(name, urgent):
        await window.acquire(urgent=urgent)
        order.append(name)

    await take("premier", False)
    tasks = [asyncio.create_task(take("rappel", False)), asyncio.create_task(take("réponse", True))]
    await asyncio.gather(*tasks)
    assert order == ["premier", "réponse", "rappel"]


async def test_updates_of_one_chat_stay_in_order_while_other_chats_run_alongside():
    from telegram import Update

    processor = ChatOrderedProcessor()
    seen: list[str] = []

    def update(update_id: int, chat_id: int) -> Update:
        return Update.de_json({"update_id": update_id, "message": {
            "message_id": update_id, "date": 0, "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "x"}, "text": "x"}}, None)

    async def work(name: str, delay: float):
        await asyncio.sleep(delay)
        seen.append(name)

    await asyncio.gather(
        processor.process_update(update(1, 1), work("a1", 0.05)),
        processor.process_update(update(2, 1), work("a2", 0.0)),
        processor.process_update(update(3, 2), work("b1", 0.0)),
    )
    assert seen == ["b1", "a1", "a2"]  # chat 2 did not wait for chat 1; chat 1 kept its order


async def test_thirty_new_messages_a_second_in_all_while_edits_are_not_held_back():
    api = FakeBotAPI(limits=True)
    people = [1000 + n for n in range(31)]
    for person in people:
        api.add_user(person, f"P{person}")
        api.started.add(person)
    bot = await _bot(api, TelegramPace())
    loop = asyncio.get_running_loop()
    started = loop.time()
    sent = await asyncio.gather(*(bot.send_message(p, "rappel") for p in people[:30]))
    assert loop.time() - started < 0.5  # thirty chats, one message each: at once
    late = asyncio.create_task(bot.send_message(people[30], "rappel"))  # the 31st waits for the second to pass
    started = loop.time()
    await asyncio.gather(*(bot.edit_message_text(f"modifié {n}", chat_id=m.chat_id, message_id=m.message_id)
                           for n in range(3) for m in sent[:15]))  # 45 edits in the same second
    assert loop.time() - started < 0.5 and not late.done()
    await late
    assert loop.time() - started >= 0.5 and api.refused == {}


async def test_the_sandbox_keeps_telegrams_limits_without_waiting_for_them(sb):
    """The tests' bot runs with its limiter, against a fake that refuses what Telegram refuses; both count on a
    clock whose waits pass at once: 25 replies in the group take more than a minute of it, and no real time."""
    import time

    started, counted = time.monotonic(), sb.pace_clock.time()
    for _ in range(25):
        await sb.say("cls", "/aide")
    replies = [s for s in sb.api.log if s.chat_id == sb.settings.team_chat_id and "A. Recueil des candidats" in s.text]
    assert len(replies) == 25 and sb.api.refused == {}
    assert sb.pace_clock.time() - counted >= 60  # the 21st reply waited for the group's minute...
    assert time.monotonic() - started < 20  # ...which nobody had to sit through
