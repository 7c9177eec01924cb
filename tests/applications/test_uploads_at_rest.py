"""Uploaded materials are encrypted at rest (issue 13): the bytes on disk are not the PDF or JPEG, the owner
still downloads the original bytes, a file stored before encryption still opens, and a sealed file put in another
upload's place does not (the stored name is the associated data)."""

from __future__ import annotations

import io
import re

import pytest

from gateway.applications import uploads
from gateway.applications.uploads import IncomingFile, UploadRefused
from gateway.security.pii import PiiVault
from tests.applications.conftest import essc_login
from tests.applications.test_web import apply_in_three_steps
from tests.conftest import TEST_SECRET

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4


@pytest.fixture
def var_dir(tmp_path):
    uploads.use_vault(tmp_path, PiiVault(TEST_SECRET))
    return tmp_path


def test_the_bytes_on_disk_are_not_the_file(var_dir):
    stored = uploads.store_files([IncomingFile("身份证", "a.pdf", PDF), IncomingFile("照片", "b.jpg", JPEG)], var_dir)
    for original, entry in zip((PDF, JPEG), stored, strict=True):
        raw = (var_dir / "uploads" / entry.stored_name).read_bytes()
        assert raw.startswith(uploads.SEALED_HEADER)
        assert not raw.startswith((b"%PDF", b"\xff\xd8")) and original not in raw and original[:16] not in raw
        assert uploads.open_stored(entry.stored_name, var_dir) == original


def test_a_file_stored_before_encryption_still_opens(var_dir):
    folder = var_dir / "uploads"
    folder.mkdir()
    (folder / ("a" * 32)).write_bytes(PDF)
    assert uploads.open_stored("a" * 32, var_dir) == PDF


def test_a_sealed_file_does_not_open_in_another_uploads_place(var_dir):
    first, second = uploads.store_files([IncomingFile("a", "a.pdf", PDF), IncomingFile("b", "b.jpg", JPEG)], var_dir)
    folder = var_dir / "uploads"
    (folder / second.stored_name).write_bytes((folder / first.stored_name).read_bytes())
    with pytest.raises(UploadRefused) as refused:
        uploads.open_stored(second.stored_name, var_dir)
    assert refused.value.status == 409
    with pytest.raises(UploadRefused):  # and another secret's vault opens nothing
        uploads.use_vault(var_dir, PiiVault("another-secret-that-is-long-enough-0123456789"))
        uploads.open_stored(first.stored_name, var_dir)


def test_the_owner_downloads_the_original_bytes(client, app, take):
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    done = apply_in_three_steps(
        client,
        "skills-subsidy-claim",
        {"certificate_number": "ZS-002"},
        files={"file-0": (io.BytesIO(JPEG), "证书.jpg")},
    )
    number = re.search(r"/progress/(SQ[0-9]+)", done.location).group(1)
    page = client.get(f"/progress/{number}").get_data(as_text=True)
    link = re.search(r'href="(/progress/[^"]+/files/[0-9]+)"', page).group(1)
    assert client.get(link).data == JPEG
    on_disk = [p.read_bytes() for p in (app.config["SETTINGS"].var_dir / "uploads").iterdir()]
    assert on_disk and not any(raw.startswith(b"\xff\xd8") or JPEG[:32] in raw for raw in on_disk)
