"""The benchmarks run end to end at a small size: what they count must hold (nothing lost, nothing doubled),
whatever the timings. The timings themselves are only reported by `python -m bench`, never asserted."""

from bench.perf import Plan, run_all
from bench.report import render


async def test_every_section_runs_and_loses_nothing(tmp_path):
    results = await run_all(Plan.small(), tmp_path)

    debit = results["debit"]
    assert debit["errors"] == 0
    for kind in ("entretien", "sondage", "dossier"):
        assert debit["kinds"][kind]["bot"]["n"] == debit["kinds"][kind]["echo"]["n"] == Plan.small().per_kind
        assert debit["kinds"][kind]["ratio"] > 0

    pace = results["cadence"]
    small = Plan.small().pace
    for run in ("parallel", "serial"):
        figures = pace[run]
        assert figures["interview"]["n"] == small.steps and figures["site_presses"]["n"] == small.sites * small.presses
        assert figures["burst"]["n"] == small.burst
        for check in ("interview_answers_lost", "poll_answers_wrong_or_lost", "updates_not_handled",
                      "updates_handled_twice", "tallies_wrong", "reminders_lost", "reminders_doubled", "refused_429",
                      "errors"):
            assert figures[check] == 0, (run, check)
    assert pace["parallel"]["burst_no_readers"]["n"] == small.burst
    assert pace["gain"]["burst_p99"] > 1  # the same burst, chats in parallel against one update at a time

    burst = results["rappels"]
    assert burst["delivered"] == burst["reminders"]
    assert burst["lost"] == burst["duplicates"] == burst["not_marked_sent"] == 0
    assert burst["max_in_group_in_any_minute"] <= 20 and burst["refused_429"] == 0

    scale = results["echelle"]
    assert scale["counts"]["candidates"] == Plan.small().data.candidates
    replies = {command: v["reply"] for command, v in scale["commands"].items()}
    assert replies["/export"].startswith("📎 Tableau de reporting")
    assert replies["/synthese copil"].startswith("📊 Synthèse — Copil CLS")
    assert scale["rss_mb"] > 0

    table = results["tableur"]["sizes"]
    assert [s["candidates"] for s in table.values()] == list(Plan.small().table_sizes)
    for s in table.values():  # both libraries wrote the same sheets, and the bot sent its table each time
        assert s["cells"] > 10 * s["candidates"] and set(s["commands"]) == {"/export", "/export csv"}
        assert all(lib["kb"] > 10 for lib in s["libraries"].values())

    links = results["liens"]
    assert links["clients"] == Plan.small().web_clients and links["post"]["n"] == links["clients"] * links["rounds"]
    assert links["lost"] == links["doubled"] == 0 and links["bare_post"]["n"] == links["post"]["n"]

    assert results["demarrage"]["median_s"] > 0
    report = render({**results, "total_seconds": 1})
    assert "| Démarrage à froid jusqu'à la 1re réponse |" in report and "/croisement" in report
    assert "écrites par XlsxWriter" in report


def test_a_run_of_one_section_keeps_the_others_of_the_same_plan(tmp_path):
    import json

    from bench.perf import SECTIONS, merged

    plan = {"interviews": 1}
    full = {"plan": plan, "machine": {"date": "2026-11-23 12:30"}, **{name: {"was": name} for name in SECTIONS}}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(full))
    again = {"plan": plan, "machine": {"date": "2026-11-23 14:32"}, "echelle": {"was": "again"}}

    out = merged(again, path)
    assert out["echelle"] == {"was": "again"} and out["debit"] == {"was": "debit"}
    assert out["machine"]["date"] == "2026-11-23 12:30" and out["remeasured"] == {"echelle": "2026-11-23 14:32"}
    assert "debit" not in merged({**again, "plan": {"interviews": 2}}, path)  # another plan: nothing mixed
    assert merged(again, tmp_path / "none.json") == again


def test_peak_memory_is_the_process_own_not_the_one_of_the_process_that_started_it():
    import subprocess
    import sys

    ballast = bytearray(300 * 1024 * 1024)
    for i in range(0, len(ballast), 4096):  # touched: resident in this process
        ballast[i] = 1
    out = subprocess.run([sys.executable, "-c", "from bench.perf import peak_rss_mb; print(peak_rss_mb())"],
                         capture_output=True, text=True, check=True)
    assert 10 < float(out.stdout) < 250
