"""`python -m bot` as its own process, over real HTTP to the fake Bot API served on loopback: an interview in the
group, a site's poll answer in private, a restart in the middle, and everything still there after it."""

from bench.fiabilite import BotProcess, _question_key, new_world, read_db, seed_candidate, seed_poll, wait_for
from sandbox.fakeserver import FakeBotAPIServer
from sandbox.sandbox import TEAM_CHAT_ID


def buttons_of(message: dict) -> list[dict]:
    return [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


def an_answer(message: dict) -> str:
    """The callback data of a button that answers the question on screen: its first choice, else « Passer »."""
    data = [b["callback_data"] for b in buttons_of(message)]
    return next(d for d in data if d.endswith((":b1", ":o0", ":skip")))


def stamp(message: dict) -> tuple:
    """What tells a step from the next: a new message, or the same one edited into the next step."""
    return message["message_id"], message.get("text")


async def test_an_interview_a_poll_answer_and_a_restart_over_http(tmp_path):
    api = new_world()
    api.add_user(2001, "Sophie")
    api.started.add(2001)
    db_path = tmp_path / "bot.sqlite3"
    await seed_candidate(db_path)
    poll_id, slot_ids = await seed_poll(db_path, {2001: 1})
    server = FakeBotAPIServer(api)
    bot = BotProcess(tmp_path, await server.start(), api)
    try:
        await bot.start()
        api.user_message(1001, TEAM_CHAT_ID, "/entretien 1")
        await wait_for(lambda: any(_question_key(m.get("text", "")) for m in api.visible(TEAM_CHAT_ID)), 20,
                       "the first question")
        for turn in range(3):  # three questions answered with a button, by both interviewers
            prompt = dict(api.visible(TEAM_CHAT_ID)[-1])
            api.user_press((1001, 1002)[turn % 2], TEAM_CHAT_ID, prompt["message_id"], an_answer(prompt))
            await wait_for(lambda: stamp(api.visible(TEAM_CHAT_ID)[-1]) != stamp(prompt), 20, "the next question")
        # the site answers the poll from its private chat
        api._new_message({"chat_id": 2001}, text="Demande de disponibilité")
        api.user_press(2001, 2001, api.visible(2001)[-1]["message_id"], f"p:{poll_id}:1:{slot_ids[0]}:o")
        await wait_for(lambda: read_db(db_path, "SELECT answer FROM poll_answers") == [("oui",)], 20, "the poll answer")

        bot.stop()  # a restart, as systemd does it for an update
        await bot.start()
        answered = read_db(db_path, "SELECT question, answered_by FROM interview_answers ORDER BY answered_at, question")
        assert len(answered) == 3 and {by for _, by in answered} == {1001, 1002}
        assert read_db(db_path, "SELECT answer, by_team FROM poll_answers") == [("oui", 0)]

        before = len(api.visible(TEAM_CHAT_ID))
        api.user_message(1002, TEAM_CHAT_ID, "/entretien 1")
        await wait_for(lambda: len(api.visible(TEAM_CHAT_ID)) > before, 20, "the interview resumed")
        resumed = api.visible(TEAM_CHAT_ID)[-1]["text"]
        assert "L'entretien est déjà en cours ici" in resumed and "question 4/" in resumed
        prompt = dict(api.visible(TEAM_CHAT_ID)[-1])
        api.user_press(1002, TEAM_CHAT_ID, prompt["message_id"], an_answer(prompt))
        await wait_for(lambda: len(read_db(db_path, "SELECT 1 FROM interview_answers")) == 4, 20, "the fourth answer")
        assert not [s for s in api.log if "erreur inattendue" in s.text.lower()]
    finally:
        bot.stop()
        await server.stop()
