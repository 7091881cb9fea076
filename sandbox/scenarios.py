"""The user guide's transcripts: the console scripts of docs/scenarios/, replayed in order on one fresh sandbox.

`python -m sandbox.scenarios` writes each transcript into docs/guide.md, between ``<!-- scenario: NOM -->`` and
``<!-- fin -->``; tests/docs/test_guide.py replays them and fails when the bot's answers no longer match the guide.
A script whose name holds ``_`` after its number (``3_fin-entretien.txt``) prepares what follows without
being shown. Invitation tokens and file sizes change from run to run: they are masked.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from domain.dates import PARIS
from sandbox.console import Console
from sandbox.mailbox import Mailbox
from sandbox.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "docs" / "scenarios"
GUIDE = ROOT / "docs" / "guide.md"
START = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)  # a Monday morning
BLOCK = re.compile(r"(<!-- scenario: (?P<name>[\w-]+) -->\n```text\n)(?P<body>.*?)(```\n<!-- fin -->)", re.S)
_MASKS = [(re.compile(r"start=[A-Za-z0-9_-]{8,}"), "start=…"), (re.compile(r"/start [A-Za-z0-9_-]{8,}"), "/start …"),
          (re.compile(r"\(\d+ octets\)"), "(… octets)"),
          (re.compile(r"http://127\.0\.0\.1:\d+/r/[A-Za-z0-9_-]+"), "https://bot.exemple.fr/r/…")]


def scripts() -> list[Path]:
    return sorted(SCENARIOS.glob("*.txt"))


def shown(path: Path) -> bool:
    return "_" not in path.stem.split("-", 1)[0]


def mask(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


async def transcripts(workdir: Path) -> dict[str, str]:
    """Every script's transcript, by name (the file's stem), played one after the other on the same bot."""
    out: dict[str, str] = {}
    mailbox = Mailbox().start()
    try:
        async with Sandbox(workdir / "guide.sqlite3", start=START, web=True, mailbox=mailbox) as sandbox:
            console = Console(sandbox, io.StringIO())
            for path in scripts():
                console.out = io.StringIO()
                for line in path.read_text(encoding="utf-8").splitlines():
                    if not await console.play(line):
                        break
                out[path.stem] = mask(console.out.getvalue())
    finally:
        mailbox.stop()
    return out


def fill(guide: str, found: dict[str, str]) -> str:
    """The guide with each scenario block holding its transcript."""
    def replace(match: re.Match) -> str:
        name = match.group("name")
        if name not in found:
            raise KeyError(f"docs/guide.md shows a scenario that docs/scenarios/ lacks: {name}")
        return f"{match.group(1)}{found[name]}{match.group(4)}"

    return BLOCK.sub(replace, guide)


def blocks(guide: str) -> dict[str, str]:
    return {m.group("name"): m.group("body") for m in BLOCK.finditer(guide)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.scenarios", description="Met à jour les transcriptions du guide")
    parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        found = asyncio.run(transcripts(Path(tmp)))
    GUIDE.write_text(fill(GUIDE.read_text(encoding="utf-8"), found), encoding="utf-8")
    missing = [p.stem for p in scripts() if shown(p) and p.stem not in blocks(GUIDE.read_text(encoding="utf-8"))]
    print(f"{GUIDE} : {len(found)} scénarios rejoués" + (f" ; absents du guide : {', '.join(missing)}" if missing else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
