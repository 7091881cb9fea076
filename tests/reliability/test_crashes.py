"""The real bot as a separate process, killed with SIGKILL mid-work, then restarted on the same database."""

from bench.fiabilite import (
    interview_with_crashes,
    poll_with_crash,
    polls_under_faults,
    reminders_under_faults,
    reminders_with_crash,
)


async def test_interview_killed_twice_loses_nothing(tmp_path):
    result = await interview_with_crashes(tmp_path, kills_after=(3, 9))
    assert result.crashes == 2 and result.cases >= 20
    assert result.lost == 0, result.notes
    assert result.duplicates <= result.crashes  # at most one duplicate per crash


async def test_poll_answers_killed_once_keep_every_last_answer(tmp_path):
    result = await poll_with_crash(tmp_path, presses=24, kill_after=11)
    assert result.lost == 0, result.notes
    assert result.duplicates <= result.crashes


async def test_reminder_burst_killed_once_delivers_everything_at_most_one_duplicate(tmp_path):
    result = await reminders_with_crash(tmp_path, count=60, kill_after=20)
    assert result.lost == 0, result.notes
    assert result.duplicates <= 1


async def test_ten_percent_api_faults_lose_nothing(tmp_path):
    result = await reminders_under_faults(tmp_path, count=200, rate=0.10)
    assert result.lost == 0 and result.duplicates == 0, result.notes
    assert "refusés" in result.notes[0] and not result.notes[0].startswith("0 ")


async def test_polls_sent_closed_and_confirmed_under_ten_percent_faults_lose_nothing(tmp_path):
    result = await polls_under_faults(tmp_path, count=8, rate=0.10)
    assert result.cases == 8 * 9 and result.lost == 0 and result.duplicates == 0, result.notes
    assert "envois refusés" in result.notes[0] and not result.notes[0].endswith(" 0 envois refusés par l'API puis réessayés")
