#!/usr/bin/env bash
# Writes requirements.lock: every package the bot runs on (not the tests'), pinned with its hashes, for the
# Docker image and the systemd install to be the same from one server to the next. Run it after changing the
# dependencies in pyproject.toml, and commit the result. pip-tools lives in a throw-away environment.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/python" -m pip install --quiet pip-tools
"$tools/bin/pip-compile" --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links \
    --output-file requirements.lock pyproject.toml
