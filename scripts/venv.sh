# Sourced by scripts/test.sh and scripts/console.sh: a virtual environment with the project installed from
# pyproject.toml. It is installed again only when pyproject.toml (or the constraints it is installed with)
# changed since the last install, so that once set up everything runs offline.
#   ensure_venv DIR EXTRAS [CONSTRAINTS]
ensure_venv() {
    local venv="$1" extras="$2" constraints="${3:-}" digest stamp
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade pip
    fi
    digest="$({ cat pyproject.toml; [ -z "$constraints" ] || cat "$constraints"; } | sha256sum | cut -d' ' -f1)"
    # the test install holds the plain one: either will do for the console
    for stamp in "$venv/.installed${extras:+-$extras}" ${extras:-$venv/.installed-test}; do
        if [ "$(cat "$stamp" 2>/dev/null)" = "$digest" ]; then
            return 0
        fi
    done
    "$venv/bin/python" -m pip install --quiet ${constraints:+-c "$constraints"} -e ".${extras:+[$extras]}"
    echo "$digest" > "$venv/.installed${extras:+-$extras}"
}
