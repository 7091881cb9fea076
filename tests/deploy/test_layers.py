"""The layers of docs/architecture.md, as import-linter's contracts in pyproject.toml: each layer imports only
those below it, the domain rules import neither Telegram nor the database, and no module of a layer is part of a
cycle with its siblings."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_are_kept():
    linter = Path(sys.executable).with_name("lint-imports")
    found = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert found.returncode == 0, found.stdout + found.stderr
    assert "0 broken" in found.stdout
