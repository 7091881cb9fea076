"""The code as CI wants it: ruff's rules (chosen in pyproject.toml) clean, and the lowest versions CI tests on
equal to the floors pyproject.toml declares."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_finds_nothing():
    found = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                           capture_output=True, text=True)
    assert found.returncode == 0, found.stdout + found.stderr


def test_the_lowest_versions_ci_tests_on_are_the_declared_floors():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors = {}
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        name, floor = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?\s*(?:>=|==)\s*([0-9][^,; ]*)", requirement).groups()
        floors[name.lower()] = floor
    pinned = {}
    for line in (ROOT / "constraints" / "lowest.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pinned[name.strip().lower()] = version.strip()
    floors.pop("ruff")  # pinned exactly in pyproject.toml already
    normalised = {name: re.sub(r"(\.0)+$", "", v) for name, v in pinned.items()}
    assert normalised == {name: re.sub(r"(\.0)+$", "", v) for name, v in floors.items()}


def test_ci_runs_the_readme_test_commands_and_only_them():
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("bash ")]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert commands == ["bash scripts/test.sh", "bash scripts/test.sh --lowest"]
    assert all(re.search(rf"^{re.escape(c)}(\s|$)", readme, re.M) for c in commands)
