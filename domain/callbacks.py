"""Callback data read back: what a pressed button says, typed, or nothing at all.

A button's data comes back from Telegram as the user's client sends it: it can be stale (an old message) or forged
(any client can send any data, up to 64 bytes). Every handler reads it through ``read``, with the shape it expects
— ``p:<poll>:<site>:<slot>:<o|s|n>`` is ``read(data, "p", int, int, int, {"o", "s", "n"})`` — and gets typed values
or None, never an exception nor a half-checked string.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

MAX_BYTES = 64  # Telegram's limit for callback data

Field = type[int] | type[str] | Collection[str]


def read(data: str | None, prefix: str | None, *fields: Field, optional: int = 0) -> tuple[Any, ...] | None:
    """``data`` as ``prefix:field:…`` (any prefix when ``prefix`` is None), each field an ``int`` (digits only),
    ``str`` (any non-empty word) or a collection of the words allowed; the last ``optional`` fields may be missing
    and are None then. None when the data is not of that shape."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    head, *values = data.split(":")
    if prefix is not None and head != prefix:
        return None
    if not len(fields) - optional <= len(values) <= len(fields):
        return None
    out: list[Any] = []
    for field, value in zip(fields, values + [None] * (len(fields) - len(values)), strict=True):
        if value is None:
            out.append(None)
        elif field is int:
            if not (value.isascii() and value.isdecimal()):
                return None
            out.append(int(value))
        elif field is str:
            if not value:
                return None
            out.append(value)
        elif value in field:
            out.append(value)
        else:
            return None
    return tuple(out)
