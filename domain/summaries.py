"""Meeting summaries: what each audience needs and nothing more, compared with the previous period, with a chart.
Telegram-free."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from domain.candidates import NEW_CANDIDATE
from domain.dates import format_date, normalise
from domain.indicators import Indicators, Period
from domain.territory import EPCI_LABELS


@dataclass(frozen=True)
class MeetingKind:
    key: str
    title: str
    audience: str  # elus | professionnels | ordre | financeurs
    months: int  # cadence
    defaults: tuple[tuple[int, int], ...]  # (month, day) of the default dates

    @property
    def file_name(self) -> str:
        """How the files sent for this kind of meeting are named ("cpam-ars")."""
        return self.key.replace("_", "-")


MEETING_KINDS = {
    "copil": MeetingKind("copil", "Copil CLS", "elus", 12, ((6, 15),)),
    "coordination": MeetingKind("coordination", "Réunion de coordination des pôles santé", "professionnels", 3,
                                ((3, 15), (6, 15), (9, 15), (12, 15))),
    "cdom": MeetingKind("cdom", "Réunion de travail CDOM", "ordre", 6, ((4, 15), (10, 15))),
    "maires": MeetingKind("maires", "Conférence des maires", "elus", 12, ((11, 15),)),
    "cpam_ars": MeetingKind("cpam_ars", "Dialogue de gestion CPAM/ARS", "financeurs", 3, ((3, 1), (6, 1), (9, 1), (12, 1))),
}
ALIASES = {"copil": "copil", "cls": "copil", "coordination": "coordination", "poles": "coordination",
           "pole": "coordination", "cdom": "cdom", "ordre": "cdom", "maires": "maires", "conference": "maires",
           "cpam": "cpam_ars", "ars": "cpam_ars", "dialogue": "cpam_ars", "financeurs": "cpam_ars"}

NEEDS = {"logement": ("logement", "loger", "appartement", "maison"), "emploi du conjoint": ("conjoint", "emploi"),
         "locaux": ("locaux", "local", "bureau", "cabinet"), "secrétariat": ("secretariat", "secretaire"),
         "scolarité, garde d'enfants": ("ecole", "scolar", "creche", "garde", "enfant"),
         "réseau, accueil": ("reseau", "accueil", "integration", "contacts")}


# Each word matched at a word's start ("scolar" finds "scolarité"), whatever its accents and capitals: one pattern
# for all needs, run once on each candidate's answers as typed (normalising 7,000 answers first took most of a
# yearly summary's time). The group that matched names the need.
_ACCENTED = {"a": "[aàâä]", "c": "[cç]", "e": "[eéèêë]", "i": "[iîï]", "o": "[oôö]", "u": "[uùûü]", "y": "[yÿ]"}


def _any_accents(word: str) -> str:
    return "".join(_ACCENTED.get(letter, re.escape(letter)) for letter in word)


_NEED_NAMES = list(NEEDS)
NEED_PATTERN = re.compile(r"\b(?:" + "|".join(f"(?P<n{i}>{'|'.join(map(_any_accents, words))})"
                                               for i, words in enumerate(NEEDS.values())) + ")", re.IGNORECASE)
NEED_TEXTS = ("besoins", "locaux", "logement_besoins", "conjoint", "scolarite")  # free answers searched
SPOUSE_HELP = "conjoint_aide"  # "does the spouse need help finding work?"


def kind_of(word: str) -> str | None:
    return ALIASES.get(normalise(word).replace("-", "").replace("/", ""))


def default_dates(kind: MeetingKind, after: date, count: int = 1) -> list[date]:
    """The protocol's cadence: the next default dates of a kind of meeting after a day."""
    out, year = [], after.year
    while len(out) < count:
        for month, day in kind.defaults:
            candidate = date(year, month, day)
            if candidate > after:
                out.append(candidate)
                if len(out) == count:
                    break
        year += 1
    return out


def needs_expressed(answers: Iterable[tuple[str, bool]]) -> Counter:
    """How many candidates expressed each kind of need at their interview, from each one's free answers (joined in
    one text) and whether they asked help for their spouse's job (storage.reporting.interview_texts). No names."""
    counts: Counter = Counter()
    spouse_help = 0
    for text, helped in answers:
        for need in {match.lastgroup for match in NEED_PATTERN.finditer(text)}:
            counts[_NEED_NAMES[int(need[1:])]] += 1
        spouse_help += helped
    if spouse_help:
        counts["emploi du conjoint"] = max(counts["emploi du conjoint"], spouse_help)
    return counts


def _delta(now: int, before: int) -> str:
    diff = now - before
    return f" ({'+' if diff > 0 else ''}{diff} par rapport à la période précédente)" if diff else " (stable)"


def _funnel_lines(cur: Indicators, prev: Indicators) -> list[str]:
    return [f"• {name} : <b>{now}</b>{_delta(now, before)}" for (name, now), (_, before) in zip(cur.funnel, prev.funnel, strict=True)]


def summary(kind: MeetingKind, cur: Indicators, prev: Indicators, *, meeting_day: date | None,
            needs: Counter, site_names: dict[int, str]) -> str:
    """The summary text for a meeting's audience. Never a candidate's name, phone or e-mail."""
    when = f" du {format_date(meeting_day)}" if meeting_day else ""
    period = cur.period
    lines = [f"📊 <b>Synthèse — {kind.title}{when}</b>",
             f"Période : du {format_date(period.start)} au {format_date(period.end.fromordinal(period.end.toordinal() - 1))}, "
             f"comparée à la période précédente de même durée.", "", "<b>Parcours</b>", *_funnel_lines(cur, prev)]
    if kind.audience == "elus":
        lines += ["", "<b>Par territoire</b>"]
        for epci, label in EPCI_LABELS.items():
            counter = cur.epci.get(epci, Counter())
            communes = sorted({i["commune"] for i in cur.installations if i["epci"] == epci and i["commune"]})
            lines.append(f"• {label} : {counter['visited']} visite(s) de lieux, {counter['installations']} "
                         f"installation(s)" + (f" ({', '.join(communes)})" if communes else ""))
    if kind.audience in ("professionnels", "ordre"):
        lines += ["", "<b>Lieux d'exercice proposés et visités</b>"]
        ranked = sorted(cur.sites.items(), key=lambda p: (-p[1]["visited"], -p[1]["proposed"]))[:10]
        lines += [f"• {site_names.get(sid, '?')} : proposé {c['proposed']}, contacté {c['contacted']}, visité {c['visited']}"
                  for sid, c in ranked] or ["Aucun lieu proposé sur la période."]
        lines += ["", "<b>Besoins exprimés par les candidats</b>"]
        # the most expressed first, equal counts in the order needs are listed (not in the order they were met)
        ranked = sorted(needs.items(), key=lambda item: (-item[1], _NEED_NAMES.index(item[0])))
        lines += [f"• {need} : {n} candidat(s)" for need, n in ranked] or ["Aucun besoin noté."]
    if kind.audience in ("professionnels", "ordre", "elus"):
        professions = Counter(i["profession"] for i in cur.installations)
        lines += ["", "<b>Installations</b>"]
        lines += [f"• {NEW_CANDIDATE.question('profession').option_label(p)} : {n}" for p, n in professions.most_common()] \
            or ["Aucune installation sur la période."]
    if kind.audience == "financeurs":
        on_time = f"{cur.pct_on_time} %" if cur.pct_on_time is not None else "—"
        answer_rate = f"{round(100 * cur.sites_answering / cur.sites_asked)} %" if cur.sites_asked else "—"
        lines += ["", "<b>Mission ACI « accompagner les professionnels de santé sur le territoire »</b>",
                  f"• Croisements faits dans les 10 jours : {on_time}",
                  f"• Sondages envoyés : {cur.polls_sent} ; lieux ayant répondu : {answer_rate}",
                  f"• Débriefings : {cur.debriefs['soir']} le soir même, {cur.debriefs['distance']} à distance",
                  f"• Abandons : {cur.abandons}{_delta(cur.abandons, prev.abandons)}"]
        for months in (3, 6, 12):
            if cur.follow_ups_due[months]:
                lines.append(f"• Suivis à {months} mois faits à temps : {cur.follow_ups_on_time[months]} sur "
                             f"{cur.follow_ups_due[months]}")
        delays = [f"{name} {days:g} j" for name, days in cur.delays.items() if days is not None]
        if delays:
            lines.append(f"• Délais médians : {', '.join(delays)}")
    return "\n".join(lines)


def chart(cur: Indicators, prev: Indicators, title: str) -> bytes:
    """A PNG: the pipeline funnel, installations per EPCI, and the trend against the previous period."""
    # loaded only when a chart is drawn: it is slow to import. A Figure of its own, without pyplot's global state,
    # can be drawn in a worker thread.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(15, 4.8), dpi=100)
    funnel, per_epci, trend = figure.subplots(1, 3)
    names = [n for n, _ in cur.funnel]
    values = [v for _, v in cur.funnel]
    funnel.barh(names[::-1], values[::-1], color="#2a7ab0")
    funnel.set_title("Parcours des candidats")
    for i, v in enumerate(values[::-1]):
        funnel.text(v, i, f" {v}", va="center")
    epcis = list(EPCI_LABELS)
    per_epci.bar([EPCI_LABELS[e].replace("CC ", "") for e in epcis],
                 [cur.epci.get(e, Counter())["installations"] for e in epcis], color="#3c9d5d")
    per_epci.set_title("Installations par EPCI")
    per_epci.tick_params(axis="x", labelrotation=20)
    positions = range(len(names))
    trend.bar([p - 0.2 for p in positions], [v for _, v in prev.funnel], width=0.4, label="période précédente", color="#bbbbbb")
    trend.bar([p + 0.2 for p in positions], values, width=0.4, label="période", color="#2a7ab0")
    trend.set_xticks(list(positions), names, rotation=20)
    trend.set_title("Évolution")
    trend.legend()
    from matplotlib.ticker import MaxNLocator

    funnel.xaxis.set_major_locator(MaxNLocator(integer=True))  # these are counts of people
    for axis in (per_epci, trend):
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    figure.suptitle(title)
    # the labels are always the same words: fixed margins fit them (tight_layout took half of the drawing time)
    figure.subplots_adjust(left=0.075, right=0.985, bottom=0.2, top=0.85, wspace=0.3)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def covered_period(kind: MeetingKind, meeting_day: date, previous_day: date | None) -> Period:
    """Since the previous meeting of this kind, or one cadence back when there was none."""
    if previous_day is None:
        month = meeting_day.month - kind.months
        year = meeting_day.year + (month - 1) // 12
        previous_day = date(year, (month - 1) % 12 + 1, min(meeting_day.day, 28))
    return Period(previous_day, meeting_day)
