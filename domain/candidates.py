"""Step A: what is asked about a new candidate, and how a candidate's card reads. Telegram-free."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from html import escape
from typing import Any

from domain.dates import PARIS, format_date, format_datetime, format_short
from domain.forms import NAME_LENGTH, SHORT_ANSWER, Form, Kind, Option, Question, display
from domain.indicators import day_of
from domain.pipeline import Status, next_step

PROFESSIONS = (
    Option("medecin_generaliste", "Médecin généraliste"),
    Option("medecin_specialiste", "Médecin spécialiste"),
    Option("chirurgien_dentiste", "Chirurgien-dentiste"),
    Option("sage_femme", "Sage-femme"),
    Option("infirmier", "Infirmier·e"),
    Option("kinesitherapeute", "Masseur-kinésithérapeute"),
    Option("orthophoniste", "Orthophoniste"),
    Option("pharmacien", "Pharmacien·ne"),
    Option("psychologue", "Psychologue"),
    Option("dieteticien", "Diététicien·ne"),
    Option("autre", "Autre"),
)
SOURCES = (
    Option("ars", "ARS"),
    Option("cpam", "CPAM"),
    Option("bouche_a_oreille", "Bouche à oreille"),
    Option("elus", "Élus"),
    Option("site_internet", "Site internet"),
    Option("autre", "Autre"),
)

NEW_CANDIDATE = Form(
    name="nouveau",
    title="Nouveau candidat",
    questions=(
        Question("first_name", "Prénom", "Quel est le <b>prénom</b> du candidat ?", Kind.TEXT, max_length=NAME_LENGTH,
                 single_line=True, name=True),
        Question("last_name", "Nom", "Quel est son <b>nom</b> ?", Kind.TEXT, max_length=NAME_LENGTH, single_line=True,
                 name=True),
        Question("profession", "Profession", "Quelle est sa <b>profession</b> ?", Kind.CHOICE, PROFESSIONS),
        Question(
            "specialty", "Spécialité / précision", "Précisez la <b>spécialité</b> ou la profession :", Kind.TEXT,
            max_length=SHORT_ANSWER, when=lambda a: a.get("profession") in ("medecin_specialiste", "autre"),
        ),
        Question("phone", "Téléphone", "Son <b>téléphone</b> ?", Kind.PHONE, optional=True,
                 hint="Par exemple 06 12 34 56 78."),
        Question("email", "E-mail", "Son adresse <b>e-mail</b> ?", Kind.EMAIL, optional=True),
        Question("source", "Source", "Par qui le candidat nous est-il <b>adressé</b> ?", Kind.CHOICE, SOURCES),
        Question(
            "source_detail", "Précision sur la source", "Précisez la <b>source</b> :", Kind.TEXT,
            max_length=SHORT_ANSWER, when=lambda a: a.get("source") == "autre",
        ),
        Question(
            "first_contact", "Premier contact", "Date du <b>premier contact</b> ?", Kind.DAY,
            hint="Par exemple « aujourd'hui », « hier » ou « 12/11 ».",
            quick=(Option("aujourd'hui", "📅 Aujourd'hui"),),
        ),
        Question(
            "consent", "Consentement au suivi",
            "Le candidat accepte-t-il d'être <b>suivi</b> par le CLS et la CPTS (ses coordonnées et ses besoins "
            "conservés, appels de suivi à 3, 6 et 12 mois) ?", Kind.YESNO,
        ),
        Question(
            "consent_share", "Partage avec les lieux et les élus",
            "Accepte-t-il que son <b>prénom et sa profession</b> soient communiqués aux lieux d'exercice et aux élus "
            "des communes visitées ?", Kind.YESNO, when=lambda a: a.get("consent") is True,
        ),
        Question(
            "interview_at", "Entretien", "<b>Rendez-vous d'entretien</b> proposé : tapez la date et l'heure.",
            Kind.MOMENT, optional=True, future=True, confirm=True, skip_label="⏭ Pas encore de date",
            hint="Par exemple « jeudi 14h », « le 3 décembre à 10h30 » ou « demain matin ».",
        ),
    ),
)

# Fields that can be corrected from the card, in the card's order.
CORRECTABLE = ("first_name", "last_name", "profession", "specialty", "phone", "email", "source", "source_detail",
               "first_contact", "consent", "consent_share", "interview_at")


def profession_label(candidate: Any) -> str:
    label = NEW_CANDIDATE.question("profession").option_label(candidate.profession)
    if candidate.specialty:
        return f"{label} ({candidate.specialty})" if candidate.profession != "autre" else candidate.specialty
    return label


def to_columns(answers: Mapping[str, Any], answered_on: Mapping[str, str]) -> dict[str, Any]:
    """The candidate's columns from the form's answers (dates of answers give the consent's date)."""
    values = {q.key: answers.get(q.key) for q in NEW_CANDIDATE.applicable(answers)}
    values["consent"] = int(bool(answers.get("consent")))
    values["consent_share"] = int(bool(answers.get("consent")) and bool(answers.get("consent_share")))
    consented = day_of(answered_on.get("consent"))  # answers are stamped to the second (older drafts: the day)
    values["consent_date"] = consented.isoformat() if consented else None
    if values.get("interview_at"):
        values["interview_at"] = to_utc_iso(values["interview_at"])
    return values


def to_utc_iso(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(UTC).isoformat(timespec="seconds")


def column_value_for_display(key: str, value: Any) -> str:
    question = NEW_CANDIDATE.question(key)
    if key == "interview_at" and value:
        value = datetime.fromisoformat(value).astimezone(PARIS).isoformat()
    return display(question, value)


def initial_status(values: Mapping[str, Any]) -> Status:
    return Status.ENTRETIEN_PLANIFIE if values.get("interview_at") else Status.NOUVEAU


def candidate_next_step(candidate: Any, today: date):
    interview_at = datetime.fromisoformat(candidate.interview_at) if candidate.interview_at else None
    done = date.fromisoformat(candidate.interview_done_at[:10]) if candidate.interview_done_at else None
    return next_step(Status(candidate.status), interview_at=interview_at, interview_done=done, today=today)


def list_line(candidate: Any, today: date) -> str:
    step = candidate_next_step(candidate, today)
    late = " ⚠️" if step.late else ""
    return (
        f"<b>n° {candidate.id}</b> · {escape(candidate.full_name)} · {escape(profession_label(candidate))} · "
        f"<i>{Status(candidate.status).label}</i>\n    ↳ {escape(step.text)}{late}"
    )


def _interview_line(c: Any) -> str:
    if c.interview_done_at:
        return f"fait le {format_date(date.fromisoformat(c.interview_done_at[:10]))}"
    return format_datetime(datetime.fromisoformat(c.interview_at)) if c.interview_at else "pas encore fixé"


def card(candidate: Any, events: list, events_total: int, names: Mapping[int, str], today: date) -> str:
    """The candidate's card: fields, status, next step and the dated timeline."""
    c = candidate
    step = candidate_next_step(c, today)
    consent = "oui" + (f" (le {format_short(date.fromisoformat(c.consent_date))})" if c.consent_date else "")
    lines = [
        f"📁 <b>Dossier n° {c.id} — {escape(c.full_name)}</b>",
        f"Profession : {escape(profession_label(c))}",
        f"Téléphone : {escape(c.phone or '—')}",
        f"E-mail : {escape(c.email or '—')}",
        f"Source : {escape(NEW_CANDIDATE.question('source').option_label(c.source))}"
        + (f" ({escape(c.source_detail)})" if c.source_detail else ""),
        f"Premier contact : {format_date(date.fromisoformat(c.first_contact))}",
        f"Consentement au suivi : {consent if c.consent else 'non'}"
        + (" · prénom et profession partageables" if c.consent and c.consent_share else ""),
        "Entretien : " + _interview_line(c),
        f"Statut : <b>{Status(c.status).label}</b>",
        f"Prochaine étape : {escape(step.text)}" + (" ⚠️" if step.late else ""),
        "",
        "🕓 <b>Historique</b>",
    ]
    if events_total > len(events):
        lines.append(f"<i>… {events_total - len(events)} événement(s) plus ancien(s)</i>")
    for e in events:
        who = names.get(e.user_id, "le bot") if e.user_id else "le bot"
        lines.append(f"• {format_short(datetime.fromisoformat(e.at))} — {escape(e.detail)} ({escape(who)})")
    return "\n".join(lines)
