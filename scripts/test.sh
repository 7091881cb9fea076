#!/usr/bin/env bash
# Sets up .venv from pyproject.toml (when it changed) and runs the whole test suite.
#   bash scripts/test.sh [pytest options]
#   bash scripts/test.sh --lowest [pytest options]   the same suite on the lowest versions pyproject.toml allows
#                                                    (constraints/lowest.txt), in .venv-lowest
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
source scripts/chromium.sh
ensure_chromium
if [ "${1:-}" = "--lowest" ]; then
    shift
    ensure_venv .venv-lowest test constraints/lowest.txt
    exec .venv-lowest/bin/python -m pytest -p no:cacheprovider "$@"
fi
ensure_venv .venv test
exec .venv/bin/python -m pytest "$@"
