"""Configuration: a missing or malformed key stops the bot with a French message naming it (exit code 2)."""

import subprocess
import sys

import pytest

from bot.config import load_settings

GOOD = {"BOT_TOKEN": "123456789:AAEabcdefghijkl", "TEAM_CHAT_ID": "-1001234", "TEAM_MEMBERS": "111:cls:Claire Martin;222:cpts:Paul Roche",
        "ADMIN_IDS": "111"}


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env file around
    for key, value in GOOD.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


def test_reads_the_environment(env):
    settings = load_settings()
    assert settings.team_chat_id == -1001234
    members = {m.user_id: m for m in settings.members()}
    assert members[111].role == "cls" and members[111].is_admin and members[111].name == "Claire Martin"
    assert members[222].role == "cpts" and not members[222].is_admin
    assert settings.timezone == "Europe/Paris" and str(settings.database_path).endswith("installation.sqlite3")


@pytest.mark.parametrize("key,value,expected", [
    ("TEAM_MEMBERS", "111:chef:Claire", "TEAM_MEMBERS"),
    ("TEAM_CHAT_ID", "le groupe", "TEAM_CHAT_ID"),
    ("TIMEZONE", "Europe/Lons", "TIMEZONE"),
])
def test_malformed_key_is_named(env, capsys, key, value, expected):
    env.setenv(key, value)
    with pytest.raises(SystemExit) as stop:
        load_settings()
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"- {expected} :" in err and "Attendu" in err


def test_missing_token_stops_the_real_entry_point(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "TEAM_CHAT_ID": "-100", "TEAM_MEMBERS": "1:cls:A"}
    result = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env={**env, "PYTHONPATH": ":".join(sys.path)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "BOT_TOKEN : manquant" in result.stderr and "@BotFather" in result.stderr


def test_webhook_mode_needs_https_and_a_secret(env, capsys):
    assert load_settings().webhook_url is None  # long polling by default
    env.setenv("WEBHOOK_URL", "https://bot.exemple.fr/telegram")
    with pytest.raises(SystemExit) as stop:
        load_settings()
    assert stop.value.code == 2
    assert "WEBHOOK_SECRET : obligatoire avec WEBHOOK_URL" in capsys.readouterr().err
    env.setenv("WEBHOOK_SECRET", "trop court")
    with pytest.raises(SystemExit):
        load_settings()
    assert "WEBHOOK_SECRET : de 16 à 256 caractères" in capsys.readouterr().err
    env.setenv("WEBHOOK_SECRET", "Un-secret_assez-long-0123")
    settings = load_settings()
    assert settings.webhook_path == "telegram" and settings.web_port == 8080
    env.setenv("WEBHOOK_URL", "http://bot.exemple.fr/telegram")
    with pytest.raises(SystemExit):
        load_settings()
    assert "WEBHOOK_URL : Telegram n'envoie qu'à une adresse https://" in capsys.readouterr().err


def test_a_server_keeps_its_configuration_file_where_bot_env_file_says(env, tmp_path):
    for key in GOOD:
        env.delenv(key)
    conf = tmp_path / "etc" / "env"
    conf.parent.mkdir()
    conf.write_text("".join(f"{k}={v}\n" for k, v in GOOD.items()) + "LOG_LEVEL=WARNING\n", encoding="utf-8")
    env.setenv("BOT_ENV_FILE", str(conf))
    settings = load_settings()
    assert settings.log_level == "WARNING" and [m.name for m in settings.members()] == ["Claire Martin", "Paul Roche"]
    env.setenv("LOG_LEVEL", "ERROR")  # the environment wins over the file
    assert load_settings().log_level == "ERROR"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8081/bot", "https://api.telegram.org/bot123:ABC/",
                                 "api.telegram.org", "https://api.telegram.org/file/bot"])
def test_a_bot_api_url_of_the_wrong_shape_is_explained_before_anything_runs(tmp_path, url):
    for command in (["-m", "bot"], ["-m", "bot", "check"]):
        env = {"PATH": "/usr/bin:/bin", **GOOD, "BOT_API_BASE_URL": url, "DATABASE_PATH": str(tmp_path / "b.sqlite3")}
        result = subprocess.run([sys.executable, *command], cwd=tmp_path,
                                env={**env, "PYTHONPATH": ":".join(sys.path)}, capture_output=True, text=True, timeout=60)
        said = result.stdout + result.stderr
        assert result.returncode in (1, 2), said  # the bot stops (2), the check says what to fix (1)
        assert "- BOT_API_BASE_URL :" in said and "Traceback" not in said and "jeton refusé" not in said.lower()
        assert ("sans /bot" in said) == ("/bot" in url)


def test_a_bot_api_url_with_a_path_of_its_own_is_kept(env):
    env.setenv("BOT_API_BASE_URL", "https://relais.example.org/telegram/")
    assert load_settings().bot_api_base_url == "https://relais.example.org/telegram"
