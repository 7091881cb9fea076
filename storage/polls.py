"""Availability polls: slots, invited sites, answers, the messages to edit, and the confirmed visit day."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from storage import candidates, outbox, reminders, sites, visits, weblinks
from storage.db import Database


@dataclass(frozen=True)
class Poll:
    id: int
    candidate_id: int
    state: str
    deadline: str
    created_by: int | None
    created_at: str
    opened_at: str | None
    closed_at: str | None
    chat_id: int
    draft_message_id: int | None
    tally_message_id: int | None
    tally_due_at: str | None
    tally_edited_at: str | None
    chosen_slot_id: int | None
    cloned_from: int | None
    asked: str | None = None  # what the sites were told, once it is sent


@dataclass(frozen=True)
class SlotRow:
    id: int
    day: date
    part: str


@dataclass(frozen=True)
class PollSite:
    site_id: int
    invited: bool
    comment: str | None
    cancelled: bool


@dataclass(frozen=True)
class AnswerRow:
    answer: str
    by_user: int
    by_team: bool
    at: str
    channel: str = "telegram"  # telegram, web (the site's link) or equipe (entered by the team)
    by_name: str | None = None  # typed on the web page by the person answering


async def create(db: Database, *, candidate_id: int, deadline: str, chat_id: int, by: int, at: str,
                 slots: list[tuple[date, str]], site_ids: list[int], cloned_from: int | None = None) -> int:
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO polls (candidate_id, deadline, chat_id, created_by, created_at, cloned_from) VALUES (?, ?, ?, ?, ?, ?)",
            (candidate_id, deadline, chat_id, by, at, cloned_from))
        poll_id = cur.lastrowid
        for day, part in slots:
            await conn.execute("INSERT INTO poll_slots (poll_id, day, part) VALUES (?, ?, ?)", (poll_id, day.isoformat(), part))
        for site_id in site_ids:
            await conn.execute("INSERT INTO poll_sites (poll_id, site_id) VALUES (?, ?)", (poll_id, site_id))
    return poll_id


async def get(db: Database, poll_id: int) -> Poll | None:
    row = await db.fetchone("SELECT * FROM polls WHERE id = ?", (poll_id,))
    return Poll(**dict(row)) if row else None


async def current_for(db: Database, candidate_id: int) -> Poll | None:
    """The candidate's poll in progress (draft, open or closed awaiting a choice), if any."""
    row = await db.fetchone("SELECT * FROM polls WHERE candidate_id = ? AND state IN ('draft', 'open', 'closed') "
                            "ORDER BY id DESC LIMIT 1", (candidate_id,))
    return Poll(**dict(row)) if row else None


async def latest_for(db: Database, candidate_id: int) -> Poll | None:
    """The candidate's last poll that was sent (open, closed or planned)."""
    row = await db.fetchone("SELECT * FROM polls WHERE candidate_id = ? AND state IN ('open', 'closed', 'planned') "
                            "ORDER BY id DESC LIMIT 1", (candidate_id,))
    return Poll(**dict(row)) if row else None


_SLOTS = ("SELECT id, day, part FROM poll_slots WHERE poll_id = ? AND removed = 0 "
          "ORDER BY day, CASE part WHEN 'journee' THEN 0 WHEN 'matin' THEN 1 ELSE 2 END")


def _slots(rows) -> list[SlotRow]:
    return [SlotRow(r["id"], date.fromisoformat(r["day"]), r["part"]) for r in rows]


async def slots(db: Database, poll_id: int) -> list[SlotRow]:
    return _slots(await db.fetchall(_SLOTS, (poll_id,)))


async def add_slots(db: Database, poll_id: int, new: list[tuple[date, str]]) -> int:
    existing = {(s.day, s.part) for s in await slots(db, poll_id)}
    added = 0
    async with db.transaction() as conn:
        for day, part in new:
            if (day, part) not in existing:
                await conn.execute("INSERT INTO poll_slots (poll_id, day, part) VALUES (?, ?, ?)",
                                   (poll_id, day.isoformat(), part))
                existing.add((day, part))
                added += 1
    return added


async def remove_slot(db: Database, poll_id: int, slot_id: int) -> bool:
    async with db.transaction() as conn:
        cur = await conn.execute("UPDATE poll_slots SET removed = 1 WHERE id = ? AND poll_id = ? AND removed = 0",
                                 (slot_id, poll_id))
        return cur.rowcount > 0


_SITES = "SELECT site_id, invited, comment, cancelled FROM poll_sites WHERE poll_id = ?"


def _poll_site(r) -> PollSite:
    return PollSite(r["site_id"], bool(r["invited"]), r["comment"], bool(r["cancelled"]))


async def poll_sites(db: Database, poll_id: int) -> list[PollSite]:
    return [_poll_site(r) for r in await db.fetchall(f"{_SITES} ORDER BY site_id", (poll_id,))]


async def set_invited(db: Database, poll_id: int, site_id: int, invited: bool) -> None:
    await db.execute("UPDATE poll_sites SET invited = ? WHERE poll_id = ? AND site_id = ?", (int(invited), poll_id, site_id))


async def set_comment(db: Database, poll_id: int, site_id: int, text: str) -> None:
    await db.execute("UPDATE poll_sites SET comment = ? WHERE poll_id = ? AND site_id = ?", (text, poll_id, site_id))


async def close(db: Database, poll: Poll, *, at: str, links_expire_at: str, relances: list[str],
                calls: list[tuple[str, str]], how: str) -> int | None:
    """Close an open poll, in one transaction: its relances (reminders and e-mails) cancelled, its links expiring at
    ``links_expire_at``, a reminder "appeler" due now for each site that did not answer (``calls``: its key and
    text), and the team's notice queued (a reminder due now, which the engine sends and retries; ``how``: who
    closed it, or empty at the deadline). The notice's id, or None if the poll was not open (closed at once by its
    deadline and by the team)."""
    notice = f"sondage_clos:{poll.id}:{at}:{secrets.token_hex(4)}"  # reopened and closed again within a second too
    statements = [
        ("UPDATE polls SET state = 'closed', closed_at = ? WHERE id = ? AND state = 'open'", (at, poll.id)),
        reminders.cancel_pending_statement(relances, at=at),
        outbox.cancel_statement(kind="relance", poll_id=poll.id),
        weblinks.expire_with_poll_statement(poll.id, links_expire_at),
        reminders.create_statement(kind="sondage_clos", key=notice, once=True, candidate_id=poll.candidate_id,
                                   poll_id=poll.id, chat_id=poll.chat_id, text=how, due_at=at, exact=True, at=at),
        *(reminders.create_statement(kind="libre", key=key, once=True, candidate_id=poll.candidate_id,
                                     chat_id=poll.chat_id, text=text, due_at=at, exact=True, at=at)
          for key, text in calls),
    ]
    if not await db.write(statements, unless_first_changes_nothing=True):
        return None
    return (await reminders.by_key(db, notice)).id


async def open_poll(db: Database, poll: Poll, *, at: str, asked: str, by: int, detail: str,
                    tell: list[tuple[str, tuple]]) -> bool:
    """A draft poll sent, in one transaction: open, with what the sites are told of the candidate (``asked``),
    the candidate's history, and ``tell``, the statements that queue its messages and e-mails. False if it was
    no longer a draft (sent twice at once)."""
    return await db.write([
        ("UPDATE polls SET state = 'open', opened_at = ?, asked = ? WHERE id = ? AND state = 'draft'", (at, asked, poll.id)),
        candidates.touch_statement(poll.candidate_id, at=at),
        candidates.event_statement(poll.candidate_id, by=by, at=at, kind="sondage", detail=detail),
        *tell,
    ], unless_first_changes_nothing=True)


async def reopen(db: Database, poll_id: int, *, deadline: str) -> bool:
    """A closed poll open again until ``deadline``, with its links working again until it closes (revoked ones
    stay revoked); False if it was no longer closed."""
    return await db.write([
        ("UPDATE polls SET state = 'open', deadline = ? WHERE id = ? AND state = 'closed'", (deadline, poll_id)),
        weblinks.expire_with_poll_statement(poll_id, None),
    ], unless_first_changes_nothing=True)


async def cancel_site(db: Database, poll: Poll, site_id: int, *, by: int, at: str, detail: str,
                      alert_text: str) -> int | None:
    """A site can no longer host its visit: the site marked, its stop cancelled, the candidate's history written
    and the team's alert queued (a reminder due now, once per poll and site, which the engine sends and retries),
    all in one transaction, so that a crash or a refused message can never leave it noted but untold. The alert's
    id, or None if it was already noted."""
    statements = [
        ("UPDATE poll_sites SET cancelled = 1 WHERE poll_id = ? AND site_id = ? AND cancelled = 0", (poll.id, site_id)),
        ("UPDATE visit_stops SET cancelled = 1 WHERE candidate_id = ? AND site_id = ?", (poll.candidate_id, site_id)),
        candidates.touch_statement(poll.candidate_id, at=at),
        candidates.event_statement(poll.candidate_id, by=by, at=at, kind="visites", detail=detail),
        reminders.create_statement(kind="visite_annulee", key=cancelled_alert_key(poll.id, site_id), once=True,
                                   candidate_id=poll.candidate_id, poll_id=poll.id, site_id=site_id, chat_id=poll.chat_id, text=alert_text, due_at=at,
                                   exact=True, at=at, created_by=by or None),
    ]
    if not await db.write(statements, unless_first_changes_nothing=True):
        return None
    alert = await reminders.by_key(db, cancelled_alert_key(poll.id, site_id))
    return alert.id


def cancelled_alert_key(poll_id: int, site_id: int) -> str:
    return f"visite_annulee:{poll_id}:{site_id}"


async def update(db: Database, poll_id: int, **changes) -> None:
    allowed = {"state", "deadline", "opened_at", "closed_at", "draft_message_id", "tally_message_id", "tally_due_at",
               "tally_edited_at", "chosen_slot_id", "asked"}
    assert set(changes) <= allowed, changes
    await db.execute(f"UPDATE polls SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                     (*changes.values(), poll_id))


async def answer(db: Database, poll_id: int, slot_id: int, site_id: int, value: str, *, by: int, by_team: bool,
                 at: str, cancel_reminders: list[str] = ()) -> None:
    """The latest answer of a site for a slot (several contacts of one site count as that site); the reminders not
    sent yet whose key starts with one of ``cancel_reminders`` are cancelled in the same write."""
    channel = "equipe" if by_team else "telegram"
    statements = [(
        "INSERT INTO poll_answers (poll_id, slot_id, site_id, answer, by_user, by_team, at, channel, by_name) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (poll_id, slot_id, site_id) DO UPDATE SET "
        "answer = excluded.answer, by_user = excluded.by_user, by_team = excluded.by_team, at = excluded.at, "
        "channel = excluded.channel, by_name = NULL",
        (poll_id, slot_id, site_id, value, by, int(by_team), at, channel))]
    if cancel_reminders:
        statements.append(reminders.cancel_pending_statement(list(cancel_reminders), at=at))
        statements.append(outbox.cancel_statement(kind="relance", poll_id=poll_id, site_id=site_id))
    await db.write(statements)


async def answer_by_link(db: Database, poll_id: int, site_id: int, values: dict[int, str], *, comment: str | None,
                         name: str, link_id: int, form_hash: str, at: str, tally_due_at: str,
                         cancel_reminders: list[str] = ()) -> bool:
    """A site's answers sent from its web link, all slots at once, with its comment: kept only if the form they
    came with was not used yet (False otherwise: a form sent twice changes nothing the second time). One
    transaction, in one trip to the writer. The group's tally is due by ``tally_due_at`` at the latest (unless it
    already was): the page edits it sooner, from memory, and this is what a restart finds if the bot stopped
    before."""
    statements = [weblinks.use_form_statement(link_id, form_hash, at)]
    statements += [(
        "INSERT INTO poll_answers (poll_id, slot_id, site_id, answer, by_user, by_team, at, channel, by_name) "
        "VALUES (?, ?, ?, ?, 0, 0, ?, 'web', ?) ON CONFLICT (poll_id, slot_id, site_id) DO UPDATE SET "
        "answer = excluded.answer, by_user = 0, by_team = 0, at = excluded.at, channel = 'web', "
        "by_name = excluded.by_name", (poll_id, slot_id, site_id, value, at, name)) for slot_id, value in values.items()]
    if comment is not None:
        statements.append(("UPDATE poll_sites SET comment = ? WHERE poll_id = ? AND site_id = ?",
                           (comment or None, poll_id, site_id)))
    statements.append(("UPDATE polls SET tally_due_at = ? WHERE id = ? AND tally_due_at IS NULL", (tally_due_at, poll_id)))
    if cancel_reminders:
        statements.append(reminders.cancel_pending_statement(list(cancel_reminders), at=at))
        statements.append(outbox.cancel_statement(kind="relance", poll_id=poll_id, site_id=site_id))
    return await db.write(statements, unless_first_changes_nothing=True)


_ANSWERS = ("SELECT a.slot_id, a.site_id, a.answer, a.by_user, a.by_team, a.at, a.channel, a.by_name FROM poll_answers a "
            "JOIN poll_slots s ON s.id = a.slot_id AND s.removed = 0 WHERE a.poll_id = ?")


def _answer(r) -> AnswerRow:
    return AnswerRow(r["answer"], r["by_user"], bool(r["by_team"]), r["at"], r["channel"], r["by_name"])


async def answers(db: Database, poll_id: int) -> dict[tuple[int, int], AnswerRow]:
    """(slot, site) -> answer, for the slots still in the poll."""
    return {(r["slot_id"], r["site_id"]): _answer(r) for r in await db.fetchall(_ANSWERS, (poll_id,))}


async def site_answers(db: Database, poll_id: int, site_id: int) -> dict[int, AnswerRow]:
    """slot -> one site's answer, for the slots still in the poll (a quick read: the web page's confirmation)."""
    return await db.read_quick(lambda conn: _site_answers(conn, poll_id, site_id))


def _site_answers(conn, poll_id: int, site_id: int) -> dict[int, AnswerRow]:
    return {r["slot_id"]: _answer(r) for r in conn.execute(f"{_ANSWERS} AND a.site_id = ?", (poll_id, site_id))}


async def save_message(db: Database, poll_id: int, site_id: int, chat_id: int, message_id: int) -> None:
    await db.execute(*save_message_statement(poll_id, site_id, chat_id, message_id))


def save_message_statement(poll_id: int, site_id: int, chat_id: int, message_id: int) -> tuple[str, tuple]:
    """The statement that keeps a site contact's poll message, for its edits (written with the message's sending)."""
    return ("INSERT OR REPLACE INTO poll_messages (poll_id, site_id, chat_id, message_id) VALUES (?, ?, ?, ?)",
            (poll_id, site_id, chat_id, message_id))


def tally_message_statement(poll_id: int, message_id: int, *, at: str) -> tuple[str, tuple]:
    """The statement that keeps the group's tally message, which the answers edit (written with its sending)."""
    return ("UPDATE polls SET tally_message_id = ?, tally_edited_at = ?, tally_due_at = NULL WHERE id = ?",
            (message_id, at, poll_id))


async def messages(db: Database, poll_id: int, site_id: int) -> list[tuple[int, int]]:
    rows = await db.fetchall("SELECT chat_id, message_id FROM poll_messages WHERE poll_id = ? AND site_id = ?",
                             (poll_id, site_id))
    return [(r["chat_id"], r["message_id"]) for r in rows]


async def open_ones(db: Database) -> list[Poll]:
    return [Poll(**dict(r)) for r in await db.fetchall("SELECT * FROM polls WHERE state = 'open'")]


async def open_past_deadline(db: Database, now: str) -> list[Poll]:
    rows = await db.fetchall("SELECT * FROM polls WHERE state = 'open' AND deadline <= ?", (now,))
    return [Poll(**dict(r)) for r in rows]


async def tallies_due(db: Database, now: str) -> list[Poll]:
    rows = await db.fetchall("SELECT * FROM polls WHERE tally_due_at IS NOT NULL AND tally_due_at <= ?", (now,))
    return [Poll(**dict(r)) for r in rows]


async def next_due(db: Database) -> str | None:
    row = await db.fetchone(
        "SELECT MIN(t) FROM (SELECT deadline AS t FROM polls WHERE state = 'open' "
        "UNION ALL SELECT tally_due_at FROM polls WHERE tally_due_at IS NOT NULL)")
    return row[0] if row else None


async def plan_day(db: Database, poll: Poll, slot_id: int, *, stops: list[tuple[int, str, str]], day: str,
                   site_names: list[str], by: int, at: str, detail: str, status: str | None,
                   tell: list[tuple[str, tuple]]) -> bool:
    """The team confirms a closed poll's slot, in one transaction: the poll planned, each site's visit window
    (``stops``: site, start, end), the candidate's visit day, its history (and status), and ``tell``, the
    statements that queue what tells of it (the team's plan, each site's confirmation, their e-mails). False if
    the poll was no longer closed (two members confirming at once)."""
    statements = [
        ("UPDATE polls SET state = 'planned', chosen_slot_id = ? WHERE id = ? AND state = 'closed'", (slot_id, poll.id)),
        ("DELETE FROM visit_stops WHERE candidate_id = ?", (poll.candidate_id,)),
        *(("INSERT INTO visit_stops (candidate_id, site_id, starts_at, ends_at) VALUES (?, ?, ?, ?)",
           (poll.candidate_id, site_id, starts, ends)) for site_id, starts, ends in stops),
        visits.plan_visit_statement(poll.candidate_id, day=day, sites=site_names, by=by, at=at),
        candidates.touch_statement(poll.candidate_id, at=at, status=status),
        candidates.event_statement(poll.candidate_id, by=by, at=at, kind="visites", detail=detail),
        *tell,
    ]
    return await db.write(statements, unless_first_changes_nothing=True)


async def stops(db: Database, candidate_id: int) -> list[tuple[int, str, str, bool]]:
    rows = await db.fetchall("SELECT site_id, starts_at, ends_at, cancelled FROM visit_stops WHERE candidate_id = ? "
                             "ORDER BY starts_at", (candidate_id,))
    return [(r["site_id"], r["starts_at"], r["ends_at"], bool(r["cancelled"])) for r in rows]


@dataclass(frozen=True)
class LinkPage:
    """What a personal link's page needs, read at once: the link and, for a poll's link, the poll as its site sees
    it (the site, the slots, the site's own answers and comment, its time on the confirmed day)."""
    link: weblinks.Link
    form_used: bool = False  # the form key sent with a POST was already used
    poll: Poll | None = None
    site: sites.Site | None = None
    slots: tuple[SlotRow, ...] = ()
    answers: dict[int, AnswerRow] | None = None  # slot -> this site's answer
    poll_site: PollSite | None = None
    stop: tuple[str, str] | None = None  # (starts_at, ends_at) of this site's visit, once the day is confirmed


async def link_page(db: Database, token_hash: str, *, form_hash: str | None = None) -> LinkPage | None:
    """The page of the link whose token has ``token_hash`` (None if no link has it), read at once (a quick read:
    every query follows an index)."""
    def read(conn) -> LinkPage | None:
        row = conn.execute(weblinks.BY_TOKEN, (token_hash,)).fetchone()
        if row is None:
            return None
        link = weblinks.Link(**dict(row))
        used = form_hash is not None and conn.execute(weblinks.FORM_USED, (form_hash, link.id)).fetchone() is not None
        poll_row = conn.execute("SELECT * FROM polls WHERE id = ?", (link.poll_id,)).fetchone() if link.poll_id else None
        site_row = conn.execute(f"{sites.SELECT} WHERE s.id = ?", (link.site_id,)).fetchone() if link.site_id else None
        if link.purpose != "sondage" or poll_row is None or site_row is None:
            return LinkPage(link, used)
        poll = Poll(**dict(poll_row))
        ps = conn.execute(f"{_SITES} AND site_id = ?", (poll.id, link.site_id)).fetchone()
        stop = None
        if poll.state == "planned":
            stop = conn.execute("SELECT starts_at, ends_at FROM visit_stops WHERE candidate_id = ? AND site_id = ? "
                                "AND cancelled = 0", (poll.candidate_id, link.site_id)).fetchone()
        return LinkPage(
            link, used, poll, sites.site_of(site_row), tuple(_slots(conn.execute(_SLOTS, (poll.id,)).fetchall())),
            _site_answers(conn, poll.id, link.site_id),
            _poll_site(ps) if ps else None, (stop["starts_at"], stop["ends_at"]) if stop else None)
    return await db.read_quick(read)
