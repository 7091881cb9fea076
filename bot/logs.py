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


def setup_logging(level: str, stream=None) -> None:
    """Every log line through the key=value formatter, at the configured level."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL contains the bot's token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # the scheduler's "job executed" lines would drown the bot's own events
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
