"""Long texts: a typed answer past its field's limit is refused with a clear message and nothing stored; texts
already long in the database (an old import, a pasted note) still show in every list and card, cut where a reader
expects, and Telegram (the fake, which refuses what Telegram refuses) accepts every message."""

from datetime import UTC, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import candidates, reminders
from tests.support import register_candidate, texts_of

# 1,000 to 6,000 characters, made of a generated piece said again (a few kB of random data per example would be
# more than hypothesis draws for one test)
LONG = st.tuples(st.text(st.sampled_from(list("Lé <>&’ ") + ["😀", "\n"]), min_size=1, max_size=300),
                 st.integers(1000, 6000)).map(lambda p: (p[0] * (p[1] // len(p[0]) + 1))[:p[1]])


async def test_a_name_of_four_thousand_characters_is_refused_and_asked_again(sb):
    await sb.say("cls", "/nouveau")
    await sb.say("cls", "Marie")
    out = texts_of(await sb.say("cls", "L" * 4000))
    assert "C'est trop long pour « Nom » : 4\u202f000 caractères, 100 au plus." in out
    assert "Quel est son <b>nom</b> ?" in out or "Quel est son nom ?" in out  # the same question again
    out = texts_of(await sb.say("cls", "Dupont"))
    assert "profession" in out  # the form goes on from there


async def test_a_long_comment_or_reminder_is_refused_without_being_cut(sb):
    typed = "appeler " * 200 + "demain 10h"
    out = texts_of(await sb.say("cls", "/rappel " + typed))
    assert f"C'est trop long pour un rappel : 1\u202f{len(typed) - 1000:03d} caractères, 1\u202f000 au plus." in out
    assert not [r for r in (await reminders.open_ones(sb.db, limit=100))[0] if r.kind == "libre"]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=LONG, note=LONG)
async def test_long_texts_already_stored_show_in_every_list_and_card(sb, name, note):
    if not await candidates.get(sb.db, 1):
        await register_candidate(sb)
    await sb.db.execute("UPDATE candidates SET last_name = ?, specialty = ? WHERE id = 1", (name, note))
    due = (sb.clock.now() + timedelta(days=1)).astimezone(UTC).isoformat(timespec="seconds")
    await reminders.create(sb.db, kind="libre", chat_id=sb.settings.team_chat_id, text=note, due_at=due,
                           at=sb.clock.utc_iso(), created_by=1001)
    errors = len(sb.app.bot_data["services"].errors)
    for command in ("/dossiers", "/dossier 1", "/rappels", "/dossiers nouveau"):
        out = await sb.say("cls", command)
        assert out and "erreur inattendue" not in texts_of(out), command
        assert all(len(s.text) <= 4096 for s in out), command
        if command == "/dossier 1" and name.split():
            assert name.split()[0][:30] in texts_of(out)  # the name shows, at least its beginning
    await sb.say("cls", "/rappels")
    out = await sb.press("cls", "👤 Les miens")  # a list edited in place, which cannot become two messages
    assert out and all(len(s.text) <= 4096 for s in out)
    assert len(sb.app.bot_data["services"].errors) == errors
