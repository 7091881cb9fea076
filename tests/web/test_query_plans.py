"""Answering a poll reads no table whole: every statement run while sites answer (by their web link and on
Telegram) and the page is shown again is found through an index. A poll's slots were read by scanning every slot of
every poll, unnoticed until fifty sites answered at once (bench/liens.py)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx

from tests.handlers.test_polls import answer
from tests.web.conftest import link_in
from tests.web.test_poll_page import MACORNAY, form_of, prepared, slot_fields

# what may be read whole: the team's own lists, a few rows each
SMALL = {"team_members", "epci", "communes", "kv"}
SCAN = re.compile(r"\bSCAN (?!CONSTANT ROW)(\w+)")


async def test_answering_a_poll_reads_every_table_through_an_index(web, mailbox):
    await prepared(web)
    link = link_in(mailbox.to(MACORNAY)[0])
    statements: list[str] = []
    await web.db.trace(statements.append)
    try:
        async with httpx.AsyncClient() as client:
            page = html.unescape((await client.get(link)).text)
            first, *_ = slot_fields(page)
            sent = await client.post(link, data={**form_of(page), first: "oui", "nom": "Sophie Lambert"})
            assert sent.status_code == 200
            await web.advance(timedelta(seconds=5))  # the Telegram edits that follow
            await answer(web, "alice", "5/01", "o")
            await client.get(link)
    finally:
        await web.db.trace(None)
    reads = {s for s in statements if s.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT"))}
    assert any("poll_slots" in s for s in reads) and any("web_tokens" in s for s in reads)
    scans = {}
    for sql in reads:
        plan = " | ".join(row[3] for row in await web.db.fetchall(f"EXPLAIN QUERY PLAN {sql}"))
        whole = {t for t in SCAN.findall(plan) if t not in SMALL}
        if whole:
            scans[sql] = plan
    assert not scans, scans
