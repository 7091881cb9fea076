#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/web/test_browser.py, driven by Playwright for Python on the system
# browser: no browser download). Installed with apt when missing, as root; CI runs as root.
ensure_chromium() {
    if command -v chromium >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "Chromium manque : installez le paquet Debian « chromium » (sudo apt-get install chromium)." >&2
        return 1
    fi
    echo "Installation de Chromium (paquet Debian) pour les tests dans un vrai navigateur…" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends chromium >/dev/null \
        || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; }
}
