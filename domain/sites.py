"""Practice sites (lieux d'exercice): the form that adds one, its card, its spreadsheet columns. Telegram-free."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from domain.candidates import PROFESSIONS
from domain.forms import (
    EMAIL_PATTERN,
    MAX_LENGTH,
    NAME_LENGTH,
    SHORT_ANSWER,
    Form,
    InvalidAnswer,
    Kind,
    Option,
    Question,
    count,
    display,
    match_option,
    normalise_phone,
    unprintable,
)
from domain.matching import SITE_MODES, SITE_TYPES, SiteFacts
from domain.territory import EPCI_LABELS

TYPES = tuple(Option(k, v) for k, v in SITE_TYPES.items())
STATUSES = (Option("en_fonctionnement", "En fonctionnement"), Option("en_projet", "En projet"))
MODES = tuple(Option(k, v.capitalize()) for k, v in SITE_MODES.items())
SOUGHT_PROFESSIONS = tuple(o for o in PROFESSIONS if o.key != "autre")

SITE_FORM = Form("lieu", "Nouveau lieu d'exercice", (
    Question("name", "Nom", "<b>Nom</b> du lieu d'exercice ?", Kind.TEXT, max_length=NAME_LENGTH, hint="Par exemple « MSP de Conliège ».",
             single_line=True, name=True),
    Question("type", "Type", "<b>Type</b> de lieu ?", Kind.CHOICE, TYPES),
    Question("status", "Statut", "<b>Statut</b> ?", Kind.CHOICE, STATUSES),
    Question("commune", "Commune", "<b>Commune</b> ?", Kind.TEXT, max_length=NAME_LENGTH, hint="Par exemple « Lons-le-Saunier ».",
             single_line=True, name=True),
    Question("professions_sought", "Professions recherchées", "<b>Professions recherchées</b> ?", Kind.MULTI,
             SOUGHT_PROFESSIONS),
    Question("professions_present", "Professions présentes", "<b>Professions présentes</b> ?", Kind.MULTI,
             SOUGHT_PROFESSIONS, optional=True),
    Question("modes", "Modes d'exercice proposés", "<b>Modes d'exercice</b> proposés ?", Kind.MULTI, MODES),
    Question("pluripro", "Équipe pluriprofessionnelle", "<b>Équipe pluriprofessionnelle</b> ?", Kind.YESNO),
    Question("premises_available", "Locaux disponibles", "<b>Locaux disponibles</b> ?", Kind.YESNO),
    Question("premises", "Locaux", "Précisez les <b>locaux</b> (surface, accessibilité…) :", Kind.TEXT, optional=True,
             when=lambda a: a.get("premises_available") is True),
    Question("rent", "Loyer", "<b>Loyer</b> ou participation aux frais ?", Kind.TEXT, optional=True),
    Question("secretariat", "Secrétariat", "<b>Secrétariat</b> ?", Kind.TEXT, optional=True),
    Question("commune_involvement", "Implication de la commune", "<b>Implication de la commune</b> ?", Kind.TEXT,
             optional=True),
    Question("projet_sante", "Projet de santé", "Le <b>projet de santé</b> en quelques mots ?", Kind.TEXT, optional=True),
    Question("dynamique", "Dynamique", "Une note sur sa <b>dynamique</b> ?", Kind.TEXT, optional=True),
    Question("contact_name", "Contact", "<b>Personne à contacter</b> ?", Kind.TEXT, optional=True,
             max_length=NAME_LENGTH, single_line=True, name=True),
    Question("contact_phone", "Téléphone du contact", "Son <b>téléphone</b> ?", Kind.PHONE, optional=True),
    Question("contact_email", "E-mail du contact", "Son <b>e-mail</b> ?", Kind.EMAIL, optional=True),
    Question("contact_telegram", "Telegram du contact", "Son identifiant <b>Telegram</b> (@…) ?", Kind.TEXT,
             optional=True, max_length=NAME_LENGTH, single_line=True),
))
CORRECTABLE = tuple(q.key for q in SITE_FORM.questions)


def label_of(options: tuple[Option, ...], keys: list[str]) -> str:
    labels = {o.key: o.label for o in options}
    return ", ".join(labels.get(k, k) for k in keys) or "—"


def facts(site: Any) -> SiteFacts:
    return SiteFacts(
        id=site.id, name=site.name, type=site.type, commune=site.commune, epci=site.epci,
        professions_sought=frozenset(site.professions_sought), modes=frozenset(site.modes), pluripro=site.pluripro,
        premises_available=site.premises_available, has_secretariat=bool(site.secretariat),
        dynamique=site.dynamique, in_project=site.status == "en_projet",
    )


def list_line(site: Any) -> str:
    return (f"<b>n° {site.id}</b> · {escape(site.name)} · {SITE_TYPES.get(site.type, site.type)} · "
            f"{escape(site.commune)} ({EPCI_LABELS.get(site.epci, site.epci)})\n    ↳ recherche : "
            f"{escape(label_of(SOUGHT_PROFESSIONS, site.professions_sought).lower())}")


def card(site: Any, contacts: list[str], exposure: tuple[int, int]) -> str:
    s = site
    yes = {True: "oui", False: "non"}
    lines = [
        f"🏥 <b>Lieu n° {s.id} — {escape(s.name)}</b>",
        f"Type : {SITE_TYPES.get(s.type, s.type)} · {'en projet' if s.status == 'en_projet' else 'en fonctionnement'}",
        f"Commune : {escape(s.commune)} ({EPCI_LABELS.get(s.epci, s.epci)})",
        f"Professions recherchées : {escape(label_of(SOUGHT_PROFESSIONS, s.professions_sought))}",
        f"Professions présentes : {escape(label_of(SOUGHT_PROFESSIONS, s.professions_present))}",
        f"Modes proposés : {escape(label_of(MODES, s.modes))}",
        f"Équipe pluriprofessionnelle : {yes[s.pluripro]}",
        f"Locaux disponibles : {yes[s.premises_available]}" + (f" — {escape(s.premises)}" if s.premises else ""),
    ]
    for label, value in (("Loyer", s.rent), ("Secrétariat", s.secretariat), ("Implication de la commune",
                         s.commune_involvement), ("Projet de santé", s.projet_sante), ("Dynamique", s.dynamique)):
        if value:
            lines.append(f"{label} : {escape(value)}")
    contact = " · ".join(escape(v) for v in (s.contact_name, s.contact_phone, s.contact_email, s.contact_telegram) if v)
    lines.append(f"Contact : {contact or '—'}")
    lines.append("Sur Telegram : " + (escape(", ".join(contacts)) if contacts else "personne (🔗 Inviter un contact)"))
    lines.append(f"📊 Proposé {exposure[0]} fois, contacté {exposure[1]} fois sur 12 mois")
    return "\n".join(lines)


# --- the spreadsheet -----------------------------------------------------------------------------------

COLUMNS: tuple[tuple[str, str], ...] = (
    ("Nom", "name"), ("Type", "type"), ("Statut", "status"), ("Commune", "commune"),
    ("Professions recherchées", "professions_sought"), ("Professions présentes", "professions_present"),
    ("Modes", "modes"), ("Équipe pluriprofessionnelle", "pluripro"), ("Locaux disponibles", "premises_available"),
    ("Locaux", "premises"), ("Loyer", "rent"), ("Secrétariat", "secretariat"),
    ("Implication de la commune", "commune_involvement"), ("Projet de santé", "projet_sante"),
    ("Dynamique", "dynamique"), ("Contact", "contact_name"), ("Téléphone", "contact_phone"),
    ("E-mail", "contact_email"), ("Telegram", "contact_telegram"),
)
REQUIRED = ("name", "type", "commune")


def export_row(site: Any) -> list[Any]:
    out = []
    for _, key in COLUMNS:
        value = site.commune if key == "commune" else getattr(site, key)
        if key == "type":
            value = SITE_TYPES.get(value, value)
        elif key == "status":
            value = "En projet" if value == "en_projet" else "En fonctionnement"
        elif key in ("professions_sought", "professions_present"):
            value = label_of(SOUGHT_PROFESSIONS, value)
        elif key == "modes":
            value = label_of(MODES, value)
        elif isinstance(value, bool):
            value = "oui" if value else "non"
        out.append(value)
    return out


def _choice(options: tuple[Option, ...], text: str) -> str | None:
    return match_option(Question("x", "x", "x", Kind.CHOICE, options), text)


def _read(key: str, text: str, find_commune: Callable[[str], tuple[int, str] | None]) -> Any:
    """One cell's value, or InvalidAnswer with the reason in French."""
    question = SITE_FORM.question(key)
    limit = question.max_length or MAX_LENGTH.get(question.kind, SHORT_ANSWER)
    if len(text) > limit:
        raise InvalidAnswer(f"{count(len(text))} caractères, {count(limit)} au plus")
    problem = unprintable("la valeur", text, name=question.name,
                          single_line=question.single_line or question.kind in (Kind.PHONE, Kind.EMAIL))
    if problem:
        raise InvalidAnswer(problem)
    if key == "type":
        found = _choice(TYPES, text)
        if not found:
            raise InvalidAnswer(f"« {text} » n'est pas un type connu ({', '.join(SITE_TYPES.values())})")
        return found
    if key == "status":
        return _choice(STATUSES, text) or _bad(text, "En fonctionnement ou En projet")
    if key == "commune":
        found = find_commune(text)
        if not found:
            raise InvalidAnswer(f"commune « {text} » inconnue (ajoutez-la avec /commune_ajouter ou /communes_import)")
        return found
    if key in ("professions_sought", "professions_present", "modes"):
        options = MODES if key == "modes" else SOUGHT_PROFESSIONS
        keys = []
        for part in (p.strip() for p in text.replace(";", ",").split(",") if p.strip()):
            found = _choice(options, part)
            if not found:
                raise InvalidAnswer(f"« {part} » n'est pas reconnu ({', '.join(o.label for o in options)})")
            keys.append(found)
        return keys
    if key in ("pluripro", "premises_available"):
        typed = text.strip().lower()
        if typed in ("", "non", "n", "0", "faux"):
            return False
        if typed in ("oui", "o", "1", "vrai", "x"):
            return True
        return _bad(text, "oui ou non")
    if key == "contact_phone":
        return normalise_phone(text) if text else None
    if key == "contact_email":
        if text and not EMAIL_PATTERN.fullmatch(text):
            raise InvalidAnswer(f"« {text} » n'est pas une adresse e-mail valide")
        return text.lower() or None
    return text or None


def _bad(text: str, expected: str):
    raise InvalidAnswer(f"« {text} » : attendu {expected}")


def parse_sites(rows: list[list[str]], find_commune: Callable[[str], tuple[int, str] | None]
                ) -> tuple[list[dict[str, Any]], list[str]]:
    """Every row checked; returns the sites and, if any, every error as "Ligne N, colonne « X » : …"."""
    if not rows:
        return [], ["Le fichier est vide."]
    header = [h.strip().lower() for h in rows[0]]
    index: dict[str, int] = {}
    for title, key in COLUMNS:
        if title.lower() in header:
            index[key] = header.index(title.lower())
    missing = [title for title, key in COLUMNS if key in REQUIRED and key not in index]
    if missing:
        return [], [f"Colonne(s) manquante(s) en ligne 1 : {', '.join(missing)}. Colonnes attendues : "
                    f"{', '.join(t for t, _ in COLUMNS)}."]
    titles = dict((key, title) for title, key in COLUMNS)
    sites, errors = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values: dict[str, Any] = {"status": "en_fonctionnement"}
        for key, col in index.items():
            text = row[col].strip() if col < len(row) else ""
            if not text and key in REQUIRED:
                errors.append(f"Ligne {number}, colonne « {titles[key]} » : valeur obligatoire manquante")
                continue
            if not text and key == "status":
                continue
            try:
                value = _read(key, text, find_commune)
            except InvalidAnswer as err:
                errors.append(f"Ligne {number}, colonne « {titles[key]} » : {err}")
                continue
            if key == "commune":
                values["commune_id"] = value[0]
            else:
                values[key] = value
        sites.append(values)
    return sites, errors


def commune_rows(rows: list[list[str]], epci_of: Callable[[str], str | None]
                 ) -> tuple[list[tuple[str, str | None, str]], list[str]]:
    """(name, insee, epci) from a communes spreadsheet with columns Nom, INSEE, EPCI."""
    if not rows:
        return [], ["Le fichier est vide."]
    header = [h.strip().lower() for h in rows[0]]
    if "nom" not in header or "epci" not in header:
        return [], ["Colonnes attendues en ligne 1 : Nom, INSEE, EPCI."]
    name_col, epci_col = header.index("nom"), header.index("epci")
    insee_col = header.index("insee") if "insee" in header else None
    out, errors = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cell = lambda col: row[col].strip() if col is not None and col < len(row) else ""  # noqa: E731
        name, epci_text, insee = cell(name_col), cell(epci_col), cell(insee_col) or None
        epci = epci_of(epci_text)
        if not name:
            errors.append(f"Ligne {number}, colonne « Nom » : valeur obligatoire manquante")
        if epci is None:
            errors.append(f"Ligne {number}, colonne « EPCI » : « {epci_text} » n'est pas un des 4 EPCI "
                          f"({', '.join(EPCI_LABELS.values())})")
        if insee and not (len(insee) == 5 and insee[:2].isalnum() and insee[2:].isdigit()):
            errors.append(f"Ligne {number}, colonne « INSEE » : « {insee} » n'est pas un code INSEE (5 caractères)")
        if name and epci:
            out.append((name, insee, epci))
    return out, errors


def display_value(key: str, value: Any) -> str:
    """A site field as shown in a correction's confirmation."""
    return display(SITE_FORM.question(key), value)
