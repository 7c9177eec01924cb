"""Files holding personal data are private to the gateway's user (Regulation Art. 49; ASVS 5.0 V14.2): ``var/`` is
made 0700, and the SQLite database, the rate-limit counters and stored uploads 0600 — set where they are made,
whatever umask the gateway was started with (a service manager's default 022 would leave them world-readable)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """``path`` (and missing parents) made if need be; ``path`` itself left at 0700."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    _chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """``path`` made empty if missing (SQLite then opens it, and gives its -wal and -shm files the same mode),
    and left at 0600. An existing file is changed by name only, never opened: closing any descriptor of a SQLite
    file drops the POSIX locks this process's connections hold on it."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _chmod(path, FILE_MODE)
        return path
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def _chmod(path: Path, mode: int) -> None:
    # A folder someone else owns and shares on purpose (e.g. /tmp) is not ours to change.
    with contextlib.suppress(PermissionError):
        os.chmod(path, mode)
