"""Step B: the interview's questionnaire, as data. Wording and order change here, never in the flow.

The CPTS side leads the professional project, the CLS side the professional and family environment
(protocol 07.2023, step B). Every question may be skipped during the interview.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.forms import Form, Kind, Option, Question

EPCI = (
    Option("bresse_haute_seille", "CC Bresse Haute Seille"),
    Option("ecla", "ECLA (Lons Agglomération)"),
    Option("terre_emeraude", "CC Terre d'Émeraude"),
    Option("porte_du_jura", "CC Porte du Jura"),
    Option("tout", "Tout le territoire"),
)
YES_NO_ANY = (Option("oui", "Oui"), Option("non", "Non"), Option("indifferent", "Indifférent"))

HESITANT_PROMPT = "Comment pourriez-vous faciliter mon installation ?"
DYNAMIQUE_PROMPT = ("Pourrions-nous vous présenter un professionnel qui ne coche pas tous vos critères mais qui "
                    "porte une belle dynamique ?")

INTRO = "Présentation"
CPTS = "Projet professionnel (CPTS)"
CLS = "Environnement professionnel et familial (CLS)"
NEEDS = "Besoins et notes"


def _has_children(answers: Mapping[str, Any]) -> bool:
    return (answers.get("enfants") or 0) > 0


INTERVIEW = Form(
    name="entretien",
    title="Entretien",
    questions=(
        Question("deroule", "Déroulé présenté", "Les <b>étapes de l'accompagnement</b> ont-elles été présentées ?",
                 Kind.YESNO, section=INTRO),
        Question("motivations", "Motivations", "Quelles sont les <b>motivations</b> du candidat ?", Kind.TEXT,
                 section=INTRO),
        Question("calendrier", "Calendrier du projet", "<b>Calendrier</b> du projet d'installation ?", Kind.CHOICE,
                 (Option("court", "Court terme (< 6 mois)"), Option("moyen", "Moyen terme (6–18 mois)"),
                  Option("long", "Long terme (> 18 mois)")), section=INTRO),
        Question("echeance", "Échéance visée", "Une <b>date visée</b> ?", Kind.TARGET, section=INTRO, confirm=True,
                 hint="Par exemple « septembre 2027 », « d'ici l'été », « début 2028 »."),
        Question("disponibilites", "Disponibilités pour les visites",
                 "<b>Disponibilités</b> pour visiter les lieux d'exercice ?", Kind.AVAILABILITY, section=INTRO,
                 confirm=True, hint="Par exemple « les mardis de janvier », « semaine du 12 janvier », "
                                    "« 15 et 16 janvier », « tous les jeudis après-midi »."),
        Question("exercice", "Exercice", "Exercice <b>isolé ou regroupé</b> ?", Kind.CHOICE,
                 (Option("isole", "Isolé"), Option("regroupe", "Regroupé"), Option("indifferent", "Indifférent")),
                 section=CPTS, owner="cpts"),
        Question("equipe_pluripro", "Équipe pluriprofessionnelle", "Souhaite-t-il une <b>équipe pluriprofessionnelle</b> ?",
                 Kind.CHOICE, YES_NO_ANY, section=CPTS, owner="cpts"),
        Question("modes", "Mode d'exercice", "<b>Mode d'exercice</b> envisagé ? (plusieurs réponses possibles)", Kind.MULTI,
                 (Option("liberal", "Libéral"), Option("salarie", "Salarié"), Option("mixte", "Mixte"),
                  Option("remplacant", "Remplaçant"), Option("indecis", "Indécis")), section=CPTS, owner="cpts"),
        Question("temps_travail", "Temps de travail souhaité", "<b>Temps de travail</b> souhaité ?", Kind.TEXT,
                 section=CPTS, owner="cpts", hint="Par exemple « temps plein », « 4 jours par semaine »."),
        Question("pratique_actuelle", "Pratique actuelle", "<b>Pratique actuelle</b> : où, comment ?", Kind.TEXT,
                 section=CPTS, owner="cpts"),
        Question("dynamiques", "Dynamiques recherchées", "Quelles <b>dynamiques</b> recherche-t-il ?", Kind.TEXT,
                 section=CPTS, owner="cpts"),
        Question("territoires", "Territoires souhaités", "<b>Territoires</b> souhaités ? (plusieurs réponses possibles)",
                 Kind.MULTI, EPCI, section=CPTS, owner="cpts"),
        Question("communes", "Communes citées", "Des <b>communes</b> en particulier ?", Kind.TEXT, section=CPTS,
                 owner="cpts", hint="Par exemple « Lons-le-Saunier, Conliège »."),
        Question("criteres", "Critères", "Ses <b>critères</b> sont-ils bien définis, ou est-il ouvert ?", Kind.CHOICE,
                 (Option("definis", "Critères bien définis"), Option("ouvert", "Ouvert")), section=CPTS, owner="cpts"),
        Question("belle_dynamique", "Ouvert à une belle dynamique",
                 "Critères bien définis : posez-lui la question ci-dessous. Est-il <b>ouvert à une belle dynamique</b> ?",
                 Kind.YESNO, section=CPTS, owner="cpts", note=DYNAMIQUE_PROMPT,
                 when=lambda a: a.get("criteres") == "definis"),
        Question("locaux", "Locaux d'exercice", "Besoins en <b>locaux d'exercice</b> ?", Kind.TEXT, section=CLS,
                 owner="cls"),
        Question("famille", "Situation familiale", "<b>Situation familiale</b> ?", Kind.TEXT, section=CLS, owner="cls"),
        Question("enfants", "Nombre d'enfants", "Combien d'<b>enfants</b> ?", Kind.NUMBER, section=CLS, owner="cls",
                 minimum=0, maximum=15),
        Question("enfants_ages", "Âges des enfants", "<b>Âges</b> des enfants ?", Kind.TEXT, section=CLS, owner="cls",
                 when=_has_children),
        Question("logement", "Logement", "<b>Logement</b> recherché ?", Kind.CHOICE,
                 (Option("location", "Location"), Option("achat", "Achat"), Option("temporaire", "Temporaire"),
                  Option("deja_loge", "Déjà logé"), Option("indecis", "Indécis")), section=CLS, owner="cls"),
        Question("logement_besoins", "Besoins de logement", "Des <b>besoins particuliers</b> pour le logement ?",
                 Kind.TEXT, section=CLS, owner="cls"),
        Question("conjoint", "Emploi du conjoint", "<b>Emploi du conjoint</b> : quelle profession ?", Kind.TEXT,
                 section=CLS, owner="cls"),
        Question("conjoint_aide", "Aide pour l'emploi du conjoint", "Le conjoint souhaite-t-il de l'<b>aide</b> pour trouver un emploi ?",
                 Kind.YESNO, section=CLS, owner="cls", when=lambda a: bool(a.get("conjoint"))),
        Question("scolarite", "Scolarité, accueil de mineurs", "<b>Scolarité</b>, accueil collectif de mineurs : des besoins ?",
                 Kind.TEXT, section=CLS, owner="cls", when=_has_children),
        Question("loisirs", "Loisirs", "<b>Loisirs</b> ?", Kind.TEXT, section=CLS, owner="cls"),
        Question("besoins", "Besoins pour faciliter l'installation",
                 "<b>Besoins</b> pour faciliter l'installation ? À un candidat hésitant, demandez :", Kind.TEXT,
                 section=NEEDS, note=HESITANT_PROMPT),
        Question("notes", "Notes libres", "<b>Notes libres</b> des intervieweurs ?", Kind.TEXT, section=NEEDS),
    ),
)


def open_to_dynamics(answers: Mapping[str, Any]) -> bool:
    """Whether the croisement may show sites that miss a criterion but carry a belle dynamique."""
    return answers.get("criteres") == "ouvert" or answers.get("belle_dynamique") is True
