"""Bad input, generated: no unhandled exception, a clear French reply, no change to the data."""

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import texts
from sandbox.sandbox import Sandbox
from tests.conftest import MONDAY
from tests.support import register_candidate, texts_of

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
COMMANDS = ["/dossier", "/dossiers", "/entretien", "/croisement", "/export", "/lieux", "/lieu", "/sondage",
            "/synthese", "/reunion", "/visites", "/debrief", "/journal", "/rgpd_effacer", "/rgpd_export", "/inviter_lieu", "/inviter_elu",
            "/membre_retirer"]
typed = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One bot for all examples, on its own event loop (hypothesis drives synchronous tests)."""
    loop = asyncio.new_event_loop()
    sb = Sandbox(tmp_path_factory.mktemp("hypothesis") / "bot.sqlite3", start=MONDAY)
    loop.run_until_complete(sb.start())
    loop.run_until_complete(register_candidate(sb))
    yield loop, sb
    loop.run_until_complete(sb.stop())
    loop.close()


def snapshot(loop, sb) -> list:
    async def rows():
        out = []
        for table in ("candidates", "interview_answers", "dialogs", "sites", "polls", "members"):
            out.append([tuple(r) for r in await sb.db.fetchall(f"SELECT * FROM {table} ORDER BY rowid")])
        return out
    return loop.run_until_complete(rows())


def no_failure(out) -> None:
    assert out, "the bot said nothing"
    assert all(texts.ERROR not in s.text and "Traceback" not in s.text for s in out)


@SETTINGS
@given(command=st.sampled_from(COMMANDS), argument=typed)
def test_command_arguments(world, command, argument):
    loop, sb = world
    before = snapshot(loop, sb)
    out = loop.run_until_complete(sb.say("cpts1", f"{command} {argument}".strip(), "prive"))
    no_failure([s for s in out if s.kind != "document"] or out)
    after = snapshot(loop, sb)
    # a draft may be opened (a guided exchange waits for its answers), nothing else changes
    assert before[:2] + before[3:] == after[:2] + after[3:]


@SETTINGS
@given(data=st.text(max_size=64))
def test_button_data(world, data):
    loop, sb = world
    before = snapshot(loop, sb)
    out = loop.run_until_complete(sb.press_data("cpts1", data or "x", "equipe"))
    assert out and out[-1].kind == "toast"
    assert all(texts.ERROR[:60] not in s.text for s in out)
    assert snapshot(loop, sb) == before


@SETTINGS
@given(answer=typed.filter(lambda t: t.strip() and not t.startswith("/")))
def test_answers_to_date_number_and_text_questions(world, answer):
    loop, sb = world

    async def run():
        await sb.say("cls", "/nouveau", "prive")
        await sb.say("cls", "Hugo", "prive")
        await sb.say("cls", "Petit", "prive")
        await sb.press("cls", "Infirmier", "prive")
        phone = await sb.say("cls", answer, "prive")  # a phone number question
        await sb.say("cls", "/annuler", "prive")
        return phone

    before = loop.run_until_complete(sb.db.fetchone("SELECT COUNT(*) FROM candidates"))[0]
    out = loop.run_until_complete(run())
    no_failure(out)
    reply = texts_of(out)
    assert "❗" in reply or "adresse e-mail" in reply  # explained, or accepted and the next question asked
    assert loop.run_until_complete(sb.db.fetchone("SELECT COUNT(*) FROM candidates"))[0] == before


async def test_long_texts_and_sql_metacharacters_come_back_intact(sb):
    await register_candidate(sb, first="Robert'); DROP TABLE candidates;--", last="O'Brien <b>")
    await sb.say("cls", "/entretien 1")
    await sb.press("cls", "Oui")
    long_text = ("Très motivé ; « guillemets » & <balises> 'apostrophes' " * 80)[:1500]  # a free text's limit
    assert "trop long" in texts_of(await sb.say("cls", long_text + "!"))  # one more: refused, asked again
    await sb.say("cls", long_text)
    from storage import interviews

    stored = {a.question: a.value for a in await interviews.answers(sb.db, 1)}
    assert stored["motivations"] == long_text
    card = texts_of(await sb.say("cls", "/dossier 1"))
    assert "Robert'); DROP TABLE candidates;-- O'Brien <b>" in card
    await sb.say("cls", "/entretien 1", "prive")
    for _ in range(30):
        labels = [b["text"] for row in sb.api.last_with_buttons(1001)["reply_markup"]["inline_keyboard"] for b in row]
        if "✅ Confirmer" in labels:
            break
        await sb.press("cls", "Passer", "prive")
    messages = sb.api.visible(1001)  # as they stand: a step's message is edited into the next one
    first = next(i for i, m in enumerate(messages) if "Récapitulatif" in m["text"])
    summary = messages[first:]
    assert summary and all(len(m["text"]) <= 4096 for m in summary)
    assert long_text.strip() in " ".join(m["text"] for m in summary)
