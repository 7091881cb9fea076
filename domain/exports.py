"""The tableau de reporting: an XLSX workbook (Candidats, Lieux, Visites, Suivis, Indicateurs) and the candidates
as CSV. Real Excel dates, French headers; built from storage.reporting.Dataset. Telegram-free."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from domain.candidates import NEW_CANDIDATE, profession_label
from domain.dates import PARIS
from domain.forms import Question, display
from domain.indicators import Indicators, Period, day_of
from domain.interview import INTERVIEW
from domain.matching import SITE_TYPES
from domain.pipeline import Status
from domain.sites import COLUMNS as SITE_COLUMNS
from domain.spreadsheets import write_csv, write_xlsx
from domain.territory import EPCI_LABELS, name_key

# candidates up to which the reporting table is written in memory (see write_xlsx): 15 MB at most, ten times the
# files the team will have
IN_MEMORY_UP_TO = 2000
OUTCOMES = {"recherche": "toujours en recherche", "installe": "installé·e", "reflexion": "en réflexion", "abandon": "abandon"}


@dataclass(frozen=True)
class Filters:
    period: Period | None = None
    statuses: frozenset[str] = frozenset()
    professions: frozenset[str] = frozenset()
    epcis: frozenset[str] = frozenset()


def _local(value: Any) -> datetime | None:
    """An instant as Excel wants it: Paris wall time, without a time zone."""
    if not value:
        return None
    if value.endswith("+00:00"):  # what storage writes: Paris's offset is the same all through a UTC hour
        return datetime.fromisoformat(value[:-6]) + _paris_offset(value[:13])
    return datetime.fromisoformat(value).astimezone(PARIS).replace(tzinfo=None)


@functools.lru_cache(maxsize=4096)
def _paris_offset(utc_hour: str) -> timedelta:
    """Paris's offset from UTC during the hour starting at ``utc_hour`` ("2026-03-29T01")."""
    return datetime.fromisoformat(utc_hour + ":00+00:00").astimezone(PARIS).utcoffset()


class _Candidate:
    """Attribute access on a candidate row, for the functions of domain.candidates."""

    def __init__(self, row: dict[str, Any]):
        self.__dict__.update(row)


def proposals_by_candidate(data) -> dict[int, list[dict[str, Any]]]:
    """The croisement's proposals grouped once, instead of scanning them all for every candidate."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for p in data.proposals:
        if p["site_id"] in data.sites:
            grouped.setdefault(p["candidate_id"], []).append(p)
    return grouped


def _epcis_of(data, c: dict[str, Any], proposals: dict[int, list[dict[str, Any]]]) -> set[str]:
    answers = data.answers_of(c["id"])
    found = set(answers.get("territoires") or []) - {"tout"}
    found |= {data.sites[p["site_id"]]["epci"] for p in proposals.get(c["id"], []) if p["chosen"]}
    if c["installed_commune"]:
        found.add(data.commune_epci.get(name_key(c["installed_commune"]), ""))
    return found


def selected(data, filters: Filters) -> list[dict[str, Any]]:
    out = []
    proposals = proposals_by_candidate(data) if filters.epcis else {}
    for c in data.candidates:
        if filters.period and not (day_of(c["first_contact"]) in filters.period or day_of(c["updated_at"]) in filters.period):
            continue
        if filters.statuses and c["status"] not in filters.statuses:
            continue
        if filters.professions and c["profession"] not in filters.professions:
            continue
        if filters.epcis and not (filters.epcis & _epcis_of(data, c, proposals)):
            continue
        out.append(c)
    return out


CANDIDATE_HEADERS = [
    "N°", "Prénom", "Nom", "Profession", "Téléphone", "E-mail", "Source", "Précision sur la source", "Premier contact",
    "Consentement au suivi", "Date du consentement", "Entretien prévu", "Entretien fait", "Croisement à faire avant",
    "Croisement fait", "Dans les délais", "Lieux proposés", "Lieux contactés", "Jour des visites", "Lieux visités",
    "Débriefing du soir", "Débriefing à distance", "Suivi à 3 mois", "Suivi à 6 mois", "Suivi à 12 mois", "Statut",
    "Lieu d'installation", "Commune d'installation", "Date d'installation", "Notes",
] + [q.label for q in INTERVIEW.questions]
VISIT_HEADERS = ["N° candidat", "Candidat", "Jour", "Lieu", "Commune", "EPCI", "Début", "Fin"]
FOLLOW_UP_HEADERS = ["N° candidat", "Candidat", "Échéance (mois)", "Prévu le", "Fait le", "Résultat", "Note"]


def _cached_display() -> Callable[[Question, Any], str]:
    """``display``, remembering what it returned for each question and value: answers repeat a lot."""
    seen: dict[tuple[str, Any], str] = {}

    def shown(question: Question, value: Any) -> str:
        key = (question.key, tuple(value) if isinstance(value, list) else value)
        try:
            return seen[key]
        except KeyError:
            seen[key] = result = display(question, value)
            return result
        except TypeError:  # a dict (a target date, availabilities): not worth remembering
            return display(question, value)

    return shown


def candidate_rows(data, rows: list[dict[str, Any]]) -> Iterator[list[Any]]:
    """The Candidats table, a row at a time (written as it is made: 10,000 candidates are never all in memory)."""
    shown = _cached_display()
    questions = INTERVIEW.questions
    sources = NEW_CANDIDATE.question("source")
    debriefs = {(d["candidate_id"], d["stage"]): d["done_at"] for d in data.debriefs}
    follow = {(f["candidate_id"], f["months"]): f for f in data.follow_ups}
    grouped = proposals_by_candidate(data)
    for c in rows:
        cid = c["id"]
        proposals = grouped.get(cid, [])
        croisement = data.croisements.get(cid)
        visit = data.visits.get(cid)
        answers = data.answers_of(cid)

        def follow_up(months: int) -> str:
            f = follow.get((cid, months))
            if f is None:
                return ""
            if f["done_at"]:
                return f"{OUTCOMES.get(f['outcome'], f['outcome'])} ({day_of(f['done_at']).strftime('%d/%m/%Y')})"
            return f"prévu le {date.fromisoformat(f['due_day']).strftime('%d/%m/%Y')}"

        yield [
            cid, c["first_name"], c["last_name"], profession_label(_Candidate(c)), c["phone"], c["email"],
            sources.option_label(c["source"]), c["source_detail"],
            day_of(c["first_contact"]), "oui" if c["consent"] else "non", day_of(c["consent_date"]),
            _local(c["interview_at"]), day_of(c["interview_done_at"]), day_of(c["croisement_due"]),
            _local(croisement["done_at"]) if croisement else None,
            ("oui" if croisement["on_time"] else "non") if croisement else "",
            ", ".join(data.sites[p["site_id"]]["name"] for p in proposals),
            ", ".join(data.sites[p["site_id"]]["name"] for p in proposals if p["chosen"]),
            day_of(visit["day"]) if visit else None, ", ".join(visit["sites"]) if visit else "",
            _local(debriefs.get((cid, "soir"))), _local(debriefs.get((cid, "distance"))),
            follow_up(3), follow_up(6), follow_up(12), Status(c["status"]).label,
            c["installed_place"], c["installed_commune"], day_of(c["installed_on"]),
            "\n".join(f"{day_of(at).strftime('%d/%m/%Y')} : {text}" for at, text in data.notes.get(cid, ())),
        ] + [shown(q, answers[q.key]) if q.key in answers else "" for q in questions]


def _visit_rows(data) -> Callable[[int], Iterator[list[Any]]]:
    """A candidate's Visites rows: each stop of the visit day, or the sites visited when the day had no stops."""
    stops: dict[int, list[Mapping[str, Any]]] = {}
    for stop in data.stops:
        stops.setdefault(stop["candidate_id"], []).append(stop)
    names = _names(data)

    def rows(cid: int) -> Iterator[list[Any]]:
        if cid in stops:
            for stop in stops[cid]:
                if stop["site_id"] in data.sites:
                    site = data.sites[stop["site_id"]]
                    starts = _local(stop["starts_at"])
                    yield [cid, names[cid], starts.date(), site["name"], site["commune"],
                           EPCI_LABELS.get(site["epci"], site["epci"]), starts, _local(stop["ends_at"])]
        elif cid in data.visits:
            visit = data.visits[cid]
            for name in visit["sites"]:
                yield [cid, names[cid], day_of(visit["day"]), name, "", "", None, None]

    return rows


def _names(data) -> dict[int, str]:
    return {c["id"]: f"{c['first_name']} {c['last_name']}" for c in data.candidates}


def _follow_up_rows(data) -> Callable[[int], Iterator[list[Any]]]:
    """A candidate's Suivis rows, at 3, 6 and 12 months."""
    follow_ups: dict[int, list[Mapping[str, Any]]] = {}
    for f in sorted(data.follow_ups, key=lambda f: (f["candidate_id"], f["months"])):
        follow_ups.setdefault(f["candidate_id"], []).append(f)
    names = _names(data)

    def rows(cid: int) -> Iterator[list[Any]]:
        for f in follow_ups.get(cid, ()):
            yield [cid, names[cid], f["months"], date.fromisoformat(f["due_day"]), day_of(f["done_at"]),
                   OUTCOMES.get(f["outcome"] or "", ""), f["note"]]

    return rows


def _table(data, rows: list[dict[str, Any]], sheet: str) -> Iterator[list[Any]]:
    """The rows of these candidates in ``sheet`` ("visites" or "suivis"), in their order, made as they are written."""
    of = (_visit_rows if sheet == "visites" else _follow_up_rows)(data)
    for c in rows:
        yield from of(c["id"])


def indicator_rows(ind: Indicators) -> list[list[Any]]:
    rows: list[list[Any]] = [["Période", f"du {ind.period.start:%d/%m/%Y} au {ind.period.end:%d/%m/%Y} (exclu)"]]
    rows += [[name, value] for name, value in ind.funnel]
    rows += [["Croisements dans les 10 jours (%)", ind.pct_on_time if ind.pct_on_time is not None else "—"],
             ["Sondages envoyés", ind.polls_sent], ["Lieux interrogés", ind.sites_asked],
             ["Lieux ayant répondu", ind.sites_answering], ["Lieux visités", ind.site_visits],
             ["Débriefings du soir", ind.debriefs["soir"]], ["Débriefings à distance", ind.debriefs["distance"]],
             ["Abandons", ind.abandons]]
    for months in (3, 6, 12):
        rows.append([f"Suivis à {months} mois dus / faits à temps / en retard",
                     f"{ind.follow_ups_due[months]} / {ind.follow_ups_on_time[months]} / {ind.follow_ups_late[months]}"])
    for name, days in ind.delays.items():
        rows.append([f"Délai médian {name} (jours)", days if days is not None else "—"])
    for label, counter in (("Source", ind.by_source), ("Profession", ind.by_profession), ("Statut", ind.by_status)):
        for key, count in sorted(counter.items()):
            shown = (Status(key).label if label == "Statut" else
                     NEW_CANDIDATE.question("source" if label == "Source" else "profession").option_label(key))
            rows.append([f"{label} : {shown}", count])
    for epci, counter in sorted(ind.epci.items()):
        rows.append([f"{EPCI_LABELS.get(epci, epci)} : proposés / contactés / visités / installations",
                     f"{counter['proposed']} / {counter['contacted']} / {counter['visited']} / {counter['installations']}"])
    return rows


SITE_HEADERS = [t for t, _ in SITE_COLUMNS[:4]] + ["EPCI", "Proposé", "Contacté", "Visité"]


def _site_rows(data, indicators: Callable[[], Indicators]) -> Iterator[list[Any]]:
    exposure: dict[int, Counter] = indicators().sites
    for sid, s in sorted(data.sites.items()):
        seen = exposure.get(sid, Counter())
        yield [s["name"], SITE_TYPES.get(s["type"], s["type"]), "En projet" if s["status"] == "en_projet" else
               "En fonctionnement", s["commune"], EPCI_LABELS.get(s["epci"], s["epci"]), seen["proposed"],
               seen["contacted"], seen["visited"]]


def _once(ind: Indicators | Callable[[], Indicators]) -> Callable[[], Indicators]:
    """The indicators, asked for only when a sheet needs them (they may still be counted meanwhile)."""
    counted: list[Indicators] = [ind] if isinstance(ind, Indicators) else []

    def indicators() -> Indicators:
        if not counted:
            counted.append(ind())
        return counted[0]
    return indicators


def _indicator_sheet(indicators: Callable[[], Indicators]) -> Iterator[list[Any]]:
    yield from indicator_rows(indicators())  # asked for only when the sheet is written


def workbook(data, filters: Filters, ind: Indicators | Callable[[], Indicators]) -> bytes:
    """The reporting table, nominative, for the team only; ``ind``: the indicators of its period, or what returns
    them (called once the Candidats sheet is written, so that they can be counted meanwhile)."""
    return write_xlsx(workbook_sheets(data, filters, ind), large=len(data.candidates) > IN_MEMORY_UP_TO)


def workbook_sheets(data, filters: Filters, ind: Indicators | Callable[[], Indicators]) -> list[tuple[str, list[str], Iterator[list[Any]]]]:
    """The reporting table's sheets: title, headers, and rows made as they are written."""
    rows = selected(data, filters)
    indicators = _once(ind)
    return [
        ("Candidats", CANDIDATE_HEADERS, candidate_rows(data, rows)),
        ("Lieux", SITE_HEADERS, _site_rows(data, indicators)),
        ("Visites", VISIT_HEADERS, _table(data, rows, "visites")),
        ("Suivis", FOLLOW_UP_HEADERS, _table(data, rows, "suivis")),
        ("Indicateurs", ["Indicateur", "Valeur"], _indicator_sheet(indicators)),
    ]


# What a meeting's audience may see of each candidate: no name, phone, e-mail, address, family situation, typed
# note or exact date (a month is enough to count and too coarse to recognise someone by), and a row number of the
# table instead of the team's file number.
DEIDENTIFIED_HEADERS = ["Ligne", "Profession", "Source", "Premier contact (mois)", "Statut", "Entretien fait (mois)",
                        "Croisement dans les délais", "Lieux proposés", "Lieux contactés", "Lieux visités",
                        "Suivis faits", "EPCI d'installation", "Installation (mois)"]


def _month(value: Any) -> str:
    day = day_of(value)
    return day.strftime("%m/%Y") if day else ""


def deidentified_rows(data, rows: list[Mapping[str, Any]]) -> Iterator[list[Any]]:
    """The candidates of a summary's table, one row each, with nothing that names or describes a person."""
    professions = NEW_CANDIDATE.question("profession")
    sources = NEW_CANDIDATE.question("source")
    grouped = proposals_by_candidate(data)
    done = Counter(f["candidate_id"] for f in data.follow_ups if f["done_at"])
    for line, c in enumerate(sorted(rows, key=lambda c: (str(c["first_contact"]), c["id"])), start=1):
        proposals = grouped.get(c["id"], [])
        croisement = data.croisements.get(c["id"])
        visit = data.visits.get(c["id"])
        installed = data.commune_epci.get(name_key(c["installed_commune"] or ""), "") if c["installed_commune"] else ""
        yield [
            line, professions.option_label(c["profession"]), sources.option_label(c["source"]),
            _month(c["first_contact"]), Status(c["status"]).label, _month(c["interview_done_at"]),
            ("oui" if croisement["on_time"] else "non") if croisement else "",
            len(proposals), sum(1 for p in proposals if p["chosen"]), len(visit["sites"]) if visit else 0,
            done[c["id"]], EPCI_LABELS.get(installed, installed), _month(c["installed_on"]),
        ]


def audience_workbook(data, filters: Filters, ind: Indicators | Callable[[], Indicators], audience: str) -> bytes:
    """The table that goes with a meeting's summary: its indicators and the sites' equity for everyone, and for
    the professionals, the Ordre and the funders the period's candidates de-identified; never a name (the
    nominative table is /export, for the team)."""
    indicators = _once(ind)
    sheets = [("Indicateurs", ["Indicateur", "Valeur"], _indicator_sheet(indicators))]
    if audience != "elus":  # the élus get counts only
        sheets.insert(0, ("Dossiers", DEIDENTIFIED_HEADERS, deidentified_rows(data, selected(data, filters))))
    sheets.append(("Lieux", SITE_HEADERS, _site_rows(data, indicators)))
    return write_xlsx(sheets)


def candidates_csv(data, filters: Filters) -> bytes:
    """The Candidats sheet as CSV."""
    return write_csv(CANDIDATE_HEADERS, candidate_rows(data, selected(data, filters)))
