"""Where a rush's tail lies: p50, p99 and the slowest answer per 10-second window, pages apart from the login POST.

    python3 loadtests/rush_windows.py /tmp/tmp.XXXX/times.csv [/tmp/tmp.XXXX/speed.csv]

Reads the ``times.csv`` that ``loadtests/rush.sh`` leaves (one line per answer: epoch seconds, request name,
milliseconds, as ``loadtests/appointments_storm.py`` writes it) and, if given, the machine's speed probe
(``loadtests/machine_speed.py``): its median per window, and over the whole run, is printed beside the times
(a higher probe is a slower machine). Standard library only.
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


def _read(path: str) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def main(path: str, speed_path: str | None = None) -> None:
    rows = [(float(at), name, float(ms)) for at, name, ms in _read(path)]
    start = min(at for at, _, _ in rows)
    windows: dict[int, dict[str, list[float]]] = defaultdict(lambda: {"page": [], "login": [], "probe": []})
    for at, name, ms in rows:
        windows[int((at - start) // WINDOW_S)]["login" if name == LOGIN_POST else "page"].append(ms)
    probes = [(float(at), float(ms)) for at, ms in _read(speed_path)] if speed_path else []
    for at, ms in probes:
        if (n := int((at - start) // WINDOW_S)) in windows:
            windows[n]["probe"].append(ms)
    print("from   pages  p50 ms  p99 ms  max ms | logins  p99 ms" + (" | probe ms" if probes else ""))
    for n in sorted(windows):
        pages, logins, probe = windows[n]["page"], windows[n]["login"], windows[n]["probe"]
        print(
            f"{n * WINDOW_S:4d} s {len(pages):6d} {percentile(pages, 0.5):7.0f} {percentile(pages, 0.99):7.0f}"
            f" {max(pages, default=0):7.0f} | {len(logins):6d} {percentile(logins, 0.99):7.0f}"
            + (f" | {percentile(probe, 0.5):8.2f}" if probes else "")
        )
    if probes:
        print(f"machine speed probe over the run: median {percentile([ms for _, ms in probes], 0.5):.2f} ms")


if __name__ == "__main__":
    main(*sys.argv[1:3])
