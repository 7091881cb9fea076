"""Synthetic data at scale: candidates with French names, practice sites in the communes of the 4 EPCI, interviews,
croisements, polls, visits, follow-ups and reminders, as the bot itself would have stored them.

`python -m bench.synthetic data.sqlite3` writes a database; the benchmarks build theirs with ``generate``.
Everything is drawn from one seeded random generator: the same arguments give the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from domain.candidates import PROFESSIONS, SOURCES
from domain.dates import PARIS
from domain.forms import Kind, read_answer
from domain.interview import INTERVIEW
from domain.matching import SITE_MODES, SITE_TYPES
from domain.pipeline import Status
from domain.reminders import PROTOCOL_KINDS
from domain.territory import STARTER_COMMUNES, name_key
from sandbox.sandbox import TEAM, TEAM_CHAT_ID
from storage import bulk, members, territory
from storage.db import Database

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)  # the benchmarks' Monday morning
CONTACT_IDS = 7_000_000  # Telegram ids of the sites' contacts: CONTACT_IDS + n

FIRST_NAMES = (
    "Camille Léa Manon Chloé Emma Inès Sarah Julie Marion Pauline Claire Anne Sophie Lucie Élise Mathilde Juliette "
    "Margaux Charlotte Amandine Céline Aurélie Hélène Nathalie Agathe Louise Jeanne Salomé Nora Yasmine "
    "Thomas Nicolas Julien Maxime Antoine Hugo Lucas Louis Paul Pierre Mathieu Romain Vincent Guillaume Benoît "
    "Arnaud Quentin Clément Étienne Baptiste Olivier François Jérôme Karim Mehdi Théo Adrien Rémi Florian Loïc"
).split()
LAST_NAMES = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèbvre Michel Garcia "
    "David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont Lambert Bonnet François "
    "Martinez Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry Roussel Nicolas Perrin Morin Mathieu "
    "Clément Gauthier Dumont Lopez Fontaine Chevalier Robin Masson Sanchez Gérard Nguyen Boyer Denis Lemaire "
    "Duval Joly Gautier Roger Roche Roy Noël Meyer Lucas Meunier Jean Pérez Marchand Dufour Blanchard Marie "
    "Barbier Brun Dumas Brunet Schmitt Leroux Colin Fernandez Pierre Renard Arnaud Rolland Caron Aubert Giraud "
    "Vuillermoz Jeunet Grappe Cretin Mivelle Bourgeois Cuenot Jacquin Prost Grandvaux"
).split()
# how often each profession and source comes up (weights in the order of domain.candidates)
PROFESSION_WEIGHTS = (30, 8, 8, 5, 18, 12, 6, 4, 5, 2, 2)
SOURCE_WEIGHTS = (30, 20, 30, 8, 8, 4)
# where candidates stand, roughly as a team a few years in would see it
STATUS_WEIGHTS = {
    Status.NOUVEAU: 6, Status.ENTRETIEN_PLANIFIE: 6, Status.ENTRETIEN_FAIT: 10, Status.CROISEMENT: 12,
    Status.VISITES_PLANIFIEES: 8, Status.VISITES_FAITES: 8, Status.SUIVI: 22, Status.INSTALLE: 14,
    Status.EN_REFLEXION: 6, Status.ABANDON: 8,
}
ORDER = list(Status)[:8]  # the straight road, before the side exits
SITE_KINDS = list(SITE_TYPES)
TEXTS = {
    "motivations": ["Cadre de vie, proximité de la famille", "Quitter l'exercice hospitalier", "Travailler en équipe",
                    "Retour dans le Jura après l'internat", "Projet de couple, le conjoint est muté à Lons"],
    "temps_travail": ["Temps plein", "4 jours par semaine", "3 jours au début"],
    "pratique_actuelle": ["Remplaçant en Bresse", "Salarié en centre hospitalier", "Interne à Besançon"],
    "dynamiques": ["Maison de santé avec projet de santé", "Équipe jeune", "Exercice coordonné"],
    "communes": ["Lons-le-Saunier", "Conliège, Perrigny", "Bletterans", "Orgelet"],
    "locaux": ["Un bureau avec salle d'attente", "Locaux partagés", "Aucun besoin"],
    "famille": ["En couple, deux enfants", "Célibataire", "Marié·e"],
    "enfants_ages": ["4 et 7 ans", "18 mois", "12 ans"],
    "logement_besoins": ["Maison avec jardin", "Près d'une gare", "Aucun"],
    "conjoint": ["Professeur des écoles", "Infirmière", "Ingénieur"],
    "scolarite": ["École maternelle", "Collège à Lons", "Périscolaire"],
    "loisirs": ["Randonnée, ski de fond", "Musique", "Escalade"],
    "besoins": ["Aide pour trouver un logement", "Présentation aux confrères", "Emploi du conjoint"],
    "notes": ["Très motivé·e", "À relancer en janvier", "Hésite avec la Haute-Savoie"],
}


@dataclass(frozen=True)
class Sizes:
    candidates: int = 10_000
    sites: int = 500
    visits: int = 5_000
    reminders: int = 30_000
    contacts: int = 200  # sites' contacts on Telegram (one per site, the first ones)


def _contact_site(turn: int, contacts: int) -> int:
    """The site of the ``turn``-th contact, in turn: 1, 2, ..., contacts, 1, ..."""
    return turn % contacts + 1


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _phone(rng: random.Random) -> str:
    return "0" + rng.choice("67") + " " + " ".join(f"{rng.randrange(100):02d}" for _ in range(4))


def _answer_values(rng: random.Random) -> dict[str, object]:
    """One interview's answers, in the shape the interview stores them."""
    values: dict[str, object] = {}
    for q in INTERVIEW.questions:
        if q.when is not None and not q.when(values):
            continue
        if q.kind == Kind.TEXT:
            values[q.key] = rng.choice(TEXTS.get(q.key, ["RAS"]))
        elif q.kind == Kind.CHOICE:
            values[q.key] = rng.choice(q.options).key
        elif q.kind == Kind.MULTI:
            values[q.key] = sorted({rng.choice(q.options).key for _ in range(rng.randint(1, 2))})
        elif q.kind == Kind.YESNO:
            values[q.key] = rng.random() < 0.7
        elif q.kind == Kind.NUMBER:
            values[q.key] = rng.choice([0, 0, 1, 2, 3])
        elif q.kind in PHRASES:
            values[q.key] = _read(q.key, rng.choice(PHRASES[q.kind]))
    return values


PHRASES = {Kind.TARGET: ("septembre 2027", "d'ici l'été", "début 2028"),
           Kind.AVAILABILITY: ("les mardis de janvier", "15 et 16 janvier", "tous les jeudis de février")}


@functools.cache
def _read(key: str, phrase: str) -> object:
    """A typed phrase as the interview stores it (read once: parsing dates is the slow part)."""
    return read_answer(INTERVIEW.question(key), phrase, NOW)


async def generate(path: str | Path, sizes: Sizes = Sizes(), *, seed: int = 1) -> dict[str, int]:
    """Write a database at ``path`` (replaced if it exists); returns the row count of each table filled."""
    path = Path(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rng = random.Random(seed)
    db = await Database.open(path)
    try:
        await _fill(db, rng, sizes)
        return {table: await bulk.count(db, table) for table in sorted(bulk.TABLES)}
    finally:
        await db.close()


async def _fill(db: Database, rng: random.Random, sizes: Sizes) -> None:
    cls, cpts = TEAM["cls"].user_id, TEAM["cpts1"].user_id
    await members.seed(db, [])
    await territory.upsert_communes(db, [(n, name_key(n), None, epci) for epci, names in STARTER_COMMUNES.items()
                                         for n in names])
    communes = await territory.communes(db)
    created = _utc(NOW - timedelta(days=600))

    # --- practice sites, the first ones with a contact on Telegram -----------------------------------------
    site_rows, site_names = [], {}
    for site_id in range(1, sizes.sites + 1):
        commune = rng.choice(communes)
        kind = rng.choice(SITE_KINDS)
        name = f"{SITE_TYPES[kind].capitalize()} de {commune.name}" + (f" {site_id}" if site_id > len(communes) else "")
        site_names[site_id] = name
        site_rows.append({
            "id": site_id, "name": name, "type": kind, "status": rng.choice(["en_fonctionnement"] * 9 + ["en_projet"]),
            "commune_id": commune.id,
            "professions_present": json.dumps(rng.sample([p.key for p in PROFESSIONS[:10]], 3)),
            "professions_sought": json.dumps(rng.sample([p.key for p in PROFESSIONS[:10]], rng.randint(1, 3))),
            "modes": json.dumps(rng.sample(list(SITE_MODES), rng.randint(1, 2))),
            "pluripro": int(rng.random() < 0.6), "premises_available": int(rng.random() < 0.5),
            "dynamique": rng.choice([None, None, "Projet de santé actif, équipe jeune"]),
            "contact_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", "contact_phone": _phone(rng),
            "created_by": cls, "created_at": created, "updated_at": created,
        })
    await bulk.insert(db, "sites", site_rows)
    await bulk.insert(db, "outsiders", [
        {"user_id": CONTACT_IDS + n, "kind": "lieu", "target_id": n, "name": site_rows[n - 1]["contact_name"],
         "joined_at": created} for n in range(1, min(sizes.contacts, sizes.sites) + 1)])
    await bulk.insert(db, "elus", [
        {"name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", "mandate": rng.choice(["Maire", "Adjoint·e"]),
         "commune_id": c.id, "epci": None, "phone": _phone(rng), "email": None, "receives": "visites",
         "created_by": cls, "created_at": created} for c in communes])

    # --- candidates and everything that follows from where each one stands -------------------------------
    statuses = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=sizes.candidates)
    visited = 0
    tables: dict[str, list[dict]] = {t: [] for t in ("candidates", "events", "interviews", "interview_answers",
                                                       "croisements", "croisement_sites", "visits", "visit_stops",
                                                       "debriefs", "follow_ups", "polls", "poll_slots", "poll_sites",
                                                       "poll_answers", "audit")}
    slot_id = 0
    contact_turn = 0
    for cid, status in enumerate(statuses, start=1):
        first_contact = NOW - timedelta(days=rng.randint(3, 600))
        progress = ORDER.index(status) if status in ORDER else rng.randint(2, 6)
        # a candidate only gets visits when the day's budget of visits is not spent
        if progress >= ORDER.index(Status.VISITES_PLANIFIEES) and visited >= sizes.visits:
            status, progress = Status.CROISEMENT, ORDER.index(Status.CROISEMENT)
        step = (NOW - first_contact) / 8
        at = lambda n: first_contact + step * n  # noqa: E731 - the date of the candidate's n-th step
        stamp = [_utc(at(n)) for n in range(9)]
        profession = rng.choices(PROFESSIONS, weights=PROFESSION_WEIGHTS)[0].key
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        tables["candidates"].append({
            "id": cid, "first_name": first, "last_name": last, "profession": profession,
            "specialty": "Pédiatrie" if profession == "medecin_specialiste" else "Podologue" if profession == "autre" else None,
            "phone": _phone(rng), "email": f"{name_key(first).replace(' ', '')}.{name_key(last).replace(' ', '')}@exemple.fr",
            "source": rng.choices(SOURCES, weights=SOURCE_WEIGHTS)[0].key,
            "source_detail": None,
            "first_contact": first_contact.date().isoformat(), "consent": 1,
            "consent_date": first_contact.date().isoformat(),
            "interview_at": stamp[1] if progress >= 1 else None,
            "interview_done_at": stamp[2] if progress >= 2 else None,
            "status": status.value, "status_changed_at": stamp[progress], "created_by": cls,
            "created_at": _utc(first_contact), "updated_at": stamp[progress],
            "croisement_due": (at(2) + timedelta(days=10)).date().isoformat() if progress >= 2 else None,
            "installed_place": rng.choice(site_rows)["name"] if status == Status.INSTALLE else None,
            "installed_on": at(7).date().isoformat() if status == Status.INSTALLE else None,
            "consent_share": int(rng.random() < 0.8),
        })
        tables["events"].append({"candidate_id": cid, "at": _utc(first_contact), "user_id": cls, "kind": "creation",
                                 "detail": "Candidat enregistré"})
        for n in range(1, progress + 1):
            tables["events"].append({"candidate_id": cid, "at": _utc(at(n)), "user_id": rng.choice([cls, cpts]),
                                     "kind": "statut", "detail": f"Statut : {ORDER[n].label}"})
        tables["audit"].append({"at": stamp[progress], "user_id": cls, "chat_id": TEAM_CHAT_ID,
                                "action": "consultation", "candidate_id": cid, "detail": "fiche"})
        if progress < 2:
            continue
        tables["interviews"].append({"candidate_id": cid, "started_at": stamp[2], "started_by": cpts,
                                     "cls_id": cls, "cpts_id": cpts, "confirmed_at": stamp[2]})
        for key, value in _answer_values(rng).items():
            tables["interview_answers"].append({
                "candidate_id": cid, "question": key, "value": json.dumps(value, ensure_ascii=False), "skipped": 0,
                "answered_by": cls if INTERVIEW.question(key).owner == "cls" else cpts, "answered_at": stamp[2]})
        if progress < 3:
            continue
        proposed = rng.sample(range(1, sizes.sites + 1), 8)
        if status == Status.CROISEMENT and sizes.contacts >= 3:
            # sites with a contact on Telegram come first, in turn: a poll for this candidate reaches 3 of them
            first = [_contact_site(contact_turn + i, sizes.contacts) for i in range(3)]
            contact_turn += 3
            proposed = first + [s for s in proposed if s not in first][:5]
        tables["croisements"].append({"candidate_id": cid, "done_at": stamp[3], "on_time": int(rng.random() < 0.85),
                                      "done_by": cpts})
        for rank, site_id in enumerate(proposed, start=1):
            tables["croisement_sites"].append({
                "candidate_id": cid, "site_id": site_id, "rank": rank, "score": 100 - 7 * rank,
                "section": "criteres" if rank <= 6 else "dynamique", "chosen": int(rank <= 3), "at": stamp[3]})
        if progress < 4:
            continue
        visited += 1
        day = at(4).date()
        chosen = proposed[:3]
        poll_id = len(tables["polls"]) + 1
        tables["polls"].append({
            "id": poll_id, "candidate_id": cid, "state": "planned", "deadline": _utc(at(3) + timedelta(days=7)),
            "created_by": cpts, "created_at": stamp[3], "opened_at": stamp[3], "closed_at": stamp[4],
            "chat_id": TEAM_CHAT_ID, "chosen_slot_id": slot_id + 1})
        for offset in range(3):
            slot_id += 1
            tables["poll_slots"].append({"id": slot_id, "poll_id": poll_id,
                                         "day": (day + timedelta(days=7 * offset)).isoformat(), "part": "journee"})
            for site_id in chosen:
                tables["poll_answers"].append({"poll_id": poll_id, "slot_id": slot_id, "site_id": site_id,
                                               "answer": rng.choice(["oui", "oui", "si_besoin", "non"]),
                                               "by_user": CONTACT_IDS + site_id, "by_team": 0, "at": stamp[3]})
        for site_id in chosen:
            tables["poll_sites"].append({"poll_id": poll_id, "site_id": site_id})
        tables["visits"].append({"candidate_id": cid, "day": day.isoformat(),
                                 "sites": json.dumps([site_names[s] for s in chosen], ensure_ascii=False),
                                 "created_by": cls, "created_at": stamp[4]})
        for i, site_id in enumerate(chosen):
            start = datetime.combine(day, time(9 + 3 * i, 0), PARIS)
            tables["visit_stops"].append({"candidate_id": cid, "site_id": site_id, "starts_at": _utc(start),
                                          "ends_at": _utc(start + timedelta(hours=2))})
        if progress < 5:
            continue
        tables["debriefs"].append({"candidate_id": cid, "stage": "soir", "done_by": cls, "done_at": stamp[5],
                                   "answers": json.dumps({"ressenti": "Accueil chaleureux", "attentes": "Revoir la MSP",
                                                          "besoins": "Logement"}, ensure_ascii=False)})
        if progress < 6:
            continue
        tables["debriefs"].append({"candidate_id": cid, "stage": "distance", "done_by": cpts, "done_at": stamp[6],
                                   "answers": json.dumps({"ressenti": "Convaincu·e", "decision": "Installation"},
                                                         ensure_ascii=False)})
        for months in (3, 6, 12):
            due = at(6).date() + timedelta(days=30 * months)
            done = due < NOW.date()
            tables["follow_ups"].append({
                "candidate_id": cid, "months": months, "due_day": due.isoformat(),
                "done_at": _utc(datetime.combine(due, time(10), PARIS)) if done else None, "done_by": cls if done else None,
                "outcome": rng.choice(["recherche", "installe", "reflexion"]) if done else None,
                "note": "Appel de suivi" if done else None})
    for table, rows in tables.items():
        await bulk.insert(db, table, rows)

    # --- reminders: mostly long gone, a few hundred still ahead ------------------------------------------
    kinds = sorted(PROTOCOL_KINDS)
    reminder_rows = []
    for n in range(sizes.reminders):
        ahead = n % 100 == 0
        due = NOW + timedelta(days=rng.randint(1, 90)) if ahead else NOW - timedelta(days=rng.randint(1, 600))
        cid = rng.randint(1, sizes.candidates)
        kind = rng.choice(kinds)
        reminder_rows.append({
            "kind": "libre" if ahead else kind, "key": None, "candidate_id": cid, "chat_id": TEAM_CHAT_ID,
            "text": f"Rappeler le candidat n° {cid}" if ahead else "", "due_at": _utc(due), "original_due_at": _utc(due),
            "exact": 0, "state": "pending" if ahead else rng.choice(["sent", "done", "done", "cancelled"]),
            "attempts": 0 if ahead else 1, "reposts": 0, "sent_at": None if ahead else _utc(due),
            "created_by": cls, "created_at": _utc(due - timedelta(days=10))})
    await bulk.insert(db, "reminders", reminder_rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--candidats", type=int, default=Sizes.candidates)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    counts = asyncio.run(generate(args.path, Sizes(candidates=args.candidats), seed=args.seed))
    print(json.dumps(counts, indent=1))


if __name__ == "__main__":
    main()
