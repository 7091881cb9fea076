"""How `python -m bot` is put together."""

import subprocess
import sys


def test_the_bot_itself_never_loads_the_sandbox():
    """The fake Telegram, the console and the scenarios are for the console, the tests and the benchmarks."""
    loaded = subprocess.run([sys.executable, "-c", "import sys, bot.__main__, bot.app, bot.check; "
                             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sandbox'))"],
                            capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
