"""How `python -m bot` is put together."""

import gc
import subprocess
import sys
import weakref

from sandbox.sandbox import Sandbox
from tests.support import texts_of


class Node:
    pass


def cycle() -> weakref.ref:
    """An object only the garbage collector can free (it refers to itself), already unreachable."""
    node = Node()
    node.itself = node
    return weakref.ref(node)


async def test_a_started_bot_sets_aside_what_it_loaded_but_neither_garbage_nor_what_comes_later(tmp_path):
    async with Sandbox(tmp_path / "tests.sqlite3"):  # tests and the console: nothing set aside
        assert gc.get_freeze_count() == 0
    garbage = cycle()
    sb = Sandbox(tmp_path / "bot.sqlite3", freeze_loaded=True)  # as python -m bot starts it
    try:
        await sb.start()
        assert garbage() is None  # collected first, not kept for the life of the process
        assert gc.get_freeze_count() > 10_000  # the libraries, the settings, the team
        tracked = {id(o) for o in gc.get_objects()}
        assert id(sb.app) not in tracked and id(sb.app.bot_data) not in tracked  # no full collection goes through it
        later = cycle()
        gc.collect()
        assert later() is None  # what comes later is collected as usual
        assert "/nouveau" in texts_of(await sb.say("cls", "/aide"))  # and the bot works as usual
    finally:
        await sb.stop()
        gc.unfreeze()


def test_the_bot_itself_never_loads_the_sandbox():
    """The fake Telegram, the console and the scenarios are for the console, the tests and the benchmarks."""
    loaded = subprocess.run([sys.executable, "-c", "import sys, bot.__main__, bot.app, bot.check; "
                             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sandbox'))"],
                            capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
