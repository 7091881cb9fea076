"""What the server runs: the systemd unit, the Docker image's recipe, and the package installed outside the checkout."""

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from sandbox.fakeapi import FakeBotAPI
from sandbox.fakeserver import FakeBotAPIServer

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "installation-bot.service"


def unit_settings() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_unit_runs_the_bot_as_its_own_user_restarts_it_and_keeps_data_in_one_place(tmp_path):
    unit = unit_settings()
    assert unit["User"] == ["installbot"] and unit["ExecStart"] == ["/opt/installation-bot/.venv/bin/python -m bot"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["RestartPreventExitStatus"] == ["2"]  # a configuration error (exit 2) is not retried in a loop
    env = dict(e.split("=", 1) for e in unit["Environment"])
    data = "/var/lib/" + unit["StateDirectory"][0]
    assert env["DATABASE_PATH"].startswith(data + "/") and env["BACKUP_DIR"].startswith(data + "/")
    assert env["BOT_ENV_FILE"] == "/etc/installation-bot/env"
    assert unit["StandardOutput"] == ["journal"] and unit["ProtectSystem"] == ["strict"]
    if shutil.which("systemd-analyze"):  # systemd's own reading of the file, where systemd is installed
        local = tmp_path / "installation-bot.service"
        local.write_text(UNIT.read_text(encoding="utf-8").replace("/opt/installation-bot/.venv/bin/python",
                                                                  sys.executable), encoding="utf-8")
        checked = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr


def test_a_configuration_error_exits_with_the_code_the_unit_does_not_retry(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "BOT_TOKEN : manquant" in done.stderr


def test_the_docker_recipe_installs_every_package_and_runs_without_root():
    recipe = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in packages:
        assert re.search(rf"^COPY {package.rstrip('*')} \./{package.rstrip('*')}$", recipe, re.M), package
    users = re.findall(r"^USER (\S+)$", recipe, re.M)
    assert users and users[-1] not in ("root", "0")
    volume = re.search(r'^VOLUME \["(\S+)"\]$', recipe, re.M).group(1)
    assert re.search(rf"DATABASE_PATH={volume}/\S+", recipe) and re.search(rf"BACKUP_DIR={volume}/\S+", recipe)
    assert 'ENTRYPOINT ["python", "-m", "bot"]' in recipe


async def test_the_installed_package_works_away_from_the_checkout(tmp_path):
    """What the image and the server do: `pip install .`, then run from elsewhere (migrations shipped inside)."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(ROOT)], check=True, timeout=300)
    run = tmp_path / "run"
    run.mkdir()
    api = FakeBotAPI()
    api.add_group(-1001000000001, "Installation — équipe")
    server = FakeBotAPIServer(api)
    port = await server.start()
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(target), "BOT_TOKEN": "123456789:INSTALLE",
           "TEAM_CHAT_ID": "-1001000000001", "TEAM_MEMBERS": "1001:cls:Claire Martin",
           "DATABASE_PATH": str(run / "data" / "b.sqlite3"), "BOT_API_BASE_URL": f"http://127.0.0.1:{port}"}
    try:
        where = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import bot, storage.db; print(bot.__file__); print(storage.db.latest_version())",
            cwd=run, env=env, stdout=asyncio.subprocess.PIPE)
        printed = (await where.communicate())[0].decode().split()
        assert printed[0].startswith(str(target)) and int(printed[1]) >= 8
        check = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "check", cwd=run, env=env,
                                                     stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out = (await asyncio.wait_for(check.communicate(), 60))[0].decode()
        assert check.returncode == 0 and "Tout est prêt." in out, out
    finally:
        await server.stop()


def test_deployments_install_the_locked_packages_and_the_lock_holds_every_dependency():
    recipe = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --require-hashes -r requirements.lock" in recipe and "pip install --no-deps ." in recipe
    guide = (ROOT / "docs" / "deploiement.md").read_text(encoding="utf-8")
    assert guide.count("pip install --require-hashes -r requirements.lock") == 2  # installing and updating
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    locked = dict(re.findall(r"^([a-z0-9_.-]+)==(\S+) \\", lock, re.M))
    assert all("--hash=sha256:" in block for block in lock.split("==")[1:])
    for requirement in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        name, floor = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?>=([0-9.]+)", requirement).groups()
        version = locked.get(name.lower())
        assert version, f"{name} is not in requirements.lock: run bash scripts/lock.sh"
        as_numbers = [int(x) for x in re.findall(r"\d+", version)[:3]]
        assert as_numbers >= [int(x) for x in floor.split(".")], (name, version, floor)
