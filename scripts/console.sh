#!/usr/bin/env bash
# Sets up .venv from pyproject.toml (when it changed) and starts the console sandbox (no token, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv .venv ""
exec .venv/bin/python -m bot console "$@"
