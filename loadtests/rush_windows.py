"""Where a rush's tail lies: p50, p99 and the slowest answer per 10-second window, pages apart from the login POST.

    python3 loadtests/rush_windows.py /tmp/tmp.XXXX/times.csv

Reads the ``times.csv`` that ``loadtests/rush.sh`` leaves (one line per answer: epoch seconds, request name,
milliseconds, as ``loadtests/appointments_storm.py`` writes it); standard library only.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict

LOGIN_POST = "/account/login [POST]"
WINDOW_S = 10


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


def main(path: str) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = [(float(at), name, float(ms)) for at, name, ms in csv.reader(fh)]
    start = min(at for at, _, _ in rows)
    windows: dict[int, dict[str, list[float]]] = defaultdict(lambda: {"page": [], "login": []})
    for at, name, ms in rows:
        windows[int((at - start) // WINDOW_S)]["login" if name == LOGIN_POST else "page"].append(ms)
    print("from   pages  p50 ms  p99 ms  max ms | logins  p99 ms")
    for n in sorted(windows):
        pages, logins = windows[n]["page"], windows[n]["login"]
        print(
            f"{n * WINDOW_S:4d} s {len(pages):6d} {percentile(pages, 0.5):7.0f} {percentile(pages, 0.99):7.0f}"
            f" {max(pages, default=0):7.0f} | {len(logins):6d} {percentile(logins, 0.99):7.0f}"
        )


if __name__ == "__main__":
    main(sys.argv[1])
