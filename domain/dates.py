"""French dates and times as the team types them, resolved in Europe/Paris.

dateparser alone misreads common French phrasings ("demain 9h" at 18:00, "mardi 14h" at midnight,
"15 avril 14h" in 2114, nothing for "mardi prochain", "fin du mois"...). So the text is normalised and
split here first: times, parts of the day, weekdays and relative phrases are read by this module;
only what is left of an absolute date ("3 décembre", "3/12/2027") goes to dateparser. Anything left over
that is not understood makes the whole text refused, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser
from dateutil.relativedelta import relativedelta

PARIS = ZoneInfo("Europe/Paris")

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)

# Parts of the day, as hours the team would expect (hour, minute).
DAY_PARTS = {
    "debut de matinee": time(8, 30),
    "fin de matinee": time(11, 0),
    "debut d'apres-midi": time(14, 0),
    "fin d'apres-midi": time(17, 0),
    "apres-midi": time(14, 0),
    "matinee": time(9, 0),
    "matin": time(9, 0),
    "midi": time(12, 0),
    "soiree": time(18, 0),
    "soir": time(18, 0),
    "minuit": time(0, 0),
}

_WEEKDAY_TOKENS = {
    "lundi": 0, "lun": 0, "mardi": 1, "mar": 1, "mercredi": 2, "mer": 2, "jeudi": 3, "jeu": 3,
    "vendredi": 4, "ven": 4, "samedi": 5, "sam": 5, "dimanche": 6, "dim": 6,
}
_MONTH_TOKENS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4,
    "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9,
    "sep": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}
_NUMBER_WORDS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "quinze": 15, "vingt": 20, "trente": 30,
}
# Words that carry no date information ("le 3 décembre", "vers 14h", "à partir de demain").
_FILLERS = {"le", "la", "l", "les", "a", "au", "vers", "pour", "de", "du", "d", "des", "partir", "ce", "cet",
            "cette", "en", "rdv", "rendez-vous"}

_MONTH_RE = "|".join(sorted(_MONTH_TOKENS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(sorted(_WEEKDAY_TOKENS, key=len, reverse=True))
_NUMBER_RE = r"\d+|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))


class DateParseError(ValueError):
    """The text could not be read as a date; ``str(err)`` is a French message for the user."""


class ImpossibleDate(DateParseError):
    """The text names a date or an hour that does not exist, or lies beyond the calendar ("31 février", "25h",
    "dans 9000 ans"): to be refused with this reason, never read as another date."""


MAX_YEARS_AHEAD = 100  # a date further than this is a typing error, not a plan


@dataclass(frozen=True)
class Moment:
    """A resolved date-time in Europe/Paris, and whether the text named a time of day."""

    when: datetime
    has_time: bool

    @property
    def day(self) -> date:
        return self.when.date()


def normalise(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes, hyphens and spaces."""
    text = text.replace("\u2019", "'").replace("\u00a0", " ").lower()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"\s*-\s*", "-", text)
    text = re.sub(r"apres[- ]midi|aprem\b|aprem's", "apres-midi", text)
    text = re.sub(r"aujourd'? ?hui", "aujourd'hui", text)
    text = re.sub(r"apres[- ]demain", "apres-demain", text)
    text = re.sub(r"avant[- ]hier", "avant-hier", text)
    text = re.sub(r"[,;!?]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _NUMBER_WORDS[token]


def _localize(day: date, at: time) -> datetime:
    # zoneinfo picks the right offset for the wall time on either side of the clock change
    return datetime.combine(day, at).replace(tzinfo=PARIS)


def _end_of_month(day: date) -> date:
    return (day.replace(day=1) + relativedelta(months=1)) - timedelta(days=1)


@dataclass
class _Reading:
    """What has been read so far from the text."""

    rest: str
    day: date | None = None
    at: time | None = None
    exact: datetime | None = None  # "dans 2 heures": an instant, not a wall-clock date
    weekday: int | None = None

    def take(self, pattern: str) -> re.Match[str] | None:
        match = re.search(pattern, self.rest)
        if match:
            self.rest = (self.rest[: match.start()] + " " + self.rest[match.end():]).strip()
        return match


def _read_relative(r: _Reading, now: datetime) -> None:
    """'dans 3 jours', 'dans 2 semaines', 'dans un mois', 'dans 2 h', 'dans 1h30'."""
    m = r.take(
        rf"\bdans (?:(une) quinzaine|({_NUMBER_RE}) ?(?:(h|heures?) ?(\d{{2}})?|(minutes?|min)"
        r"|(jours?|j|semaines?|sem|mois|ans?|annees?))\b)"
    )
    if not m:
        return
    if m.group(1):
        r.day = now.date() + timedelta(days=14)
        return
    n = _number(m.group(2))
    if m.group(3) or m.group(5):
        minutes = n * 60 + int(m.group(4) or 0) if m.group(3) else n
        # an instant: computed in UTC so that it stays right across the clock change
        r.exact = (now.astimezone(ZoneInfo("UTC")) + timedelta(minutes=minutes)).astimezone(PARIS)
        return
    unit = m.group(6)
    too_far = ImpossibleDate(f"« {m.group(0).strip()} », c'est trop loin : indiquez une date dans les "
                             f"{MAX_YEARS_AHEAD} prochaines années.")
    try:
        if unit.startswith("j"):
            r.day = now.date() + timedelta(days=n)
        elif unit.startswith("sem"):
            r.day = now.date() + timedelta(weeks=n)
        elif unit == "mois":
            r.day = now.date() + relativedelta(months=n)
        else:
            r.day = now.date() + relativedelta(years=n)
    except (OverflowError, ValueError):  # past year 9999, or more days than a date can count
        raise too_far from None
    if r.day > now.date() + relativedelta(years=MAX_YEARS_AHEAD):
        raise too_far


def _read_time(r: _Reading) -> None:
    """'14h', '14h30', '14 h 30', '14:30', '9 h', 'midi', 'demain matin', '7h du soir'."""
    m = r.take(r"\b(\d{1,2}) ?(?:h|heures?) ?(\d{2})?\b|\b(\d{1,2}):(\d{2})\b")
    part = None
    for words, at in DAY_PARTS.items():
        if r.take(rf"\b(?:en |dans la |l')?{re.escape(words)}\b"):
            part = (words, at)
            break
    if m:
        hour = int(m.group(1) or m.group(3))
        minute = int(m.group(2) or m.group(4) or 0)
        if part and part[0] in ("apres-midi", "soir", "soiree", "fin d'apres-midi") and hour < 12:
            hour += 12
        if hour > 23 or minute > 59:
            raise ImpossibleDate(f"L'heure « {m.group(0).strip()} » n'existe pas.")
        r.at = time(hour, minute)
    elif part:
        r.at = part[1]


def _read_named_days(r: _Reading, now: datetime) -> None:
    """Today/tomorrow, weekdays ('mardi', 'mar.', 'mardi prochain', 'mardi en huit'), weeks and months."""
    today = now.date()
    if r.take(r"\bapres-demain\b"):
        r.day = today + timedelta(days=2)
    elif r.take(r"\bavant-hier\b"):
        r.day = today - timedelta(days=2)
    elif r.take(r"\bhier\b"):
        r.day = today - timedelta(days=1)
    elif r.take(r"\bdemain\b"):
        r.day = today + timedelta(days=1)
    elif r.take(r"\baujourd'hui\b"):
        r.day = today
    m = r.take(rf"\b({_WEEKDAY_RE})\b\.?(?: (prochaine?|en huit))?")
    if m:
        r.weekday = _WEEKDAY_TOKENS[m.group(1)]
        if m.group(2) == "en huit":
            r.weekday += 7  # resolved with the date: the same weekday of the following week
    if r.take(r"\b(?:debut de (?:la )?)?semaine prochaine\b"):
        r.day = today + timedelta(days=7 - today.weekday())
    elif r.take(r"\bfin de (?:la )?semaine prochaine\b"):
        r.day = today + timedelta(days=7 - today.weekday() + 4)
    elif r.take(r"\bfin de (?:la )?semaine\b"):
        friday = today + timedelta(days=4 - today.weekday())
        r.day = friday if friday > today else friday + timedelta(weeks=1)
    elif r.take(r"\bfin du mois prochain\b"):
        r.day = _end_of_month(today + relativedelta(months=1))
    elif r.take(r"\bfin du mois\b"):
        r.day = _end_of_month(today)
    elif r.take(r"\b(?:debut du )?mois prochain\b"):
        r.day = (today + relativedelta(months=1)).replace(day=1)


def _read_month_parts(r: _Reading, now: datetime, prefer: str) -> None:
    """'mi-janvier', 'début mars', 'fin décembre' (with an optional year)."""
    m = r.take(rf"\b(mi|debut|fin)(?:-| d'| de | )({_MONTH_RE})\b\.?(?: (\d{{4}}))?")
    if not m:
        return
    month = _MONTH_TOKENS[m.group(2)]
    year = int(m.group(3)) if m.group(3) else now.year
    first = date(year, month, 1)
    if not m.group(3):
        if prefer == "future" and _end_of_month(first) < now.date():
            first = first.replace(year=year + 1)
        elif prefer == "past" and first > now.date():
            first = first.replace(year=year - 1)
    r.day = {"mi": first.replace(day=15), "debut": first, "fin": _end_of_month(first)}[m.group(1)]


def _read_absolute(r: _Reading, now: datetime, prefer: str) -> None:
    """'3 décembre', '1er décembre 2027', '3/12', '03/12/2026', 'septembre 2027': handed to dateparser."""
    m = r.take(
        rf"\b\d{{1,2}}(?:er)? (?:{_MONTH_RE})\b\.?(?: \d{{4}})?"
        r"|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"
        rf"|\b(?:{_MONTH_RE})\b\.?(?: \d{{4}})?"
    )
    if not m:
        return
    settings = {
        "PREFER_DATES_FROM": prefer,
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "DATE_ORDER": "DMY",
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    phrase = m.group(0).replace("1er", "1")
    parsed = dateparser.parse(phrase, languages=["fr"], settings=settings)
    leading_day = re.match(r"\d{1,2}", phrase)
    if parsed is None or (leading_day and int(leading_day.group(0)) != parsed.day):
        # dateparser reads an impossible "32/12" as some other date: refuse it instead
        raise ImpossibleDate(f"La date « {m.group(0)} » n'existe pas.")
    r.day = parsed.date()


def _as_typed(text: str, phrase: str) -> str:
    """The words of ``text`` whose normalised form is ``phrase``, as the user typed them (accents, capitals), else
    ``phrase`` itself: a refusal quotes the user, not the parser's lower-case, unaccented reading."""
    words = text.split()
    for size in range(1, min(len(words), 8) + 1):
        for start in range(len(words) - size + 1):
            typed = " ".join(words[start:start + size])
            if normalise(typed) == phrase:
                return typed
    return phrase


def _quoting(err: DateParseError, text: str) -> DateParseError:
    """The same refusal, its quotes « … » as the user typed them in ``text``."""
    return type(err)(re.sub(r"« ([^»]*) »", lambda m: f"« {_as_typed(text, m.group(1))} »", str(err)))


def parse_moment(text: str, now: datetime, *, prefer: str = "future") -> Moment:
    """Read a French date/time typed by a user, relative to ``now`` (aware).

    ``prefer`` is "future" (an appointment) or "past" (a date of first contact): it decides the year of
    "20 novembre" and whether a bare "14h" already gone means tomorrow. Raises DateParseError with a
    French message when the text cannot be read; never guesses.
    """
    try:
        return _parse_moment(text, now, prefer)
    except DateParseError as err:
        raise _quoting(err, text) from None


def _parse_moment(text: str, now: datetime, prefer: str) -> Moment:
    now = now.astimezone(PARIS)
    r = _Reading(rest=normalise(text))
    if not r.rest:
        raise DateParseError("Je n'ai reçu aucune date.")
    _read_relative(r, now)
    if re.search(r"\bce(?:t|tte)? (?:soir|soiree|matin|matinee|apres-midi)\b", r.rest):
        r.day = now.date()
    _read_time(r)
    _read_named_days(r, now)
    _read_month_parts(r, now, prefer)
    if r.day is None:
        _read_absolute(r, now, prefer)

    leftover = [w for w in re.split(r"[ .']+", r.rest) if w and w not in _FILLERS]
    if leftover:
        if r.day is None and r.at is None and r.weekday is None and r.exact is None:
            raise DateParseError(f"Je n'ai pas reconnu de date dans « {text.strip()} ».")
        raise DateParseError(f"Je n'ai pas compris « {' '.join(leftover)} » dans « {text.strip()} ».")

    if r.exact is not None:
        if r.day or r.at or r.weekday is not None:
            raise DateParseError(f"« {text.strip()} » mélange une durée et une date : précisez l'une ou l'autre.")
        return Moment(r.exact, has_time=True)

    today = now.date()
    if r.weekday is not None:
        target = r.weekday % 7
        if r.day is not None:
            if r.day.weekday() != target:
                raise DateParseError(
                    f"Le {format_date(r.day)[len(WEEKDAYS[r.day.weekday()]) + 1:]} est un "
                    f"{WEEKDAYS[r.day.weekday()]}, pas un {WEEKDAYS[target]}."
                )
        else:
            ahead = (target - today.weekday()) % 7 or 7
            if prefer == "past":
                ahead = -((today.weekday() - target) % 7 or 7)
            r.day = today + timedelta(days=ahead + (7 if r.weekday >= 7 else 0))

    if r.day is None and r.at is None:
        raise DateParseError(f"Je n'ai pas trouvé de date dans « {text.strip()} ».")
    if r.day is None:
        # a time alone: today, or tomorrow when that time has passed (the other way round for the past)
        candidate = _localize(today, r.at)
        if prefer == "future" and candidate <= now:
            candidate = _localize(today + timedelta(days=1), r.at)
        elif prefer == "past" and candidate > now:
            candidate = _localize(today - timedelta(days=1), r.at)
        return Moment(candidate, has_time=True)
    return Moment(_localize(r.day, r.at or time(0, 0)), has_time=r.at is not None)


def parse_day(text: str, now: datetime, *, prefer: str = "past") -> date:
    """A calendar date ("aujourd'hui", "hier", "12/11", "lundi dernier"...) for dates of record."""
    norm = re.sub(r"\b(dernier|derniere)\b", "", normalise(text))
    try:
        moment = parse_moment(norm, now, prefer=prefer)
    except DateParseError as err:  # quoting the text as typed, not as normalised here
        raise _quoting(err, text) from None
    if moment.has_time:
        raise DateParseError("Indiquez seulement un jour, sans heure (par exemple « 12/11 » ou « hier »).")
    return moment.day


def format_date(day: date | datetime) -> str:
    """'jeudi 26 novembre 2026', '1er' for the first of the month."""
    if isinstance(day, datetime):
        day = day.astimezone(PARIS).date()
    number = "1er" if day.day == 1 else str(day.day)
    return f"{WEEKDAYS[day.weekday()]} {number} {MONTHS[day.month - 1]} {day.year}"


def format_time(at: datetime | time) -> str:
    """'14 h 00' as French typography writes it."""
    if isinstance(at, datetime):
        at = at.astimezone(PARIS).time()
    return f"{at.hour} h {at.minute:02d}"


def format_datetime(moment: datetime) -> str:
    """'jeudi 26 novembre 2026 à 14 h 00'."""
    return f"{format_date(moment)} à {format_time(moment)}"


def format_short(moment: datetime | date) -> str:
    """'26/11/2026' or '26/11/2026 14:00' for lists and tables."""
    if isinstance(moment, datetime):
        local = moment.astimezone(PARIS)
        return local.strftime("%d/%m/%Y %H:%M")
    return moment.strftime("%d/%m/%Y")


# --- a project's horizon and visit availabilities (the interview) ------------------------------------------

_SEASONS = {"printemps": (3, 21), "ete": (6, 21), "rentree": (9, 1), "automne": (9, 23), "hiver": (12, 21),
            "fin d'annee": (12, 31), "fin de l'annee": (12, 31)}


def parse_target(text: str, now: datetime) -> date:
    """A project's target date: "septembre 2027", "d'ici l'été", "à la rentrée 2027", "début 2028", "15 mars"."""
    norm = normalise(text)
    norm = re.sub(r"\b(?:d'ici|avant|pour|vers|a|au|a la|en|l'|le|la|courant|dans)\b", " ", norm)
    norm = re.sub(r"\s+", " ", norm.replace("l'", " ")).strip()
    today = now.astimezone(PARIS).date()
    m = re.fullmatch(r"(?:(debut|fin|mi)[- ])?(\d{4})", norm)
    if m:
        year = int(m.group(2))
        return {"debut": date(year, 1, 1), "mi": date(year, 6, 30), "fin": date(year, 12, 31)}.get(m.group(1) or "debut")
    for words, (month, day) in _SEASONS.items():
        m = re.fullmatch(rf"{re.escape(words)}(?: (\d{{4}}))?", norm)
        if m:
            year = int(m.group(1)) if m.group(1) else today.year
            target = date(year, month, day)
            return target if m.group(1) or target >= today else target.replace(year=year + 1)
    moment = parse_moment(norm, now)
    return moment.day


@dataclass(frozen=True)
class Availability:
    """Days a candidate can visit, with the part of the day when one was said ("matin", "après-midi")."""

    days: tuple[tuple[date, str | None], ...]

    def describe(self, limit: int = 8) -> str:
        if not self.days:
            return "aucune date précise"
        shown = [format_date(d) + (f" ({part})" if part else "") for d, part in self.days[:limit]]
        more = len(self.days) - limit
        return ", ".join(shown) + (f" et {more} autre(s)" if more > 0 else "")


def _working_days(start: date, end: date) -> list[date]:
    import holidays  # imported here: only availabilities need it, and it is slow to load

    closed = holidays.France(years=range(start.year, end.year + 1))
    days, day = [], start
    while day <= end:
        if day.weekday() < 5 and day not in closed:
            days.append(day)
        day += timedelta(days=1)
    return days


def _month_of(token: str, year_text: str | None, today: date) -> tuple[int, int]:
    month = _MONTH_TOKENS[token]
    if year_text:
        return int(year_text), month
    year = today.year if month >= today.month else today.year + 1
    return year, month


def parse_availability(text: str, now: datetime) -> Availability:
    """Visit availabilities in French, as days to come: "les mardis de janvier", "semaine du 12 janvier",
    "15 et 16 janvier", "du 12 au 16 janvier", "tous les jeudis après-midi", "en janvier", "le 3 décembre matin".
    Pieces that name no date are ignored; past days are dropped."""
    today = now.astimezone(PARIS).date()
    found: dict[date, str | None] = {}
    pieces = [normalise(p) for p in re.split(r"[,;\n]", text)]
    chunks = [c.strip() for p in pieces for c in re.split(r"\bou\b|\bet\b|\bpuis\b|\bainsi que\b", p) if c.strip()]
    # "15 et 16 janvier": a bare day number takes its month from the next piece that has one
    for i, chunk in enumerate(chunks):
        if re.fullmatch(r"(?:le )?\d{1,2}(?:er)?", chunk):
            for later in chunks[i + 1:]:
                m = re.search(rf"\b({_MONTH_RE})\b\.?(?: \d{{4}})?", later)
                if m:
                    chunks[i] = f"{chunk} {m.group(0)}"
                    break
    for chunk in chunks:
        part = "après-midi" if "apres-midi" in chunk else "matin" if re.search(r"\bmatin", chunk) else None
        chunk = re.sub(r"\b(?:apres-midi|matin(?:ee)?s?)\b", " ", chunk).strip()
        days: list[date] = []
        m = re.search(rf"\b(?:les |tous les )?({_WEEKDAY_RE})s?\b(?: (?:de|d'|en|du mois de) ?({_MONTH_RE})\b\.?(?: (\d{{4}}))?)?", chunk)
        range_m = re.search(rf"\bdu (\d{{1,2}})(?:er)?(?: ({_MONTH_RE}))? au (\d{{1,2}}) ({_MONTH_RE})\b\.?(?: (\d{{4}}))?", chunk)
        week_m = re.search(r"\bsemaine du (.+)$", chunk)
        month_m = re.fullmatch(rf"(?:en |courant |tout |tout le mois de |le mois de )?({_MONTH_RE})\.?(?: (\d{{4}}))?", chunk)
        if week_m:
            try:
                start = parse_moment(week_m.group(1), now).day
            except DateParseError:
                continue
            monday = start - timedelta(days=start.weekday())
            days = _working_days(monday, monday + timedelta(days=4))
        elif range_m:
            year, month2 = _month_of(range_m.group(4), range_m.group(5), today)
            month1 = _MONTH_TOKENS[range_m.group(2)] if range_m.group(2) else month2
            year1 = year if month1 <= month2 else year - 1
            try:
                days = _working_days(date(year1, month1, int(range_m.group(1))), date(year, month2, int(range_m.group(3))))
            except ValueError:
                continue
        elif m and not re.search(r"\d", chunk):
            weekday = _WEEKDAY_TOKENS[m.group(1)]
            if m.group(2):
                year, month = _month_of(m.group(2), m.group(3), today)
                first = date(year, month, 1)
                span = [first + timedelta(days=i) for i in range(31) if (first + timedelta(days=i)).month == month]
            else:
                span = [today + timedelta(days=i) for i in range(1, 29)]  # the next four weeks
            days = [d for d in span if d.weekday() == weekday]
        elif month_m:
            year, month = _month_of(month_m.group(1), month_m.group(2), today)
            first = date(year, month, 1)
            days = _working_days(first, (first + relativedelta(months=1)) - timedelta(days=1))
        else:
            try:
                moment = parse_moment(chunk, now)
            except DateParseError:
                continue
            days = [moment.day]
            if moment.has_time and part is None:
                part = "matin" if moment.when.hour < 12 else "après-midi"
        for day in days:
            if day > today:
                found[day] = part if found.get(day, part) == part else None
    return Availability(tuple(sorted(found.items())))
