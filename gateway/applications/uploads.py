"""Uploaded materials: checked by content, stored outside the web root, served only to those entitled.

Checks, all before anything is written (a refused batch stores nothing):

- size: more than zero bytes and at most :data:`MAX_FILE_BYTES`; at most :data:`MAX_FILES` current files
  per application;
- type by content (magic bytes), never by the name: PDF, JPEG or PNG only; a program renamed to ``.pdf``
  is named as such in the refusal;
- PDFs must carry no JavaScript or launch actions (the ``/JS``, ``/JavaScript``, ``/Launch`` names, also
  when spelled with ``#xx`` escapes). A name hidden inside a compressed object stream is not seen by this
  byte scan; that is what the virus-scan hook is for.
- a virus-scan hook (:class:`VirusScanner`). The default, :class:`NoScanner`, DOES NOT SCAN: it accepts every
  file. An operator plugs a real scanner (e.g. a clamd client) in with ``app.extensions["shebao_scanner"]``.

Files go to ``<var_dir>/uploads/`` under random names (no part of the person's file name reaches the disk),
encrypted (AES-GCM under the ``application_material.file`` purpose key, the stored name as associated data, so a
file copied over another does not open), 0600 in a 0700 folder. Files written before encryption have no header
and are served as they are. The key comes from the vault the app registers for its ``var_dir``
(:func:`use_vault`). Pure Python, no Flask.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from gateway.problems import UserError
from gateway.security.at_rest import FILE_MODE, private_dir
from gateway.security.pii import PiiError, PiiVault, Purpose

#: The first bytes of an encrypted upload; no PDF, JPEG or PNG starts so.
SEALED_HEADER = b"SHEBAO-UPLOAD-1\n"
_vaults: dict[Path, PiiVault] = {}


def use_vault(var_dir: Path, vault: PiiVault) -> None:
    """Uploads under ``var_dir`` are sealed and opened with ``vault`` (the app registers its own at start)."""
    _vaults[Path(var_dir).resolve()] = vault


def _vault_for(var_dir: Path) -> PiiVault:
    vault = _vaults.get(Path(var_dir).resolve())
    if vault is None:
        # Never store personal files in clear because a caller forgot the key.
        raise RuntimeError(f"no upload key registered for {var_dir} (gateway.applications.uploads.use_vault)")
    return vault


__all__ = [
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "FileKind",
    "IncomingFile",
    "NoScanner",
    "StoredFile",
    "UploadRefused",
    "VirusScanner",
    "check_file",
    "delete_stored",
    "open_stored",
    "store_files",
]

MAX_FILE_BYTES = 5 * 1024 * 1024  # a phone photo of a certificate fits; a whole scanned book does not
MAX_FILES = 10
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class FileKind(StrEnum):
    """The types accepted, known by their first bytes."""

    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"


_MAGIC = (
    (b"%PDF-", FileKind.PDF),
    (b"\xff\xd8\xff", FileKind.JPEG),
    (b"\x89PNG\r\n\x1a\n", FileKind.PNG),
)
# Executables and scripts, to name them in the refusal rather than saying only "unknown type".
_PROGRAMS = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")
_PDF_NAME = re.compile(rb"/((?:[^\s/\[\]<>(){}%#]|#[0-9A-Fa-f]{2})+)")
_DANGEROUS_PDF_NAMES = frozenset({b"JS", b"JavaScript", b"Launch"})


class UploadRefused(UserError):
    """A file that cannot be accepted; the message names the file and says why, in Chinese."""

    def __init__(self, message: str, code: str = "upload_refused", status: int = 400) -> None:
        super().__init__(code, message, status)


@dataclass(frozen=True)
class IncomingFile:
    """One file as received: the name the person gave it and its bytes."""

    material: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class StoredFile:
    """A file that passed every check and is on disk."""

    material: str
    filename: str
    stored_name: str
    kind: FileKind
    size: int
    sha256: str


class VirusScanner(Protocol):
    """The virus-scan hook: return None for a clean file, or a Chinese reason to refuse it."""

    def scan(self, data: bytes, filename: str) -> str | None: ...


class NoScanner:
    """The default hook. It scans NOTHING and accepts every file; plug a real scanner in for production."""

    def scan(self, data: bytes, filename: str) -> str | None:
        return None


def clean_filename(name: str) -> str:
    """The file's name for display only: no folders, no control characters, at most 100 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in base if c.isprintable()).strip() or "未命名文件"
    return base[-100:]


def _pdf_has_script(data: bytes) -> bool:
    for match in _PDF_NAME.finditer(data):
        name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        if name in _DANGEROUS_PDF_NAMES:
            return True
    return False


def check_file(incoming: IncomingFile, scanner: VirusScanner | None = None) -> FileKind:
    """The file's type if it may be accepted; raises :class:`UploadRefused` naming the problem."""
    name = clean_filename(incoming.filename)
    data = incoming.data
    if not data:
        raise UploadRefused(f"文件“{name}”是空文件（0 字节），请重新选择。")
    if len(data) > MAX_FILE_BYTES:
        raise UploadRefused(
            f"文件“{name}”大小为 {len(data) / 1024 / 1024:.1f} MB，超过了 {MAX_FILE_BYTES // 1024 // 1024} MB"
            "的上限，请压缩或分页后上传。"
        )
    kind = next((k for magic, k in _MAGIC if data.startswith(magic)), None)
    if kind is None:
        if data.startswith(_PROGRAMS):
            raise UploadRefused(f"文件“{name}”的内容是可执行程序或脚本，不是 PDF 或图片，不能上传。")
        raise UploadRefused(f"文件“{name}”不是 PDF、JPG 或 PNG 格式（按文件内容判断），请转换后上传。")
    if kind is FileKind.PDF and _pdf_has_script(data):
        raise UploadRefused(f"文件“{name}”含有脚本或自动执行的动作，出于安全原因不能上传，请另存为普通 PDF 后重试。")
    verdict = (scanner or NoScanner()).scan(data, name)
    if verdict:
        raise UploadRefused(f"文件“{name}”未通过病毒扫描：{verdict}")
    return kind


def _upload_dir(var_dir: Path) -> Path:
    if not Path(var_dir).exists():
        private_dir(var_dir)
    return private_dir(Path(var_dir) / "uploads")


def store_files(
    files: Iterable[IncomingFile], var_dir: Path, *, already: int = 0, scanner: VirusScanner | None = None
) -> list[StoredFile]:
    """Check every file, then write them all; if any is refused, nothing is written."""
    files = [f for f in files if f.filename or f.data]
    if already + len(files) > MAX_FILES:
        raise UploadRefused(f"每件申请最多上传 {MAX_FILES} 个文件，您已上传 {already} 个，请删除不需要的文件后再试。")
    kinds = [check_file(f, scanner) for f in files]
    vault = _vault_for(var_dir)
    folder = _upload_dir(var_dir)
    stored: list[StoredFile] = []
    tmp: Path | None = None
    try:
        for incoming, kind in zip(files, kinds, strict=True):
            stored_name = secrets.token_hex(16)
            tmp = folder / f".{stored_name}.part"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            os.fchmod(fd, FILE_MODE)  # exactly 0600, whatever the umask
            with os.fdopen(fd, "wb") as fh:
                fh.write(SEALED_HEADER + vault.seal_bytes(incoming.data, Purpose.UPLOAD_FILE, stored_name))
            tmp.rename(folder / stored_name)
            stored.append(
                StoredFile(
                    material=incoming.material,
                    filename=clean_filename(incoming.filename),
                    stored_name=stored_name,
                    kind=kind,
                    size=len(incoming.data),
                    sha256=hashlib.sha256(incoming.data).hexdigest(),
                )
            )
    except OSError:
        # A full or failing disk: nothing of the batch stays, not even the half-written part of the last file.
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        delete_stored([s.stored_name for s in stored], var_dir)
        raise
    return stored


def _path_of(stored_name: str, var_dir: Path) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", stored_name or ""):
        raise UploadRefused("文件不存在。", code="not_found", status=404)
    return Path(var_dir) / "uploads" / stored_name


def open_stored(stored_name: str, var_dir: Path) -> bytes:
    """The bytes of a stored file (the caller has checked who may see it)."""
    path = _path_of(stored_name, var_dir)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UploadRefused("文件不存在。", code="not_found", status=404) from None
    if not raw.startswith(SEALED_HEADER):
        return raw  # stored before uploads were encrypted
    try:
        return _vault_for(var_dir).open_bytes(raw[len(SEALED_HEADER) :], Purpose.UPLOAD_FILE, stored_name)
    except PiiError:
        # Damaged, or another upload's file put in its place: not served.
        raise UploadRefused("文件已损坏，无法打开，请联系经办机构。", code="damaged", status=409) from None


def reseal_all(var_dir: Path, vault: PiiVault) -> tuple[int, int, int]:
    """After a secret rotation (``shebao pii rekey``): every upload sealed under a replaced secret sealed again
    under the current one. Returns (resealed, already current or stored before encryption, unreadable)."""
    folder = Path(var_dir) / "uploads"
    done = fine = lost = 0
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if not re.fullmatch(r"[0-9a-f]{32}", path.name):
            continue
        raw = path.read_bytes()
        if not raw.startswith(SEALED_HEADER):
            fine += 1
            continue
        try:
            again = vault.reseal_bytes(raw[len(SEALED_HEADER) :], Purpose.UPLOAD_FILE, path.name)
        except PiiError:
            lost += 1
            continue
        if again is None:
            fine += 1
            continue
        tmp = folder / f".{path.name}.rekey"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(SEALED_HEADER + again)
        tmp.replace(path)  # atomic: a reader sees the old or the new file, never half of one
        done += 1
    return done, fine, lost


def delete_stored(stored_names: Iterable[str], var_dir: Path) -> None:
    """Remove stored files (a rolled-back transaction must not leave orphans on disk)."""
    for name in stored_names:
        try:
            _path_of(name, var_dir).unlink(missing_ok=True)
        except UploadRefused:
            continue
