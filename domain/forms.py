"""Guided exchanges as data: a form is a list of questions; reading and showing answers is done here.

The same engine carries the new-candidate exchange, the interview and the corrections, so wording and order
change in one declaration and never in the flow. Nothing here knows about Telegram.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from domain.dates import (
    PARIS,
    Availability,
    DateParseError,
    Moment,
    format_date,
    format_datetime,
    normalise,
    parse_availability,
    parse_day,
    parse_moment,
    parse_target,
)

Answers = Mapping[str, Any]


class Kind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    MULTI = "multi"
    YESNO = "yesno"
    MOMENT = "moment"  # a date and time, e.g. an appointment
    DAY = "day"  # a date of record, e.g. the first contact
    PHONE = "phone"
    EMAIL = "email"
    NUMBER = "number"
    TARGET = "target"  # a project's horizon: "septembre 2027", "d'ici l'été"
    AVAILABILITY = "availability"  # visit availabilities: "les mardis de janvier"


@dataclass(frozen=True)
class Option:
    key: str
    label: str


@dataclass(frozen=True)
class Question:
    key: str
    label: str  # short name, for summaries and cards
    prompt: str
    kind: Kind
    options: tuple[Option, ...] = ()
    optional: bool = False
    hint: str = ""
    section: str = ""
    owner: str | None = None  # "cls" or "cpts": the interviewer who leads this question
    when: Callable[[Answers], bool] | None = None
    free_text: bool = False  # CHOICE/MULTI: a typed answer that matches no option is kept as written
    future: bool = False  # MOMENT: must not be in the past
    confirm: bool = False  # read the value back and wait for a yes before saving it
    quick: tuple[Option, ...] = ()  # buttons that stand for a typed answer (key = the text it types)
    minimum: int | None = None
    maximum: int | None = None
    note: str = ""  # a prompt from the protocol, shown with the question
    skip_label: str = ""  # instead of the flow's "Passer", e.g. "Pas encore de date"
    default_time: time | None = None  # MOMENT: the time taken when only a day is typed (else the time is asked)
    prefer: str = "past"  # DAY: which way an ambiguous date goes; "future" also allows dates to come
    max_length: int | None = None  # characters typed at most (else the kind's default, MAX_LENGTH)
    single_line: bool = False  # a name, a commune, a phone: no line break (it goes into e-mail subjects, cells…)
    name: bool = False  # a person's or a place's name: at least one letter

    @property
    def expects_text(self) -> bool:
        return self.kind not in (Kind.CHOICE, Kind.MULTI, Kind.YESNO) or self.free_text

    def option_label(self, key: str) -> str:
        for option in self.options:
            if option.key == key:
                return option.label
        return key  # a free-text answer


@dataclass(frozen=True)
class Form:
    name: str
    title: str
    questions: tuple[Question, ...]

    def question(self, key: str) -> Question:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)

    def only(self, key: str, name: str) -> Form:
        """A form of this one question, always asked (a correction of one field)."""
        return Form(name, self.title, (replace(self.question(key), when=None),))

    def index(self, key: str) -> int:
        return [q.key for q in self.questions].index(key)

    def applicable(self, answers: Answers) -> list[Question]:
        return [q for q in self.questions if q.when is None or q.when(answers)]

    def next_after(self, key: str | None, answers: Answers) -> Question | None:
        """The next question to ask after ``key`` (from the start when None)."""
        keys = [q.key for q in self.questions]
        start = keys.index(key) + 1 if key is not None else 0
        for q in self.questions[start:]:
            if q.when is None or q.when(answers):
                return q
        return None

    def first_unanswered(self, answers: Answers, done: set[str]) -> Question | None:
        """The first applicable question with neither an answer nor a deliberate skip."""
        for q in self.applicable(answers):
            if q.key not in done:
                return q
        return None

    def previous_before(self, key: str | None, answers: Answers) -> Question | None:
        applicable = self.applicable(answers)
        if key is None:
            return applicable[-1] if applicable else None
        keys = [q.key for q in applicable]
        if key not in keys:
            return None
        position = keys.index(key)
        return applicable[position - 1] if position > 0 else None

    def progress(self, key: str, answers: Answers) -> tuple[int, int]:
        """(k, n): this is question k of the n that apply."""
        keys = [q.key for q in self.applicable(answers)]
        return (keys.index(key) + 1 if key in keys else len(keys)), len(keys)

    def sections(self) -> list[str]:
        seen: list[str] = []
        for q in self.questions:
            if q.section and q.section not in seen:
                seen.append(q.section)
        return seen


class InvalidAnswer(ValueError):
    """The typed answer does not fit the question; ``str(err)`` is a French explanation."""


# Characters an answer may have. A free text holds an interviewer's notes (a long answer fits in a card with the
# others); anything else — a date, a number, a choice typed in — is a few words. Far above what the team types,
# far below what would make a card or a list unreadable for everyone.
MAX_LENGTH = {Kind.TEXT: 1500}
SHORT_ANSWER = 300
NAME_LENGTH = 100  # a person's or a place's name


def count(n: int) -> str:
    """A number as French writes it: 4 000."""
    return f"{n:,}".replace(",", "\u202f")


def too_long(what: str, text: str, limit: int) -> str | None:
    """The French refusal of a text longer than ``limit`` characters, or None when it fits."""
    if len(text) <= limit:
        return None
    return (f"C'est trop long pour {what} : {count(len(text))} caractères, {count(limit)} au plus. "
            "Raccourcissez et renvoyez ; rien n'a été enregistré.")


def unprintable(what: str, text: str, *, single_line: bool = False, name: bool = False) -> str | None:
    """The French refusal of a text with control or invisible characters (NUL, ESC, a right-to-left override, a
    zero-width space…), with a line break where one line is expected, or, for a name, without a letter; None when
    it is fine. Line breaks are welcome in notes and comments."""
    allowed = "" if single_line else "\n"
    if single_line and ("\n" in text or "\r" in text or "\u2028" in text or "\u2029" in text):
        return f"{what} tient sur une seule ligne : retapez le texte sans retour à la ligne ; rien n'a été enregistré."
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp") and ch not in allowed + "\r\t"
           for ch in text) or (single_line and "\t" in text):
        return (f"{what} contient un caractère invisible ou de contrôle : retapez le texte tel qu'il s'écrit ; rien "
                f"n'a été enregistré.")
    if name and not any(ch.isalpha() for ch in text):
        return f"{what} doit contenir au moins une lettre ; rien n'a été enregistré."
    return None


_YES = {"oui", "o", "ouais", "yes", "y", "ok", "d'accord", "daccord", "bien sur", "tout a fait"}
_NO = {"non", "n", "no", "pas du tout", "nan"}
_NUMBER_WORDS = {"zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
                 "sept": 7, "huit": 8, "neuf": 9, "dix": 10}
EMAIL_PATTERN = _EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def match_option(question: Question, text: str) -> str | None:
    """The option a typed text names (by label or key, accents and case ignored), if exactly one."""
    typed = normalise(text)
    if not typed:
        return None
    exact = [o.key for o in question.options if typed in (normalise(o.label), normalise(o.key).replace("_", " "))]
    if exact:
        return exact[0]
    partial = [o.key for o in question.options if normalise(o.label).startswith(typed) and len(typed) >= 3]
    return partial[0] if len(partial) == 1 else None


def normalise_phone(text: str) -> str:
    """A French number as '06 12 34 56 78'; other countries kept as '+<digits>'."""
    digits = re.sub(r"[\s.\-()/]", "", text)
    if re.fullmatch(r"(?:\+33|0033)[1-9]\d{8}", digits):
        digits = "0" + digits[-9:]
    if re.fullmatch(r"0[1-9]\d{8}", digits):
        return " ".join(digits[i:i + 2] for i in range(0, 10, 2))
    if re.fullmatch(r"(?:\+|00)[1-9]\d{7,14}", digits):
        return "+" + digits.lstrip("+").removeprefix("00")
    raise InvalidAnswer(
        f"« {text.strip()} » n'est pas un numéro de téléphone valide. Exemples : 06 12 34 56 78 ou +33 6 12 34 56 78."
    )


def read_answer(question: Question, text: str, now: datetime) -> Any:
    """Turn a typed answer into the stored value, or raise InvalidAnswer with a French reason."""
    text = text.strip()
    if not text:
        raise InvalidAnswer("Je n'ai pas reçu de réponse.")
    kind = question.kind
    refusal = too_long(f"« {question.label} »", text, question.max_length or MAX_LENGTH.get(kind, SHORT_ANSWER))
    refusal = refusal or unprintable(f"« {question.label} »", text, name=question.name,
                                     single_line=question.single_line or kind in (Kind.PHONE, Kind.EMAIL))
    if refusal:
        raise InvalidAnswer(refusal)
    if kind is Kind.TEXT:
        return text
    if kind is Kind.CHOICE:
        key = match_option(question, text)
        if key is not None:
            return key
        if question.free_text:
            return text
        raise InvalidAnswer("Choisissez l'une des réponses proposées avec les boutons.")
    if kind is Kind.MULTI:
        parts = [p for p in re.split(r"\s*(?:,|;|\bet\b|\+)\s*", text) if p.strip()]
        keys = []
        for part in parts:
            key = match_option(question, part)
            if key is None and not question.free_text:
                raise InvalidAnswer(f"« {part} » ne fait pas partie des réponses proposées : utilisez les boutons.")
            keys.append(key or part.strip())
        return keys
    if kind is Kind.YESNO:
        typed = normalise(text).rstrip(".!")
        if typed in _YES:
            return True
        if typed in _NO:
            return False
        raise InvalidAnswer("Répondez par oui ou par non (ou avec les boutons).")
    if kind is Kind.MOMENT:
        try:
            moment = parse_moment(text, now)
        except DateParseError as err:
            raise InvalidAnswer(f"{err} {question.hint}".strip()) from err
        if not moment.has_time:
            if question.default_time is None:
                raise InvalidAnswer(f"Il manque l'heure : par exemple « {text} à 14h » ou « {text} matin ».")
            moment = Moment(datetime.combine(moment.day, question.default_time).replace(tzinfo=PARIS), True)
        if question.future and moment.when <= now:
            raise InvalidAnswer(
                f"Le {format_datetime(moment.when)} est déjà passé. Indiquez une date à venir."
            )
        return moment.when.isoformat()
    if kind is Kind.DAY:
        try:
            day = parse_day(text, now, prefer=question.prefer)
        except DateParseError as err:
            raise InvalidAnswer(f"{err} {question.hint}".strip()) from err
        if question.prefer == "past" and day > now.date():
            raise InvalidAnswer(f"Le {format_date(day)} n'est pas encore arrivé : indiquez une date passée ou aujourd'hui.")
        return day.isoformat()
    if kind is Kind.PHONE:
        return normalise_phone(text)
    if kind is Kind.EMAIL:
        address = text.strip().strip("<>")
        if not _EMAIL.fullmatch(address):
            raise InvalidAnswer(f"« {text} » n'est pas une adresse e-mail valide. Exemple : prenom.nom@exemple.fr")
        return address.lower()
    if kind is Kind.NUMBER:
        typed = normalise(text)
        if typed.isdigit():
            value = int(typed)
        elif typed in _NUMBER_WORDS:
            value = _NUMBER_WORDS[typed]
        else:
            raise InvalidAnswer(f"« {text} » n'est pas un nombre : répondez en chiffres, par exemple 2.")
        if question.minimum is not None and value < question.minimum:
            raise InvalidAnswer(f"Le nombre doit être au moins {question.minimum}.")
        if question.maximum is not None and value > question.maximum:
            raise InvalidAnswer(f"Le nombre doit être au plus {question.maximum}.")
        return value
    if kind is Kind.TARGET:
        try:
            target = parse_target(text, now)
        except DateParseError as err:
            raise InvalidAnswer(
                f"Je n'ai pas reconnu d'échéance dans « {text} ». Par exemple « septembre 2027 », « d'ici l'été », "
                "« début 2028 » — ou passez la question."
            ) from err
        return {"text": text, "date": target.isoformat()}
    if kind is Kind.AVAILABILITY:
        # kept as said even when no date is recognised: the words still matter to the team
        found = parse_availability(text, now)
        return {"text": text, "days": [[d.isoformat(), part] for d, part in found.days]}
    raise AssertionError(f"unknown kind {kind}")


def availability_of(value: Any) -> Availability:
    return Availability(tuple((date.fromisoformat(d), part) for d, part in (value or {}).get("days", [])))


def display(question: Question, value: Any) -> str:
    """A stored value as the team reads it."""
    if value is None:
        return "—"
    kind = question.kind
    if kind is Kind.CHOICE:
        return question.option_label(value)
    if kind is Kind.MULTI:
        return ", ".join(question.option_label(v) for v in value) or "—"
    if kind is Kind.YESNO:
        return "oui" if value else "non"
    if kind is Kind.MOMENT:
        return format_datetime(datetime.fromisoformat(value))
    if kind is Kind.DAY:
        return format_date(date.fromisoformat(value))
    if kind is Kind.TARGET:
        return f"{value['text']} (vers le {format_date(date.fromisoformat(value['date']))})"
    if kind is Kind.AVAILABILITY:
        found = availability_of(value)
        understood = found.describe() if found.days else "aucune date précise reconnue"
        return f"{value['text']} → {understood}"
    return str(value)
