"""`python -m bot check` against the fake Bot API served over HTTP, as a separate process."""

import asyncio
import os
import sys

from sandbox.fakeapi import FakeBotAPI
from sandbox.fakeserver import FakeBotAPIServer

TEAM_CHAT = -1001000000001


async def run_check(tmp_path, port, token="123456789:VERIFICATION", chat=TEAM_CHAT):
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(sys.path), "BOT_TOKEN": token,
           "TEAM_CHAT_ID": str(chat), "TEAM_MEMBERS": "1001:cls:Claire Martin", "DATABASE_PATH": str(tmp_path / "b.sqlite3"),
           "BOT_API_BASE_URL": f"http://127.0.0.1:{port}"}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "check", cwd=tmp_path, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode()


async def test_check_reports_in_french_and_fails_on_a_problem(tmp_path):
    api = FakeBotAPI()
    api.add_group(TEAM_CHAT, "Installation — équipe")
    server = FakeBotAPIServer(api)
    port = await server.start()
    try:
        code, out = await run_check(tmp_path, port)
        assert code == 0, out
        assert "✅ jeton accepté : le bot s'appelle @installation_jura_bot" in out
        assert "✅ groupe de l'équipe joignable : « Installation — équipe »" in out
        assert "mode confidentialité des groupes actif" in out and "Tout est prêt." in out
        code, out = await run_check(tmp_path, port, chat=-100999)
        assert code == 1 and "❌ groupe -100999 injoignable" in out and "À corriger" in out
    finally:
        await server.stop()
    code, out = await run_check(tmp_path, port)  # the server is gone
    assert code == 1 and "❌ serveur Bot API injoignable" in out


async def test_identifiants_lists_who_wrote_to_the_bot_with_only_a_token(tmp_path):
    api = FakeBotAPI()
    api.add_group(TEAM_CHAT, "Installation — équipe")
    api.add_user(1001, "Claire", "Martin")
    api.add_user(1002, "Paul", "Roche")
    api.user_message(1001, TEAM_CHAT, "/moi")
    api.user_message(1002, 1002, "/start")
    server = FakeBotAPIServer(api)
    port = await server.start()
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(sys.path),
           "BOT_API_BASE_URL": f"http://127.0.0.1:{port}"}
    (tmp_path / ".env").write_text("BOT_TOKEN=123456789:IDENTIFIANTS\n", encoding="utf-8")
    try:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "identifiants", cwd=tmp_path, env=env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out = (await asyncio.wait_for(proc.communicate(), 60))[0].decode()
        assert proc.returncode == 0, out
        assert f"{TEAM_CHAT}  « Installation — équipe »" in out
        assert "1001  Claire Martin" in out and "1002  Paul Roche" in out
        assert len(api.updates) == 2  # only looked at: the bot still gets them when it starts
    finally:
        await server.stop()
