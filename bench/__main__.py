"""`python -m bench`: every performance benchmark (see bench/perf.py); `python -m bench.fiabilite` for reliability."""

import sys

from bench.perf import main

sys.exit(main())
