"""The process tuning `python -m bot` applies once the bot is built."""

import gc
import weakref

from bot.app import YOUNG_COLLECTION, tune_gc


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
