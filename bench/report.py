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

## Objectifs non atteints, et pourquoi

- **Débit ≥ 0,5 × l'écho.** La section passe les mises à jour une à une : le débit est l'inverse de ce que coûte
  une mise à jour. L'écho fait un appel à l'API et rien d'autre ; une réponse d'entretien en fait deux en moyenne
  (la question suivante, la coche sous la réponse), deux écritures durables (`synchronous=FULL`) et une quinzaine
  de lectures, et les deux tiers de son calcul sont dans python-telegram-bot. La latence, ce que ressent
  l'intervieweur, tient l'objectif.
- **Mémoire ≤ 150 Mo et synthèses ≤ 1 s à 10 000 candidats.** Avant la moindre donnée, le bot occupe 80 Mo
  (Python, python-telegram-bot et httpx, pydantic-settings, dateparser) ; matplotlib en ajoute 41 au premier
  graphique, et les tableaux par public des synthèses (une ligne anonymisée par dossier) le reste. À l'échelle de
  l'équipe (400 candidats en dix ans), `python -m bench --petit` mesure l'export à 0,05 s et les synthèses à 0,25 s.
- **Bruit de la machine.** Elle est partagée : les temps varient de 30 à 50 % d'une exécution à l'autre ; les
  chiffres ci-dessus sont la médiane de l'exécution indiquée.

## Reproduire

- Tout : `.venv/bin/python -m bench` (≈ 6 min) réécrit `bench/results.json` et cette page.
- Une section : `.venv/bin/python -m bench --sections tableur,liens` (sections : `debit`, `cadence`, `rappels`,
  `echelle`, `tableur`, `liens`, `demarrage`) ; à l'échelle de l'équipe : `--petit`.
- Sous pannes (10 % des appels du bot échouent) : `.venv/bin/python -m bench.fiabilite` (docs/fiabilite.md).
- Comment ces chiffres ont été atteints, ce qui a été essayé et retiré : `bench/notes.md`.

## Ce que mesure chaque section

1. **Coût de traitement** : une réponse d'entretien (tapée ou bouton), un bouton de sondage pressé par un lieu,
   `/dossier N` ; chaque mise à jour passe par l'Application complète (garde, gestionnaires, SQLite en
   `synchronous=FULL`, appels à l'API). L'écho rejoue exactement les mêmes mises à jour. L'API répond ici sans
   délai et sans limiteur, pour l'un comme pour l'autre : c'est le coût du bot lui-même ; la cadence de Telegram
   est mesurée à la section 2.
2. **À la cadence de Telegram** (`bench/pace.py`) : le bot tel qu'il tourne, limiteur compris, face à une fausse API
   qui répond en {latency_ms} ms et refuse (429) ce que Telegram refuse (30 messages/s en tout, 20 par minute dans un
   groupe, 1 par seconde dans une conversation privée). Un entretien au rythme des intervieweurs dans le groupe ;
   pendant ce temps des lieux répondent en privé et des rappels tombent ; puis une rafale. Le même scénario est joué
   deux fois dans la même exécution : conversations en parallèle (le bot) et une mise à jour à la fois pour tout le
   bot (comme avant), pour donner le gain en rapport ; la rafale une troisième fois sans connexions de lecture WAL.
   La latence va de la mise en file de la mise à jour jusqu'à la fin de son traitement, réponse envoyée. On vérifie
   ensuite chaque réponse en base, chaque décompte affiché dans le groupe, chaque rappel envoyé une fois.
3. **Rappels** : {reminders} rappels échus au même moment, envoyés à travers le limiteur du bot (`bot/pace.py`)
   (30 messages/s en tout, 20 par minute dans un groupe), la fausse API refusant ce que Telegram refuse ; chaque rappel
   doit arriver une fois et une seule.
4. **Volume** : {candidates} candidats, {sites} lieux, {visits} visites, {rappels} rappels générés
   (`bench/synthetic.py` : noms français, professions, communes des 4 EPCI) ; chaque commande est lancée
   {repeats} fois dans un processus à part, dont on relève la mémoire maximale (RSS).
5. **Tableau de reporting** (`bench/tableur.py`) : `/export` et `/export csv` de bout en bout à 1 000 et
   10 000 candidats, puis les mêmes feuilles écrites par XlsxWriter en mémoire (ce qu'utilise le bot jusqu'à
   2 000 candidats) et ligne à ligne (mémoire constante, au-delà), et par openpyxl (écriture seule), côte à côte.
6. **Liens personnels** (`bench/liens.py`) : 50 lieux à la fois ouvrent leur page et envoient leurs réponses
   (4 fois chacun), les clients dans un processus à part, contre le vrai serveur web du bot, puis contre une page
   Starlette nue servie de la même façon ; chaque réponse est ensuite vérifiée en base, et les modifications
   Telegram qui ont suivi sont comptées.
7. **Démarrage à froid** : `python -m bot` lancé contre la fausse API sur HTTP, jusqu'à la réponse à un `/aide`
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
        for k in r["debit"]["kinds"].values():
            lines.append(_row(f"{k['label']} : débit (bot / écho)",
                              f"{k['bot']['updates_per_s']} / {k['echo']['updates_per_s']} maj/s = {k['ratio']:.2f}×",
                              f"≥ {t['throughput_ratio']}×", k["ratio"] >= t["throughput_ratio"]))
            lines.append(_row(f"{k['label']} : latence p50 / p99",
                              f"{k['bot']['p50_ms']} / {k['bot']['p99_ms']} ms (écho {k['echo']['p99_ms']} ms)",
                              f"p99 ≤ {t['p99_ms']:.0f} ms", k["bot"]["p99_ms"] <= t["p99_ms"]))
    if "cadence" in r:
        c, p = r["cadence"], r["cadence"]["pace"]
        par, ser, gain = c["parallel"], c["serial"], c["gain"]

        def lat(f: dict) -> str:
            return f"médiane {f['p50_ms']} ms, p99 {f['p99_ms']} ms"

        lines.append(_row(f"Entretien dans le groupe, {p['steps']} étapes, une réponse toutes les {p['every']:g} s : "
                          "question suivante", f"{lat(par['interview'])} (un à la fois : {lat(ser['interview'])})",
                          f"p99 ≤ {t['pace_step_p99_ms']:.0f} ms, médiane ≤ {t['pace_step_p50_ms']:.0f} ms",
                          par["interview"]["p99_ms"] <= t["pace_step_p99_ms"]
                          and par["interview"]["p50_ms"] <= t["pace_step_p50_ms"]))
        lines.append(_row(f"… pendant ce temps, {p['sites']} lieux répondent en privé ({p['presses']} fois chacun) et "
                          f"{p['reminders']} rappels tombent : réponse d'un lieu",
                          f"{lat(par['site_presses'])} (un à la fois : {lat(ser['site_presses'])})",
                          f"p99 ≤ {t['pace_private_p99_ms']:.0f} ms", par["site_presses"]["p99_ms"] <= t["pace_private_p99_ms"]))
        lines.append(_row(f"Rafale de {p['burst']} mises à jour sur {p['burst_chats']} conversations",
                          f"{lat(par['burst'])} ; un à la fois : {lat(ser['burst'])} ; sans lecteurs WAL : "
                          f"{lat(par['burst_no_readers'])}", f"p99 ≤ {t['pace_burst_p99_ms']:.0f} ms",
                          par["burst"]["p99_ms"] <= t["pace_burst_p99_ms"]))
        lines.append(_row("… gain des conversations en parallèle (p99 un à la fois / p99 en parallèle)",
                          f"entretien {gain['interview_p99']}×, lieux {gain['site_presses_p99']}×, "
                          f"rafale {gain['burst_p99']}×", "rapporté", None))
        checks = ("interview_answers_lost", "poll_answers_wrong_or_lost", "updates_not_handled", "updates_handled_twice",
                  "tallies_wrong", "reminders_lost", "reminders_doubled", "refused_429", "errors")
        lines.append(_row("… réponses perdues ou fausses / traitées deux fois / décomptes faux / rappels perdus ou "
                          "en double / refus 429 de Telegram / erreurs",
                          f"{par['interview_answers_lost'] + par['poll_answers_wrong_or_lost'] + par['updates_not_handled']}"
                          f" / {par['updates_handled_twice']} / {par['tallies_wrong']} / "
                          f"{par['reminders_lost'] + par['reminders_doubled']} / {par['refused_429']} / {par['errors']}",
                          "0 partout", all(par[k] == 0 and ser[k] == 0 for k in checks)))
    if "rappels" in r:
        g = r["rappels"]
        lines.append(_row(f"{g['reminders']} rappels échus d'un coup ({g['to_group']} dans le groupe)",
                          f"{g['messages_per_s']} msg/s, {g['seconds']} s ; au plus {g['max_in_any_second']} en 1 s, "
                          f"{g['max_in_group_in_any_minute']} par minute dans le groupe",
                          "≈ 30/s (limiteur : 30 d'un coup puis 30/s), ≤ 20/min dans un groupe",
                          g["messages_per_s"] <= 31 and g["max_in_group_in_any_minute"] <= 20))
        if "refused_429" in g:
            lines.append(_row("… refus 429 de Telegram (la fausse API refuse ce qu'il refuse)", str(g["refused_429"]), "0",
                              g["refused_429"] == 0))
        lines.append(_row("… rappels perdus / en double / non marqués", f"{g['lost']} / {g['duplicates']} / {g['not_marked_sent']}",
                          "0 / 0 / 0", g["lost"] == g["duplicates"] == g["not_marked_sent"] == 0))
    if "echelle" in r:
        e = r["echelle"]
        limits = {"dossiers": (t["dossiers_ms"], "ms"), "croisement": (t["croisement_ms"], "ms"),
                  "export": (t["export_s"] * 1000, "ms"), "export_csv": (t["export_s"] * 1000, "ms"),
                  "summary": (t["summary_s"] * 1000, "ms")}
        for command, v in e["commands"].items():
            limit, _ = limits[v["kind"]]
            lines.append(_row(f"`{command}` ({e['counts']['candidates']} candidats)",
                              f"médiane {v['median_ms']} ms, max {v['max_ms']} ms"
                              + (f" (1re fois : {v['first_ms']} ms)" if "first_ms" in v else ""), f"≤ {limit:.0f} ms",
                              v["median_ms"] <= limit))
        lines.append(_row("Mémoire maximale (RSS) du processus à l'échelle", f"{e['rss_mb']} Mo", f"≤ {t['rss_mb']:.0f} Mo",
                          e["rss_mb"] <= t["rss_mb"]))
    if "tableur" in r:
        for count, s in r["tableur"]["sizes"].items():
            limit = t["export_1000_s"] if int(count) <= 1000 else t["export_s"]
            for command, v in s["commands"].items():
                lines.append(_row(f"Tableau de reporting : `{command}` ({s['candidates']} candidats, {s['cells']} cellules)",
                                  f"médiane {v['median_ms']} ms, max {v['max_ms']} ms", f"≤ {limit * 1000:.0f} ms",
                                  v["median_ms"] <= limit * 1000))
            x, m, o = (s["libraries"][k] for k in ("xlsxwriter", "xlsxwriter_rangs", "openpyxl"))
            lines.append(_row("… les mêmes feuilles écrites par XlsxWriter en mémoire / ligne à ligne (mémoire "
                              "constante) / openpyxl (écriture seule)",
                              f"{x['median_ms']} ms / {m['median_ms']} ms / {o['median_ms']} ms "
                              f"({x['kb']} / {m['kb']} / {o['kb']} ko)", "rapporté", None))
    if "liens" in r:
        w = r["liens"]
        lines.append(_row(f"Liens personnels : réponse envoyée (POST), {w['clients']} lieux à la fois × {w['rounds']}",
                          f"p50 {w['post']['p50_ms']} ms, p99 {w['post']['p99_ms']} ms (page Starlette nue : p50 "
                          f"{w['bare_post']['p50_ms']} ms, p99 {w['bare_post']['p99_ms']} ms)",
                          f"p99 ≤ {t['web_post_p99_ms']:.0f} ms", w["post"]["p99_ms"] <= t["web_post_p99_ms"]))
        lines.append(_row("… réponses perdues / en double", f"{w['lost']} / {w['doubled']}", "0 / 0",
                          w["lost"] == w["doubled"] == 0))
        if "telegram_edits" in w:
            lines.append(_row("… modifications Telegram qui ont suivi (messages des lieux, décomptes)",
                              f"{w['telegram_edits']} pour {w['post']['n']} réponses", "rapporté", None))
    if "demarrage" in r:
        d = r["demarrage"]
        lines.append(_row("Démarrage à froid jusqu'à la 1re réponse", f"{d['median_s']} s (essais : {d['runs']})",
                          f"≤ {t['cold_start_s']:.0f} s", d["median_s"] <= t["cold_start_s"]))
    plan, data = r["plan"], r["plan"]["data"]
    return ENVELOPE.format(body="\n".join(lines), latency_ms=round(1000 * plan["pace"]["latency"]),
                           reminders=plan["reminders"], candidates=data["candidates"], sites=data["sites"],
                           visits=data["visits"], rappels=data["reminders"], repeats=plan["repeats"])


def write_report(results: dict, path: Path) -> None:
    path.write_text(render(results), encoding="utf-8")


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("results.json")
    write_report(json.loads(source.read_text()), Path(__file__).resolve().parent.parent / "docs" / "performance.md")
