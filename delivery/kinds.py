"""What a protocol step declares to the delivery engine: the kinds of message it queues, and its timed work.

The engine knows no step. A step's module returns these as plain data (in its ``provides()``); the composition
root (``bot.app``) collects them into one ``Deliveries``, which the engine reads from ``Services``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telegram import InlineKeyboardMarkup
    from telegram.ext import Application

    from delivery.services import Services
    from storage.reminders import Reminder

    # text and buttons, and optionally files sent before the text: (photo|document, file name, bytes)
    Rendered = tuple[str, InlineKeyboardMarkup | None] | tuple[str, InlineKeyboardMarkup | None, list]


@dataclass(frozen=True)
class MessageKind:
    """One kind of message the engine queues and sends (a row of ``reminders`` of that kind)."""

    name: str
    # how it reads when it goes out: (text, buttons[, files]), or None when it no longer applies (then dropped)
    render: Callable[[Services, Reminder, datetime], Awaitable[Rendered | None]]
    # what to keep once Telegram took it (its message id, for later edits): statements written with its "sent" state
    sent: Callable[[Reminder, int, str], list[tuple[str, tuple]]] | None = None
    # whom to tell when Telegram refuses it for good (by default the admins, in private)
    refused: Callable[[Application, Reminder, str], Awaitable[None]] | None = None
    # what its « ✅ » button does, (update, context, reminder), when more than closing it; and the button's label
    done: Callable[[Any, Any, Reminder], Awaitable[None]] | None = None
    done_label: str | None = None


@dataclass(frozen=True)
class Hook:
    """Other timed work the engine wakes up for (a poll's deadline, an e-mail to send): its next due time, and
    what to run when it has come."""

    next_due: Callable[[Services], Awaitable[str | None]]
    run: Callable[[Application, datetime], Awaitable[None]]


@dataclass(frozen=True)
class Deliveries:
    """Every step's declarations, as the engine reads them."""

    kinds: Mapping[str, MessageKind] = field(default_factory=dict)
    hooks: tuple[Hook, ...] = ()
    # what steps make good at each start, for work a stop may have left half done (a poll's relances)
    at_start: tuple[Callable[[Application], Awaitable[None]], ...] = ()
    # more sections for the weekly digest (the weekly pulse of step F)
    digest_sections: tuple[Callable[[Services, datetime], Awaitable[list[str]]], ...] = ()

    @classmethod
    def of(cls, kinds: Iterable[MessageKind], hooks: Iterable[Hook] = (), at_start: Iterable = (),
           digest_sections: Iterable = ()) -> Deliveries:
        """Collected from every step; a kind declared twice is a wiring mistake, refused at start."""
        by_name: dict[str, MessageKind] = {}
        for kind in kinds:
            if kind.name in by_name:
                raise ValueError(f"message kind {kind.name!r} declared twice")
            by_name[kind.name] = kind
        return cls(by_name, tuple(hooks), tuple(at_start), tuple(digest_sections))
