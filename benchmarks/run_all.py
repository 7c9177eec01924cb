"""``make bench``: run every benchmark once and rewrite the measured tables of docs/performance.md.

Each figure is written next to its reference measured in the same run (bare Flask under the same gunicorn for
pages, pyHanko's default signer for certificates, sync workers for logins, the issue's goal for dispatch) and
with the machine's load average (os.getloadavg) before and after that benchmark. Nothing here passes or fails
on speed: the figures are recorded, whatever they are.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
BEGIN, END = "<!-- make bench: begin -->", "<!-- make bench: end -->"
DISPATCH_GOAL = 500.0  # messages/s (issue 18)


def _run(module: str, *args: str) -> tuple[str, tuple[float, float]]:
    before = os.getloadavg()[0]
    out = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, check=True, timeout=1800
    ).stdout
    print(out, flush=True)
    return out, (before, os.getloadavg()[0])


def _load(load: tuple[float, float]) -> str:
    return f"{load[0]:.1f} → {load[1]:.1f}"


def _float(pattern: str, text: str) -> float:
    return float(re.search(pattern, text).group(1))


def main() -> None:
    sections = []
    with tempfile.TemporaryDirectory() as tmp:
        out, load = _run("benchmarks.sealing", "--count", "20")
        e2e = _float(r"end to end \(render \+ seal \+ code\):\s+([\d.]+)/s", out)
        render = _float(r"of which render[^:]*:\s+([\d.]+)/s", out)
        ours = _float(r"seal only, ours[^:]*:\s+([\d.]+)/s", out)
        ref = _float(r"pyHanko defaults, same rendered PDF:\s+([\d.]+)/s", out)
        sections.append(
            "### Certificates (`python -m benchmarks.sealing --count 20`)\n\n"
            "| what | per second | ÷ pyHanko defaults (same run) | load average |\n|---|---|---|---|\n"
            f"| **end to end**: render + seal + code | {e2e:.2f} | **{e2e / ref:.2f}** | {_load(load)} |\n"
            f"| of which rendering alone | {render:.2f} | {render / ref:.2f} | |\n"
            f"| our seal alone | {ours:.2f} | {ours / ref:.2f} | |\n"
            f"| pyHanko's default signer (reference) | {ref:.2f} | 1.00 | |\n"
        )

        out, load = _run("benchmarks.dispatch_sms", "--messages", "2000", "--concurrency", "4")
        rate = _float(r"concurrency 4: .* = (\d+) messages/s", out)
        sections.append(
            "### Dispatch (`python -m benchmarks.dispatch_sms --messages 2000 --concurrency 4`)\n\n"
            "| what | messages/s | ÷ goal of 500/s | load average |\n|---|---|---|---|\n"
            f"| SMS delivered (default settings: 4 senders, batches of 100) | {rate:.0f} | {rate / DISPATCH_GOAL:.2f}"
            f" | {_load(load)} |\n"
        )

        pages_json = Path(tmp) / "pages.json"
        _out, load = _run("benchmarks.pages", "--json", str(pages_json))
        pages = json.loads(pages_json.read_text())
        bare_ms = pages["in_process_ms"]["bare Flask"]
        rows = "".join(f"| `{path}` | {ms:.2f} | {bare_ms / ms:.2f} |\n" for path, ms in pages["in_process_ms"].items())
        bare_rps = pages["gunicorn_rps"]["bare Flask"]
        served = "".join(
            f"| `{path}` | {rps:.0f} | {rps / bare_rps:.2f} |\n" for path, rps in pages["gunicorn_rps"].items()
        )
        sections.append(
            "### Pages (`python -m benchmarks.pages`)\n\n"
            f"In process (Flask test client), mean of 200 GETs; load average {_load(load)}:\n\n"
            "| page | ms | bare Flask ÷ page |\n|---|---|---|\n" + rows + "\n"
            "Under gunicorn (2 threaded workers, 8 kept-alive client threads on the same cores, 8 s each):\n\n"
            "| page | requests/s | ÷ bare Flask (same gunicorn) |\n|---|---|---|\n" + served
        )

        login_json = Path(tmp) / "login.json"
        _out, load = _run("benchmarks.login_pressure", "--json", str(login_json))
        logins = json.loads(login_json.read_text())
        lrows = "".join(
            f"| {model} | {r['logins_per_s']:.1f} | {r['page_p50_ms']:.0f} | {r['page_p95_ms']:.0f} |"
            f" {r['page_max_ms']:.0f} |\n"
            for model, r in logins.items()
            if model != "load"
        )
        sections.append(
            "### Logins under pressure (`python -m benchmarks.login_pressure`)\n\n"
            f"6 clients logging in without pause, 2 gunicorn workers; load average {_load(load)}:\n\n"
            "| worker model | logins/s | `GET /account/login` p50 ms | p95 ms | max ms |\n|---|---|---|---|---|\n"
            + lrows
        )

    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"{BEGIN}\n_Written by `make bench` on {stamp}, {os.cpu_count()} cores. The load average is the machine's "
        "(os.getloadavg, 1 minute) before → after each benchmark: other jobs share these cores, so absolute "
        "figures are floors and the ratios, measured in the same run, are the comparable part._\n\n"
        + "\n".join(sections)
        + f"{END}"
    )
    text = DOC.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + body + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n## Latest `make bench` run\n\n" + body + "\n"
    DOC.write_text(text, encoding="utf-8")
    print(f"rewrote the tables in {DOC}")


if __name__ == "__main__":
    main()
