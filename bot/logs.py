"""Structured logs: one line per event, ``key=value`` pairs after the message, for the journal or a file.

What goes in: ids (update, chat, user, candidate, reminder), names of commands and actions, durations. What never
goes in: what people typed, names, phone numbers — the handlers pass ids only, and the message text of an update
is not logged at all. A traceback stays on its one line, its line breaks written as ``\\n``.
"""

from __future__ import annotations

import logging
import sys

# the attributes every LogRecord has: anything else was passed with ``extra=`` and is printed as key=value
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def _value(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return f'"{text}"' if not text or any(c in text for c in ' ="') else text


class KeyValueFormatter(logging.Formatter):
    """``2026-11-23T09:00:00 INFO handlers.common update handled update_id=12 chat=-100… kind=commande ms=4.1``"""

    def format(self, record: logging.LogRecord) -> str:
        fields = [self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), record.levelname, record.name,
                  _value(record.getMessage())]
        fields += [f"{key}={_value(value)}" for key, value in record.__dict__.items()
                   if key not in _STANDARD and value is not None]
        if record.exc_info:
            fields.append(f"error={_value(self.formatException(record.exc_info))}")
        return " ".join(fields)


# Libraries whose debug lines carry what no log may hold: python-telegram-bot and httpx write the request URLs (the
# bot's token is in them) and every message's text, the SQLite layers every statement's parameters (names,
# addresses, comments), uvicorn and Starlette the paths (a personal link's token), aiosmtplib the e-mails. They log
# at WARNING whatever LOG_LEVEL says: DEBUG is for the bot's own events, which carry ids only.
QUIET_LIBRARIES = ("telegram", "httpx", "httpcore", "aiosqlite", "apscheduler", "asyncio", "uvicorn", "starlette",
                   "aiosmtplib", "aiosmtpd", "mail.log", "matplotlib", "PIL", "hpack", "tzlocal", "dateparser")


class Redact(logging.Filter):
    """Replaces the secrets it was given (the bot's token, the webhook's secret…) wherever a line would show them:
    a second guard, should a library log one at a level that passes."""

    def __init__(self, secrets: tuple[str, ...]):
        super().__init__()
        self.secrets = tuple(s for s in secrets if s and len(s) >= 8)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        cleaned = message
        for secret in self.secrets:
            cleaned = cleaned.replace(secret, "«secret»")
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def setup_logging(level: str, stream=None, *, secrets: tuple[str, ...] = ()) -> None:
    """Every log line through the key=value formatter, at the configured level for the bot's own events, and with
    ``secrets`` never written."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
