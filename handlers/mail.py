"""E-mails to sites and élus (the outbox, sent by aiosmtplib), and their personal links.

Queued e-mails leave when due, through the reminder engine's hooks: a temporary failure (a 4xx, the server
unreachable) is tried again later, a permanent one (the address refused) is reported to the team with the site's
name. Without SMTP, the team gets each e-mail's text and link in the group, to send it from its own mailbox.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import aiosmtplib
from telegram.ext import Application

from delivery import engine
from delivery.kinds import Hook
from domain.emails import LINK, Draft, message, team_sender
from domain.weblinks import link_url, new_token
from handlers.common import esc
from handlers.wiring import Provides
from storage import outbox, polls, reminders, sites, weblinks

log = logging.getLogger(__name__)
BACKOFF_MAX = timedelta(hours=2)
MAX_ATTEMPTS = 12  # about a day of retries: then the team is told, and sends it itself
SMTP_TIMEOUT = 30


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def mail_enabled(app: Application) -> bool:
    return sends_mail(engine.services_of(app).settings)


def sends_mail(settings) -> bool:
    """Whether the bot sends e-mails itself (an SMTP server, and the address of its pages for the links)."""
    return bool(settings.smtp_host and settings.public_url)


async def mint_link(app: Application, link_id: int) -> str:
    """A new token for a link (only its hash is kept), as the address to give."""
    return await mint_link_for(engine.services_of(app), link_id)


async def mint_link_for(services, link_id: int) -> str:
    token, hashed = new_token()
    await weblinks.add_token(services.db, link_id, hashed, at=services.clock.utc_iso())
    return link_url(services.settings.public_url, token)


async def poll_link(app: Application, poll: polls.Poll, site_id: int) -> weblinks.Link:
    services = engine.services_of(app)
    return await weblinks.ensure(services.db, purpose="sondage", poll_id=poll.id, site_id=site_id,
                                 at=services.clock.utc_iso())


async def queue(app: Application, *, key: str, kind: str, to: str, draft: Draft, due: datetime | None = None,
                link_id: int | None = None, poll_id: int | None = None, site_id: int | None = None,
                chat_id: int | None = None) -> bool:
    """Put an e-mail in the outbox (once per key) and wake the engine for it."""
    services = engine.services_of(app)
    queued = await outbox.enqueue(services.db, key=key, kind=kind, to_addr=to, subject=draft.subject,
                                  body_text=draft.text, body_html=draft.html,
                                  attachments=draft.encoded_attachments(), link_id=link_id, poll_id=poll_id,
                                  site_id=site_id, chat_id=chat_id or services.settings.team_chat_id,
                                  due_at=_utc(due or services.clock.now()), at=services.clock.utc_iso())
    return queued


def queue_statement(app: Application, *, key: str, kind: str, to: str, draft: Draft, link_id: int | None = None,
                    poll_id: int | None = None, site_id: int | None = None,
                    chat_id: int | None = None) -> tuple[str, tuple]:
    """The statement that puts an e-mail due now in the outbox (once per key), for the transaction of what it
    tells of; the engine sends it once woken (``engine.reschedule``)."""
    services = engine.services_of(app)
    now = services.clock.utc_iso()
    return outbox.enqueue_statement(key=key, kind=kind, to_addr=to, subject=draft.subject, body_text=draft.text,
                                    body_html=draft.html, attachments=draft.encoded_attachments(), link_id=link_id,
                                    poll_id=poll_id, site_id=site_id,
                                    chat_id=chat_id or services.settings.team_chat_id, due_at=now, at=now)


def ready_to_paste(name: str, address: str | None, draft: Draft, url: str) -> str:
    """An e-mail as the team sends it from its own mailbox (without SMTP): whom to, subject, text with the link."""
    return (f"<b>{esc(name)}</b> — {esc(address or 'pas de contact')}\n<b>Objet :</b> {esc(draft.subject)}\n"
            f"<pre>{esc(draft.text.replace(LINK, url))}</pre>")


# --- sending ------------------------------------------------------------------------------------------------

async def _due(services) -> str | None:
    return await outbox.next_due(services.db)


async def send_due(app: Application, now: datetime) -> None:
    """Send every e-mail whose time has come (a hook of the reminder engine)."""
    services = engine.services_of(app)
    for mail in await outbox.due(services.db, _utc(now)):
        if not await _still_wanted(services, mail):
            await outbox.cancel_one(services.db, mail.id)
            continue
        if not await outbox.claim(services.db, mail.id, services.clock.utc_iso()):
            continue
        await _send_one(app, mail)


async def _still_wanted(services, mail: outbox.Mail) -> bool:
    """A relance goes only to a site that has not answered, while its poll is open."""
    if mail.kind != "relance":
        return True
    poll = await polls.get(services.db, mail.poll_id)
    if poll is None or poll.state != "open" or not mail.key.endswith(":" + poll.deadline[:16]):
        return False
    return not any(site == mail.site_id for (_, site) in await polls.answers(services.db, poll.id))


async def _send_one(app: Application, mail: outbox.Mail) -> None:
    services = engine.services_of(app)
    settings = services.settings
    try:
        link = await mint_link(app, mail.link_id) if mail.link_id else None
        email = message(sender=team_sender("CPTS du Grand Lons · CLS du Pays Lédonien", settings.smtp_from),
                        to=mail.to_addr, subject=mail.subject, text=mail.body_text, html=mail.body_html, link=link,
                        key=mail.key, queued_at=mail.created_at, attachments=mail.files())
    except Exception as err:  # noqa: BLE001 - an e-mail that cannot be written (a line break in its subject…) will
        # never go: reported like a refused address, never left « sending » to be tried at every start
        log.warning("e-mail could not be built", extra={"mail_id": mail.id, "error": type(err).__name__})
        await _given_up(services, mail, "l'e-mail n'a pas pu être composé", refused=False, unwritable=True)
        return
    try:
        await aiosmtplib.send(email, hostname=settings.smtp_host, port=settings.smtp_port,
                              username=settings.smtp_user, password=settings.smtp_password,
                              use_tls=settings.smtp_security == "tls",
                              start_tls=True if settings.smtp_security == "starttls" else False,
                              timeout=SMTP_TIMEOUT)
    except aiosmtplib.SMTPRecipientsRefused as err:  # the server's own words, not the exception's repr
        await _refused(app, mail, "; ".join(f"{r.code} {r.message}" for r in err.recipients))
    except aiosmtplib.SMTPSenderRefused as err:
        await _refused(app, mail, f"{err.code} {err.message}")
    except aiosmtplib.SMTPResponseException as err:
        if 500 <= err.code < 600:
            await _refused(app, mail, f"{err.code} {err.message}")
        else:
            await _later(services, mail, f"{err.code} {err.message}")
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as err:  # unreachable, TLS, timeout: try again
        await _later(services, mail, str(err) or type(err).__name__)
    else:
        await outbox.mark_sent(services.db, mail.id, services.clock.utc_iso())
        log.info("e-mail sent", extra={"mail_id": mail.id, "kind": mail.kind})


async def _later(services, mail: outbox.Mail, error: str) -> None:
    if mail.attempts + 1 >= MAX_ATTEMPTS:
        await _given_up(services, mail, error, refused=False)
        return
    backoff = min(timedelta(minutes=2 ** min(mail.attempts + 1, 10)), BACKOFF_MAX)
    await outbox.retry_later(services.db, mail.id, due_at=_utc(services.clock.now() + backoff), error=error)
    log.warning("e-mail to retry", extra={"mail_id": mail.id, "error": error})


async def _refused(app: Application, mail: outbox.Mail, error: str) -> None:
    """A permanent refusal (a bad address): kept as failed, and the team told whom it did not reach."""
    await _given_up(engine.services_of(app), mail, error, refused=True)


async def _given_up(services, mail: outbox.Mail, error: str, *, refused: bool, unwritable: bool = False) -> None:
    """An e-mail that will not go: kept as failed, with the team's notice queued in the same write (sent and
    retried by the reminder engine, right after this dispatch's e-mails)."""
    site = await sites.get(services.db, mail.site_id) if mail.site_id else None
    poll = await polls.get(services.db, mail.poll_id) if mail.poll_id else None
    whom = f"« {esc(site.name)} »" if site else esc(mail.to_addr)
    renew = f" Un nouveau lien à lui transmettre : /lien {poll.candidate_id}." if poll and mail.link_id else ""
    answer = f"réponse du serveur : {esc(error[:200])}"
    if unwritable:
        text = (f"📧❗ L'e-mail « {esc(' '.join(mail.subject.split()))} » pour {whom} ({esc(mail.to_addr)}) n'a pas pu "
                f"être composé : un de ses champs contient un retour à la ligne ou un caractère interdit. Il ne "
                f"partira pas ; prévenez le lieu par téléphone ou depuis votre messagerie.{renew}")
    elif refused:
        text = (f"📧❗ L'e-mail « {esc(mail.subject)} » n'a pas pu être remis à {whom} ({esc(mail.to_addr)}) : "
                f"l'adresse est refusée ({answer}). Vérifiez l'adresse sur la fiche du lieu, ou prévenez-le par "
                f"téléphone.{renew}")
    else:
        text = (f"📧❗ L'e-mail « {esc(mail.subject)} » pour {whom} ({esc(mail.to_addr)}) n'a pas pu partir : le "
                f"serveur d'envoi l'a refusé {MAX_ATTEMPTS} fois en un jour ({answer}). Prévenez le lieu par téléphone "
                f"ou depuis votre messagerie, et l'administrateur du bot pour le serveur d'envoi.{renew}")
    now = services.clock.utc_iso()
    notice = reminders.create_statement(kind="avis", chat_id=mail.chat_id or services.settings.team_chat_id,
                                        text=text, due_at=now, exact=True, at=now)
    await outbox.mark_failed(services.db, mail.id, error=error, notice=notice)
    log.warning("e-mail given up", extra={"mail_id": mail.id, "refused": refused})


def provides() -> Provides:
    """E-mails: the outbox's sending, as timed work of the engine."""
    return Provides(hooks=(Hook(next_due=_due, run=send_due),))
