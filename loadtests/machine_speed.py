"""How fast this machine's cores are right now: once a second, the CPU time of one fixed piece of work.

    python3 loadtests/machine_speed.py speed.csv     # until stopped; one line a second: epoch seconds, ms

On a shared virtual machine the same work takes a varying CPU time: seen here, 3.3–4.1 ms for this probe on an
idle machine within a second, a loop 100 times longer 0.35–0.50 s seconds apart, and the probe 4.9–5.8 ms during
a rush (the two vCPUs then share the host's caches, and whatever else the host runs). The gateway's CPU per
request follows it, and so does a rush's tail. ``loadtests/rush.sh`` runs this beside the rush and
``loadtests/rush_windows.py`` prints the probe next to each window, so runs can be compared at a like machine
speed. CPU time, not wall-clock: the rush's load makes the probe wait for a core, which is not counted. Under 1 %
of one core. Standard library only.
"""

from __future__ import annotations

import contextlib
import sys
import time

WORK = 200_000  # additions: some 3–5 ms of CPU here


def probe() -> float:
    """Milliseconds of CPU time for the fixed work."""
    started = time.process_time()
    sum(range(WORK))
    return (time.process_time() - started) * 1000


def main(path: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        while True:
            fh.write(f"{time.time():.3f},{probe():.2f}\n")
            fh.flush()
            time.sleep(1)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):  # stopped by hand
        main(sys.argv[1])
