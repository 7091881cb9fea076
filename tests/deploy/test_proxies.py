"""The reverse proxy examples of docs/deploiement.md: HTTPS kept for a year (HSTS), the server's name and version
never sent, the visitor's address passed on for the bot's limits."""

import re
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_nginx_sends_hsts_and_hides_its_version():
    conf = (DEPLOY / "nginx-installation-bot.conf").read_text()
    assert re.search(r'^\s*server_tokens off;', conf, re.M)
    assert re.search(r'^\s*add_header Strict-Transport-Security "max-age=(\d+)" always;', conf, re.M)
    assert re.search(r"^\s*proxy_set_header X-Forwarded-For \$remote_addr;", conf, re.M)  # not appended to


def test_caddy_sends_hsts_and_no_server_header():
    conf = (DEPLOY / "Caddyfile").read_text()
    assert re.search(r'^\s*header Strict-Transport-Security "max-age=\d+"', conf, re.M)
    assert re.search(r"^\s*header -Server", conf, re.M)
