"""Uploads refused with a clear message and nothing stored: oversized, renamed program, empty, PDF script."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.applications import uploads
from gateway.applications.uploads import IncomingFile, UploadRefused

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
M = "病历资料"


def stored_files(var_dir: Path) -> list[Path]:
    folder = var_dir / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    from gateway.security.pii import PiiVault
    from tests.conftest import TEST_SECRET

    uploads.use_vault(tmp_path, PiiVault(TEST_SECRET))
    return tmp_path


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("big.pdf", b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024), "超过了 5 MB的上限"),
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "可执行程序或脚本"),
        ("photo.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "可执行程序或脚本"),
        ("empty.png", b"", "空文件（0 字节）"),
        (
            "form.pdf",
            PDF.replace(b">> endobj", b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj"),
            "含有脚本",
        ),
        (
            "sneaky.pdf",
            PDF.replace(b">> endobj", b"/AA << /O << /S /J#61vaScript >> >> >> endobj"),
            "含有脚本",
        ),
        (
            "run.pdf",
            PDF.replace(b">> endobj", b"/OpenAction << /S /Launch /F (cmd.exe) >> >> endobj"),
            "含有脚本",
        ),
        ("notes.txt", b"just some text", "不是 PDF、JPG 或 PNG 格式"),
    ],
)
def test_refused_with_a_clear_message_and_nothing_stored(var_dir, name, data, message):
    with pytest.raises(UploadRefused) as exc:
        uploads.store_files([IncomingFile(M, "ok.png", PNG), IncomingFile(M, name, data)], var_dir)
    assert message in exc.value.message
    assert f"“{name}”" in exc.value.message
    assert stored_files(var_dir) == []  # the good file of the batch was not written either


def test_good_files_are_stored_under_random_names_outside_the_web_root(var_dir):
    files = [
        IncomingFile(M, "../../etc/报告.pdf", PDF),
        IncomingFile(M, "a.jpg", JPEG),
        IncomingFile(M, "b.png", PNG),
    ]
    stored = uploads.store_files(files, var_dir)
    assert [s.kind for s in stored] == [uploads.FileKind.PDF, uploads.FileKind.JPEG, uploads.FileKind.PNG]
    assert stored[0].filename == "报告.pdf"  # for display only: no folders
    on_disk = stored_files(var_dir)
    assert sorted(p.name for p in on_disk) == sorted(s.stored_name for s in stored)
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in on_disk)
    assert uploads.open_stored(stored[1].stored_name, var_dir) == JPEG
    with pytest.raises(UploadRefused):
        uploads.open_stored("../secret.key", var_dir)


def test_count_limit(var_dir):
    with pytest.raises(UploadRefused) as exc:
        uploads.store_files([IncomingFile(M, "a.png", PNG)], var_dir, already=uploads.MAX_FILES)
    assert "最多上传 10 个文件" in exc.value.message
    assert stored_files(var_dir) == []


def test_the_virus_scan_hook_can_refuse(var_dir):
    class Eicar:
        def scan(self, data: bytes, filename: str) -> str | None:
            return "发现病毒 Eicar-Test-Signature" if b"EICAR" in data else None

    with pytest.raises(UploadRefused) as exc:
        uploads.store_files([IncomingFile(M, "x.pdf", PDF + b"EICAR")], var_dir, scanner=Eicar())
    assert "未通过病毒扫描：发现病毒" in exc.value.message
    assert stored_files(var_dir) == []
    assert uploads.NoScanner().scan(b"EICAR", "x") is None  # the default hook scans nothing, as documented
