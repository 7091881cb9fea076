"""Long texts in Telegram's HTML, cut into messages Telegram accepts.

Telegram counts a message's length after parsing its HTML, in UTF-16 code units (an emoji outside the basic plane
counts two), and refuses 4,096 and more, as it refuses a tag left open. A text is cut where a reader expects it —
between lines, else between words, else (a single word longer than a message) between characters — never inside
a tag or an entity; the tags open at a cut are closed at the end of one part and opened again at the start of the
next, so each part reads as the whole would have.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

LIMIT = 4096  # Telegram's MessageLimit.MAX_TEXT_LENGTH
ELLIPSIS = " …"

_TOKEN = re.compile(r"<[^<>]*>|&#?[A-Za-z0-9]+;|\n|[ \t]+|[^<&\s]+|[<&]")
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)")


def utf16_len(text: str) -> int:
    """What Telegram counts: UTF-16 code units (a lone surrogate, which JSON can carry, counts as one)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def visible_len(text: str) -> int:
    """The length Telegram counts for an HTML text: its characters once tags are gone and entities read."""
    return sum(atom.width for atom in _atoms(text, LIMIT))


@dataclass(frozen=True)
class _Atom:
    raw: str
    width: int  # counted by Telegram
    kind: str  # "tag", "newline", "space" or "text"
    closing: bool = False
    name: str = ""


def _atoms(text: str, limit: int) -> list[_Atom]:
    atoms: list[_Atom] = []
    for token in _TOKEN.findall(text):
        if token.startswith("<") and len(token) > 1:
            tag = _TAG.match(token)
            if tag:
                atoms.append(_Atom(token, 0, "tag", bool(tag.group(1)), tag.group(2).lower()))
                continue
        if token == "\n":
            atoms.append(_Atom(token, 1, "newline"))
        elif token[0] in " \t":
            atoms.append(_Atom(token, len(token), "space"))
        elif token.startswith("&") and len(token) > 1:
            atoms.append(_Atom(token, utf16_len(html.unescape(token)), "text"))
        elif (width := utf16_len(token)) <= limit:  # nearly every word
            atoms.append(_Atom(token, width, "text"))
        else:
            # a word longer than a message is cut between characters (never inside a surrogate pair: Python's
            # characters are whole code points)
            piece, width = "", 0
            for ch in token:
                units = 2 if ord(ch) > 0xFFFF else 1
                if width + units > limit:
                    atoms.append(_Atom(piece, width, "text"))
                    piece, width = "", 0
                piece += ch
                width += units
            if piece:
                atoms.append(_Atom(piece, width, "text"))
    return atoms


def _opened(stack: list[_Atom], atom: _Atom) -> list[_Atom]:
    if atom.kind != "tag":
        return stack
    if not atom.closing:
        return [*stack, atom]
    for i in range(len(stack) - 1, -1, -1):  # close the innermost tag of that name
        if stack[i].name == atom.name:
            return stack[:i] + stack[i + 1:]
    return stack


def _close(stack: list[_Atom]) -> str:
    return "".join(f"</{a.name}>" for a in reversed(stack))


def split_html(text: str, limit: int = LIMIT) -> list[str]:
    """``text`` in parts of at most ``limit`` (as Telegram counts), cut between lines, else words, else characters;
    every part has its tags balanced and something to show. A text that fits is returned as it is."""
    if utf16_len(text) <= limit:  # tags and entities only shorten what Telegram counts
        return [text]
    atoms = _atoms(text, limit)
    if sum(a.width for a in atoms) <= limit:
        return [text]
    parts: list[str] = []
    start, stack = 0, []
    while start < len(atoms):
        opening, width, end = stack, 0, start
        line_break = word_break = None  # (index after the break, tags open there)
        current = stack
        while end < len(atoms) and width + atoms[end].width <= limit:
            atom = atoms[end]
            width += atom.width
            current = _opened(current, atom)
            end += 1
            if atom.kind == "newline":
                line_break = (end, current)
            elif atom.kind == "space":
                word_break = (end, current)
        if end == start:  # a run of blanks wider than a message: nothing to show in it
            end, current = start + 1, stack
        elif end < len(atoms):
            end, current = line_break or word_break or (end, current)
        body = atoms[start:end]
        while body and body[-1].kind in ("newline", "space"):  # the break itself is shown by the cut
            body = body[:-1]
        if any(a.kind != "tag" and a.raw.strip() for a in body):
            parts.append("".join(a.raw for a in opening) + "".join(a.raw for a in body) + _close(current))
        start, stack = end, current
        while start < len(atoms) and atoms[start].kind in ("newline", "space"):  # nor starts the next part
            start += 1
    return parts or [text]


def fit_html(text: str, limit: int = LIMIT) -> str:
    """``text`` in one message: as it is if it fits, else its beginning, cut as ``split_html`` cuts, and « … »
    (for a message edited in place, which cannot become two)."""
    if utf16_len(text) <= limit or visible_len(text) <= limit:  # the first: tags and entities only shorten it
        return text
    return split_html(text, limit - len(ELLIPSIS))[0] + ELLIPSIS


def shorten(label: str, limit: int) -> str:
    """A plain label (a button's) of at most ``limit`` characters, ending in « … » when cut."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"
