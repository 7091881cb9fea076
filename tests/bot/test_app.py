"""The process tuning `python -m bot` applies: malloc arenas first, the garbage collector once the bot is built."""

import gc
import platform
import subprocess
import sys
import weakref

import pytest

from bot.app import MALLOC_ARENAS, YOUNG_COLLECTION, tune_gc


class Node:
    pass


def test_tune_gc_frees_garbage_then_freezes_what_is_loaded_and_collects_less_often():
    cycle = Node()
    cycle.itself = cycle  # garbage only the collector frees: it must not be frozen for the life of the process
    gone = weakref.ref(cycle)
    del cycle
    loaded = Node()
    threshold = gc.get_threshold()
    try:
        tune_gc()
        assert gone() is None
        assert gc.get_freeze_count() > 0
        assert not any(o is loaded for o in gc.get_objects())  # frozen: no collection goes through it again
        assert gc.get_threshold() == (YOUNG_COLLECTION, *threshold[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


# Threads allocating at the same time, then glibc's own account of its arenas (malloc_info: one <heap> each).
ARENAS_USED = """
import ctypes, ctypes.util, os, re, sys, tempfile, threading
from bot.app import limit_malloc_arenas
limited = limit_malloc_arenas() if sys.argv[1] == "limited" else None
start = threading.Barrier(8)
def allocate():
    start.wait()
    for _ in range(2000):
        blocks = [bytearray(1000) for _ in range(50)]
threads = [threading.Thread(target=allocate) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
path = tempfile.mktemp()
out = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(out))
libc.fclose(ctypes.c_void_p(out))
print(limited, len(re.findall(r'<heap nr="', open(path).read())))
os.unlink(path)
"""


def arenas_used(mode: str) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", ARENAS_USED, mode], capture_output=True, text=True, check=True)
    limited, count = out.stdout.split()
    return limited, int(count)


def test_threads_share_at_most_two_malloc_arenas():
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("the C library is not glibc: no arenas to limit")
    assert arenas_used("limited") == ("True", MALLOC_ARENAS)
    assert arenas_used("default")[1] > MALLOC_ARENAS  # what the limit changes, on this machine


def test_the_bot_itself_never_loads_the_sandbox():
    """The fake Telegram, the console and the scenarios are for the console, the tests and the benchmarks."""
    import subprocess
    import sys

    loaded = subprocess.run([sys.executable, "-c", "import sys, bot.__main__, bot.app, bot.check; "
                             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sandbox'))"],
                            capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
