"""docs/performance.md from bench/results.json: the machine, the date, and each figure against its target."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ENVELOPE = """# Performances

Mesures faites par `python -m bench` (scripts dans `bench/`, résultats bruts dans `bench/results.json`).
La machine est petite et partagée : chaque débit est donné à côté de celui d'un bot d'écho python-telegram-bot nu,
mesuré dans la même exécution, sur la même fausse API Bot en mémoire.

{body}

## Ce que mesure chaque section

1. **Débit et latence** : une réponse d'entretien (tapée ou bouton), un bouton de sondage pressé par un lieu,
   `/dossier N` ; chaque mise à jour passe par l'Application complète (garde, gestionnaires, SQLite en
   `synchronous=FULL`, appels à l'API). L'écho rejoue exactement les mêmes mises à jour.
2. **Concurrence** : {interviews} entretiens et {contacts} contacts de lieux répondent en même temps, par vagues
   mises d'un coup dans la file de l'Application ; la latence compte l'attente dans la file. On vérifie ensuite que
   chaque réponse envoyée est en base (réponses d'entretien, dernière réponse de chaque lieu à chaque créneau).
3. **Rappels** : {reminders} rappels échus au même moment, envoyés à travers le limiteur de débit de PTB
   (30 messages/s en tout, 20 par minute dans un groupe) ; chaque rappel doit arriver une fois et une seule.
4. **Volume** : {candidates} candidats, {sites} lieux, {visits} visites, {rappels} rappels générés
   (`bench/synthetic.py` : noms français, professions, communes des 4 EPCI) ; chaque commande est lancée
   {repeats} fois dans un processus à part, dont on relève la mémoire maximale (RSS).
5. **Démarrage à froid** : `python -m bot` lancé contre la fausse API sur HTTP, jusqu'à la réponse à un `/aide`
   qui attendait.
"""


def _row(label: str, value: str, target: str, ok: bool | None) -> str:
    mark = "—" if ok is None else ("✅" if ok else "❌")
    return f"| {label} | {value} | {target} | {mark} |"


def render(r: dict) -> str:
    t = r["targets"]
    m = r["machine"]
    again = "".join(f" ; section « {name} » remesurée le {when}" for name, when in sorted(r.get("remeasured", {}).items()))
    lines = [f"Dernière mesure complète : {m['date']}{again} — Python {m['python']}, {m['cpus']} cœurs, {m['system']}.",
             f"Durée totale : {r.get('total_seconds', '?')} s (dont {r['data_seconds']} s pour générer les données).", ""]
    lines += ["## Résultats face aux objectifs", "", "| Mesure | Obtenu | Objectif | |", "|---|---|---|---|"]
    if "debit" in r:
        for kind, k in r["debit"]["kinds"].items():
            lines.append(_row(f"{k['label']} : débit (bot / écho)",
                              f"{k['bot']['updates_per_s']} / {k['echo']['updates_per_s']} maj/s = {k['ratio']:.2f}×",
                              f"≥ {t['throughput_ratio']}×", k["ratio"] >= t["throughput_ratio"]))
            lines.append(_row(f"{k['label']} : latence p50 / p99",
                              f"{k['bot']['p50_ms']} / {k['bot']['p99_ms']} ms (écho {k['echo']['p99_ms']} ms)",
                              f"p99 ≤ {t['p99_ms']:.0f} ms", k["bot"]["p99_ms"] <= t["p99_ms"]))
    if "concurrence" in r:
        c = r["concurrence"]
        lines.append(_row(f"{c['interviews']} entretiens + {c['contacts']} lieux à la fois ({c['per_wave']} maj par vague, "
                          f"{c['waves']} vagues)", f"p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms (file comprise)",
                          "rapporté", None))
        lines.append(_row("… réponses perdues", f"{c['interview_answers_lost']} entretien, "
                          f"{c['poll_answers_wrong_or_lost']} sondage, {c['errors']} erreur",
                          "0", c["interview_answers_lost"] == c["poll_answers_wrong_or_lost"] == c["errors"] == 0))
    if "rappels" in r:
        g = r["rappels"]
        lines.append(_row(f"{g['reminders']} rappels échus d'un coup ({g['to_group']} dans le groupe)",
                          f"{g['messages_per_s']} msg/s, {g['seconds']} s ; au plus {g['max_in_any_second']} en 1 s, "
                          f"{g['max_in_group_in_any_minute']} par minute dans le groupe",
                          "≈ 30/s (limiteur : 30 d'un coup puis 30/s), ≤ 20/min dans un groupe",
                          g["messages_per_s"] <= 31 and g["max_in_group_in_any_minute"] <= 20))
        lines.append(_row("… rappels perdus / en double / non marqués", f"{g['lost']} / {g['duplicates']} / {g['not_marked_sent']}",
                          "0 / 0 / 0", g["lost"] == g["duplicates"] == g["not_marked_sent"] == 0))
    if "echelle" in r:
        e = r["echelle"]
        limits = {"dossiers": (t["dossiers_ms"], "ms"), "croisement": (t["croisement_ms"], "ms"),
                  "export": (t["export_s"] * 1000, "ms"), "export_csv": (t["export_s"] * 1000, "ms"),
                  "summary": (t["summary_s"] * 1000, "ms")}
        if "prepare" in e:
            lines.append(_row(f"Lignes du tableau dessinées d'avance ({e['prepare']['rows']}, en tâche de fond : 10 min "
                              "après le démarrage, puis chaque nuit)", f"{e['prepare']['seconds']} s", "rapporté", None))
        for command, v in e["commands"].items():
            limit, _ = limits[v["kind"]]
            lines.append(_row(f"`{command}` ({e['counts']['candidates']} candidats)",
                              f"médiane {v['median_ms']} ms, max {v['max_ms']} ms"
                              + (f" (1re fois : {v['first_ms']} ms)" if "first_ms" in v else ""), f"≤ {limit:.0f} ms",
                              v["median_ms"] <= limit))
        lines.append(_row("Mémoire maximale (RSS) du processus à l'échelle", f"{e['rss_mb']} Mo", f"≤ {t['rss_mb']:.0f} Mo",
                          e["rss_mb"] <= t["rss_mb"]))
    if "demarrage" in r:
        d = r["demarrage"]
        lines.append(_row("Démarrage à froid jusqu'à la 1re réponse", f"{d['median_s']} s (essais : {d['runs']})",
                          f"≤ {t['cold_start_s']:.0f} s", d["median_s"] <= t["cold_start_s"]))
    notes = Path(__file__).with_name("notes.md")
    if notes.exists():
        lines += ["", notes.read_text(encoding="utf-8").strip()]
    plan, data = r["plan"], r["plan"]["data"]
    return ENVELOPE.format(body="\n".join(lines), interviews=plan["interviews"], contacts=plan["contacts"],
                           reminders=plan["reminders"], candidates=data["candidates"], sites=data["sites"],
                           visits=data["visits"], rappels=data["reminders"], repeats=plan["repeats"])


def write_report(results: dict, path: Path) -> None:
    path.write_text(render(results), encoding="utf-8")


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("results.json")
    write_report(json.loads(source.read_text()), Path(__file__).resolve().parent.parent / "docs" / "performance.md")
