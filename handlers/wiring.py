"""What a step's module provides, as plain data, and all of it collected.

Each step's module has a ``provides()`` that returns one ``Provides``; nothing registers itself at import. The
composition root (``bot.app``) collects them into one ``Wiring``: the engine reads its ``deliveries``, the
handlers read the rest through ``context.wiring``. The Telegram handlers themselves (commands, buttons by prefix)
are in the root's one table, ``bot.app.register_handlers``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from telegram import Update

from delivery.kinds import Deliveries, Hook, MessageKind
from handlers.context import BotContext
from handlers.dialog import Flow, Wait


@dataclass(frozen=True)
class CardButton:
    """A button a later step adds to a candidate's card (``c:<id>:<action>``), shown when ``shown(candidate)``."""

    label: str
    action: str
    shown: Callable[[object], bool]


@dataclass(frozen=True)
class Welcome:
    """What to say to someone who joined through an invitation of this kind (a site's contact, an élu)."""

    kind: str
    greet: Callable[[Update, BotContext, int, str], Awaitable[None]]  # (update, context, target id, name)


@dataclass(frozen=True)
class Provides:
    """Everything one step adds to the bot besides its commands and buttons."""

    kinds: tuple[MessageKind, ...] = ()  # messages it queues for the engine
    hooks: tuple[Hook, ...] = ()  # timed work the engine wakes up for
    at_start: tuple[Callable, ...] = ()  # work made good at each start
    digest_sections: tuple[Callable, ...] = ()  # sections of the Monday digest
    flows: tuple[Flow, ...] = ()  # guided exchanges
    waits: tuple[Wait, ...] = ()  # dialog rows that wait for something else than typed answers
    card_buttons: tuple[CardButton, ...] = ()
    # action -> what the card's button does, (update, context, candidate)
    card_actions: dict[str, Callable[..., Awaitable[None]]] = field(default_factory=dict)
    welcomes: tuple[Welcome, ...] = ()
    # what takes a private text from someone outside the team (a site contact's poll comment)
    outsider_text: tuple[Callable[[Update, BotContext], Awaitable[None]], ...] = ()
    # spreadsheet -> what imports its rows, (update, context, rows) -> True once imported ("lieux", "communes")
    importers: dict[str, Callable[..., Awaitable[bool]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Wiring:
    """Every step's ``Provides``, merged; a name declared twice is a wiring mistake, refused at start."""

    deliveries: Deliveries
    flows: dict[str, Flow]
    waits: dict[str, Wait]
    card_buttons: tuple[CardButton, ...]
    card_actions: dict[str, Callable[..., Awaitable[None]]]
    welcomes: dict[str, tuple[Callable, ...]]
    outsider_text: tuple[Callable, ...]
    importers: dict[str, Callable[..., Awaitable[bool]]]

    @classmethod
    def collect(cls, provided: Iterable[Provides]) -> Wiring:
        provided = list(provided)
        flows: dict[str, Flow] = {}
        waits: dict[str, Wait] = {}
        card_actions: dict[str, Callable[..., Awaitable[None]]] = {}
        importers: dict[str, Callable[..., Awaitable[bool]]] = {}
        welcomes: dict[str, tuple[Callable, ...]] = {}
        for p in provided:
            for flow in p.flows:
                _add(flows, flow.name, flow, "form")
            for wait in p.waits:
                _add(waits, wait.name, wait, "wait")
            for action, handler in p.card_actions.items():
                _add(card_actions, action, handler, "card action")
            for what, importer in p.importers.items():
                _add(importers, what, importer, "importer")
            for welcome in p.welcomes:
                welcomes[welcome.kind] = (*welcomes.get(welcome.kind, ()), welcome.greet)
        clash = set(flows) & set(waits)
        if clash:
            raise ValueError(f"dialog names used both as a form and a wait: {sorted(clash)}")
        return cls(
            deliveries=Deliveries.of(
                (k for p in provided for k in p.kinds), (h for p in provided for h in p.hooks),
                (f for p in provided for f in p.at_start), (s for p in provided for s in p.digest_sections)),
            flows=flows, waits=waits, card_buttons=tuple(b for p in provided for b in p.card_buttons),
            card_actions=card_actions, welcomes=welcomes,
            outsider_text=tuple(h for p in provided for h in p.outsider_text), importers=importers,
        )


def _add(table: dict, name: str, value: object, what: str) -> None:
    if name in table:
        raise ValueError(f"{what} {name!r} declared twice")
    table[name] = value
