"""What each meeting's summary carries (its text, its chart, its table) holds no personal data of any candidate:
checked over generated candidates against everything that names, reaches or describes them."""

import html
import io
import re
import zipfile

import pytest

from bench.synthetic import Sizes, generate
from domain.summaries import MEETING_KINDS
from sandbox.sandbox import Sandbox
from tests.conftest import MONDAY

FAMILY = ("famille", "enfants_ages", "conjoint", "logement_besoins", "scolarite", "loisirs", "besoins")


def readable(sent) -> str:
    """Everything a person could read in what the bot sent: texts, and every string of a workbook."""
    parts = []
    for s in sent:
        parts.append(s.text)
        if s.file_data and s.file_name.endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(s.file_data)) as book:
                for name in book.namelist():
                    if name.endswith(".xml"):
                        parts.append(html.unescape(re.sub(r"<[^>]+>", "\t", book.read(name).decode())))
    return "\n".join(parts)


async def personal_data(db) -> set[str]:
    found = set()
    for c in await db.fetchall("SELECT first_name, last_name, phone, email FROM candidates"):
        found |= {f"{c['first_name']} {c['last_name']}", c["phone"], c["email"]}
    for a in await db.fetchall("SELECT question, value FROM interview_answers"):
        if a["question"] in FAMILY and a["value"] and len(a["value"]) > 8:
            found.add(a["value"].strip('"'))
    for f in await db.fetchall("SELECT note FROM follow_ups WHERE note IS NOT NULL"):
        found.add(f["note"])
    return {value for value in found if value}


@pytest.mark.parametrize("seed", [1, 2])
async def test_no_meeting_summary_carries_personal_data(tmp_path, seed):
    path = tmp_path / "bot.sqlite3"
    await generate(path, Sizes(candidates=80, sites=12, visits=40, reminders=20, contacts=4), seed=seed)
    async with Sandbox(path, start=MONDAY) as sb:
        private = await personal_data(sb.db)
        assert len(private) > 100
        # the team's own table names them: the check below sees personal data where there is some
        exported = readable(await sb.say("cls", "/export"))
        assert sum(value in exported for value in private) > 100
        for kind in MEETING_KINDS:
            word = {"cpam_ars": "cpam"}.get(kind, kind)
            out = await sb.say("cls", f"/synthese {word} du 1/01/2020 au 31/12/2027")
            assert [s.kind for s in out] == ["photo", "document", "message"], out[-1].text
            shown = readable(out)
            assert "Dossiers" in shown or MEETING_KINDS[kind].audience == "elus"
            leaked = sorted(value for value in private if value in shown)
            assert leaked == [], f"{kind}: {leaked[:5]}"
