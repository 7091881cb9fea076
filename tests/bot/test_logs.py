"""Structured logs: one line per event, ids but never what people typed."""

import logging

from bot.logs import KeyValueFormatter
from tests.support import register_candidate, skip_interview


def test_one_line_with_its_fields_even_for_a_traceback():
    formatter = KeyValueFormatter()
    record = logging.LogRecord("handlers.x", logging.INFO, __file__, 1, "update handled", (), None)
    record.update_id, record.kind, record.ms, record.chat = 12, "commande /dossier", 4.2, None
    line = formatter.format(record)
    assert line.endswith('handlers.x "update handled" update_id=12 kind="commande /dossier" ms=4.2')
    try:
        raise ValueError("boum\nsur deux lignes")
    except ValueError:
        import sys

        failed = logging.LogRecord("bot", logging.ERROR, __file__, 1, "update failed", (), sys.exc_info())
    line = formatter.format(failed)
    assert "\n" not in line and "ValueError: boum\\nsur deux lignes" in line


async def test_a_whole_registration_and_interview_logs_ids_and_no_personal_data(sb, caplog):
    caplog.set_level(logging.INFO)
    await register_candidate(sb, first="Léontine", last="Vuillermoz", phone="06 98 76 54 32")
    await skip_interview(sb)
    await sb.say("cpts1", "/dossier 1")
    lines = [KeyValueFormatter().format(r) for r in caplog.records]
    text = "\n".join(lines)
    assert "Léontine" not in text and "Vuillermoz" not in text and "98 76" not in text
    handled = [line for line in lines if '"update handled"' in line]
    assert len(handled) >= 20 and all("update_id=" in line and " ms=" in line for line in handled)
    assert any('kind="commande /nouveau"' in line for line in handled)
    assert any('kind="bouton f"' in line for line in handled) and any("kind=texte" in line for line in handled)
    assert any("action=consultation candidate=1" in line for line in lines)
