"""The personal links' rate limiter at 50,000 distinct keys: time per request (p50, p99) and memory, against the
targets of docs/performance.md (p99 ≤ 5 µs, memory bounded whatever the number of keys).

    .venv/bin/python -m bench.limites [--cles 50000] [--appels 500000]
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc

from web.pages import Window


def measure(keys: int, calls: int) -> dict:
    window = Window(30, 60, max_keys=keys)
    names = [f"{n % 65536 // 256}.{n % 256}.{n // 65536}.x" for n in range(keys * 4)]
    durations = []
    gc.disable()  # a collection would be counted to whichever call it fell in
    try:
        clock = time.perf_counter_ns
        for n in range(calls):
            key = names[n % len(names)]  # four times more keys than the table keeps: it evicts all along
            start = clock()
            window.allow(key)
            durations.append(clock() - start)
    finally:
        gc.enable()
    durations.sort()
    tracemalloc.start()
    bounded = Window(30, 60, max_keys=keys)
    for n in range(keys * 3):
        bounded.allow(names[n])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"keys": keys, "calls": calls, "p50_us": round(durations[len(durations) // 2] / 1000, 2),
            "p99_us": round(durations[int(len(durations) * 0.99)] / 1000, 2), "max_keys_kept": len(window.events),
            "memory_mb_for_3x_keys": round(peak / 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.limites")
    parser.add_argument("--cles", type=int, default=50_000)
    parser.add_argument("--appels", type=int, default=500_000)
    args = parser.parse_args()
    print(json.dumps(measure(args.cles, args.appels), indent=1))


if __name__ == "__main__":
    main()
