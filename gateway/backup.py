"""``shebao backup`` / ``shebao restore``: the database, the upload store and the keys in one archive
(LD/T 01 6.3.3: 备份现有数据).

The archive is a plain tar with:

- ``manifest.json`` — when, which database kind, the schema revision, and the SHA-256 of every other member;
- ``database.sqlite`` (SQLite, copied online with the sqlite3 backup API: the gateway keeps serving) or
  ``database.pgdump`` (PostgreSQL, ``pg_dump --format=custom``, a consistent snapshot taken while it serves);
- ``uploads.tar`` — ``<var>/uploads``, the materials people uploaded;
- ``keys.enc`` — the secrets, encrypted with a passphrase (``SHEBAO_BACKUP_PASSPHRASE`` or a prompt): the local
  seal and agency CA (``<var>/seal``), the embedded mode's ``secret.key`` when there is one, and the seal files
  ``SHEBAO_SEAL_PKCS12`` / ``SHEBAO_SEAL_KEY`` / ``SHEBAO_SEAL_CERT`` point to. scrypt derives the key,
  AES-256-GCM encrypts and authenticates, so a wrong passphrase or a changed byte is refused before anything is
  written. The database and the uploads are NOT encrypted by this command (personal data in the database is
  already encrypted per field with SHEBAO_SECRET_KEY): keep the archives on protected storage.

Restore goes into an empty place only: a var directory without uploads or seal, and an empty database (the
SQLite file absent, or a PostgreSQL database without tables). A SQLite backup restores to SQLite and a
PostgreSQL one to PostgreSQL.

``pg_dump`` / ``pg_restore`` are PostgreSQL's own client programs (Debian/Ubuntu: ``postgresql-client``); their
major version must be at least the server's.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from gateway.config import SECRET_FILE, Settings

PASSPHRASE_ENV = "SHEBAO_BACKUP_PASSPHRASE"
FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.pgdump"
UPLOADS_MEMBER = "uploads.tar"
KEYS_MEMBER = "keys.enc"
_MAGIC = b"SHEBAO-KEYS-1\n"
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}
MIN_PASSPHRASE = 12


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class RestoreReport:
    database: str
    uploads: int
    keys: tuple[str, ...]


# ---------------------------------------------------------------------------------------------- encryption


def _derive(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, **_SCRYPT).derive(passphrase.encode())


def encrypt(data: bytes, passphrase: str) -> bytes:
    """``data`` sealed with a key derived from ``passphrase`` (scrypt + AES-256-GCM)."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"备份口令至少 {MIN_PASSPHRASE} 个字符（{PASSPHRASE_ENV}）。")
    salt, nonce = os.urandom(16), os.urandom(12)
    return _MAGIC + salt + nonce + AESGCM(_derive(passphrase, salt)).encrypt(nonce, data, _MAGIC)


def decrypt(blob: bytes, passphrase: str) -> bytes:
    """The plain bytes; BackupError for a wrong passphrase or a changed archive."""
    if not blob.startswith(_MAGIC):
        raise BackupError("密钥部分不是本系统的加密格式，备份文件可能已损坏。")
    body = blob[len(_MAGIC) :]
    salt, nonce, sealed = body[:16], body[16:28], body[28:]
    try:
        return AESGCM(_derive(passphrase, salt)).decrypt(nonce, sealed, _MAGIC)
    except InvalidTag:
        raise BackupError("备份口令不正确，或备份文件已被改动：未恢复任何内容。") from None


# ---------------------------------------------------------------------------------------------- helpers


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("SQLite 数据库必须是一个文件。")
    return Path(database)


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """``pg_dump``-style connection arguments and environment for a SQLAlchemy URL; the password goes in the
    environment, never on a command line other users could read."""
    parsed = make_url(url)
    args = ["--dbname", parsed.database or ""]
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return args, env


def _run(program: str, args: list[str], env: Mapping[str, str]) -> None:
    found = shutil.which(program)
    if found is None:
        raise BackupError(f"找不到 {program}：请安装 PostgreSQL 客户端（Debian/Ubuntu 软件包 postgresql-client）。")
    result = subprocess.run([found, *args], env=dict(env), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{program} 失败：{result.stderr.strip()[-500:]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _schema_revision(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return ",".join(sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()))
    finally:
        engine.dispose()


def _key_files(settings: Settings) -> list[tuple[str, Path]]:
    """(name in the archive, path) of every secret file the deployment has."""
    files: list[tuple[str, Path]] = []
    seal_dir = Path(settings.var_dir) / "seal"
    if seal_dir.is_dir():
        files += [(f"seal/{p.relative_to(seal_dir)}", p) for p in sorted(seal_dir.rglob("*")) if p.is_file()]
    secret = Path(settings.var_dir) / SECRET_FILE
    if secret.is_file():
        files.append((SECRET_FILE, secret))
    for setting in ("seal_pkcs12", "seal_key", "seal_cert"):
        configured = getattr(settings, setting)
        if configured:
            path = Path(configured)
            if not path.is_file():
                raise BackupError(f"SHEBAO_{setting.upper()} 指向的文件不存在：{path}")
            files.append((f"configured/{setting}/{path.name}", path))
    return files


def _tar_bytes(files: Iterable[tuple[str, Path]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, path in files:
            tar.add(path, arcname=name, recursive=False)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------- backup


def backup(settings: Settings, output: Path, passphrase: str) -> dict:
    """Write the archive to ``output`` (written aside and renamed, so a failed run leaves no half archive);
    returns the manifest."""
    output = Path(output)
    if output.exists():
        raise BackupError(f"{output} 已存在，不会覆盖。")
    keys_blob = encrypt(_tar_bytes(_key_files(settings)), passphrase)
    url = settings.database_url
    with tempfile.TemporaryDirectory(prefix="shebao-backup-") as tmp_name:
        tmp = Path(tmp_name)
        if _is_sqlite(url):
            db_member, db_path = SQLITE_MEMBER, tmp / SQLITE_MEMBER
            if not _sqlite_path(url).is_file():  # connecting would make an empty database and back that up
                raise BackupError(
                    f"数据库文件不存在：{_sqlite_path(url)}（请检查 SHEBAO_DATABASE_URL / SHEBAO_VAR_DIR）。"
                )
            source = sqlite3.connect(_sqlite_path(url))
            target = sqlite3.connect(db_path)
            try:
                source.backup(target)  # online: a consistent copy while the gateway keeps writing
            finally:
                target.close()
                source.close()
        else:
            db_member, db_path = PG_MEMBER, tmp / PG_MEMBER
            args, env = _libpq(url)
            _run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--file", str(db_path), *args], env)
        uploads_path = tmp / UPLOADS_MEMBER
        uploads_dir = Path(settings.var_dir) / "uploads"
        with tarfile.open(uploads_path, "w") as tar:
            if uploads_dir.is_dir():
                for path in sorted(uploads_dir.iterdir()):
                    if path.is_file() and not path.name.startswith("."):  # not a half-written ".part"
                        tar.add(path, arcname=path.name, recursive=False)
        keys_path = tmp / KEYS_MEMBER
        keys_path.write_bytes(keys_blob)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": "sqlite" if db_member == SQLITE_MEMBER else "postgresql",
            "schema_revision": _schema_revision(url),
            "members": {name: _sha256(tmp / name) for name in (db_member, UPLOADS_MEMBER, KEYS_MEMBER)},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial = output.with_name(f".{output.name}.part")
        output.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(partial, "w") as tar:
            for name in (MANIFEST, db_member, UPLOADS_MEMBER, KEYS_MEMBER):
                tar.add(tmp / name, arcname=name, recursive=False)
        os.chmod(partial, 0o600)
        partial.rename(output)
    return manifest


# ---------------------------------------------------------------------------------------------- restore


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Regular files with plain relative names only: an archive cannot write outside the target."""
    members = []
    for member in tar.getmembers():
        parts = Path(member.name).parts
        if not member.isfile() or member.name.startswith("/") or ".." in parts:
            raise BackupError(f"备份文件含有不安全的条目：{member.name}")
        members.append(member)
    return members


def _check_empty_target(settings: Settings, kind: str) -> None:
    url = settings.database_url
    if (kind == "sqlite") != _is_sqlite(url):
        raise BackupError(f"这是 {kind} 数据库的备份，只能恢复到同类数据库（当前 SHEBAO_DATABASE_URL 不是）。")
    if kind == "sqlite":
        path = _sqlite_path(url)
        if path.exists() and path.stat().st_size > 0:
            raise BackupError(f"目标数据库文件 {path} 已存在：恢复只写入空的位置。")
    else:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                tables = inspect(conn).get_table_names()
        finally:
            engine.dispose()
        if tables:
            raise BackupError("目标 PostgreSQL 数据库不是空的：请新建一个空数据库后再恢复。")
    var_dir = Path(settings.var_dir)
    for part in ("uploads", "seal"):
        folder = var_dir / part
        if folder.is_dir() and any(folder.iterdir()):
            raise BackupError(f"目标目录 {folder} 不是空的：恢复只写入空的位置。")


def restore(settings: Settings, archive: Path, passphrase: str) -> RestoreReport:
    """Put the archive back into ``settings``' (empty) database and var directory."""
    with tempfile.TemporaryDirectory(prefix="shebao-restore-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            with tarfile.open(archive, "r") as tar:
                tar.extractall(tmp, members=_safe_members(tar), filter="data")
            manifest = json.loads((tmp / MANIFEST).read_text())
        except (OSError, tarfile.TarError, ValueError, KeyError) as exc:
            raise BackupError(f"无法读取备份文件 {archive}：{exc}") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError(f"不认识的备份格式 {manifest.get('format')!r}。")
        for name, digest in manifest["members"].items():
            if not (tmp / name).is_file() or _sha256(tmp / name) != digest:
                raise BackupError(f"备份文件中的 {name} 与清单不符（损坏或被改动）：未恢复任何内容。")
        keys = decrypt((tmp / KEYS_MEMBER).read_bytes(), passphrase)  # a wrong passphrase stops here
        kind = manifest["database"]
        _check_empty_target(settings, kind)

        var_dir = Path(settings.var_dir)
        var_dir.mkdir(parents=True, exist_ok=True)
        if kind == "sqlite":
            target = _sqlite_path(settings.database_url)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = sqlite3.connect(tmp / SQLITE_MEMBER)
            dest = sqlite3.connect(target)
            try:
                source.backup(dest)
            finally:
                dest.close()
                source.close()
        else:
            args, env = _libpq(settings.database_url)
            try:
                _run(
                    "pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", *args, str(tmp / PG_MEMBER)], env
                )
            except BackupError as exc:
                raise BackupError(f"{exc}（目标数据库可能已部分写入：请删除后新建空数据库再恢复。）") from exc

        uploads_dir = var_dir / "uploads"
        uploads_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tarfile.open(tmp / UPLOADS_MEMBER, "r") as tar:
            members = _safe_members(tar)
            tar.extractall(uploads_dir, members=members, filter="data")
        restored_keys = []
        with tarfile.open(fileobj=io.BytesIO(keys), mode="r") as tar:
            for member in _safe_members(tar):
                # The local seal and secret.key go back where the gateway reads them; configured seal files
                # land under <var>/restored-keys/ for the operator to point SHEBAO_SEAL_* at.
                name = member.name if not member.name.startswith("configured/") else f"restored-keys/{member.name}"
                path = var_dir / name
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                data = tar.extractfile(member)
                assert data is not None  # a regular file (checked above)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data.read())
                restored_keys.append(name)
    return RestoreReport(database=kind, uploads=len(members), keys=tuple(restored_keys))
