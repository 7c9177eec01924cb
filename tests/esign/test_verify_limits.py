"""/verify/pdf parses uploads within limits, away from the request workers (issue 13, must fix 7): a crafted
file is refused with a clear Chinese error, never a 500, and cannot stall the site."""

from __future__ import annotations

import io
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from esign.contained import Limits
from gateway.certificates import verification
from tests.conftest import TEST_SECRET
from tests.esign.crafted import deeply_nested, many_objects, slow_to_parse
from tests.gateway_process import gunicorn_gateway

API = "/api/v1/verify/pdf"


def _post(client, data: bytes, **kw):
    return client.post(API, data=data, content_type="application/pdf", **kw)


def test_a_deeply_nested_pdf_is_refused_in_chinese(esign_client):
    answer = _post(esign_client, deeply_nested())
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["code"] == "pdf_too_complex" and "嵌套过深" in error["message"]


def test_the_web_page_refuses_a_deeply_nested_pdf_with_a_message(esign_client):
    page = esign_client.post(
        "/verify/pdf", data={"pdf": (io.BytesIO(deeply_nested()), "a.pdf")}, content_type="multipart/form-data"
    )
    assert page.status_code == 400 and "文件结构过于复杂" in page.text


def test_a_pdf_of_too_many_objects_is_refused(esign_client):
    answer = _post(esign_client, many_objects())
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "pdf_too_complex"


def test_a_check_past_its_time_is_stopped(esign_client, monkeypatch):
    monkeypatch.setattr(verification, "PDF_LIMITS", Limits(seconds=1.0))
    started = time.monotonic()
    answer = _post(esign_client, slow_to_parse())
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "pdf_too_slow"
    assert time.monotonic() - started < 3  # not the 7 s the parser would have taken


def test_one_client_has_one_check_at_a_time(esign_client, esign_settings, monkeypatch):
    monkeypatch.setattr(verification, "machine_turns", lambda _workers: 2)  # a turn for the held check, one more
    with verification.check_turn(esign_settings.var_dir, "203.0.113.5"):
        busy = _post(esign_client, many_objects(10), environ_base={"REMOTE_ADDR": "203.0.113.5"})
        other = _post(esign_client, many_objects(10), environ_base={"REMOTE_ADDR": "203.0.113.6"})
    assert busy.status_code == 429 and busy.get_json()["error"]["code"] == "check_in_progress"
    assert other.status_code == 200 and other.get_json()["seal"] == "unsealed"


def test_crafted_uploads_do_not_stall_the_site(database_url, seal_dir, tmp_path):
    """Four slow files from four clients at once, on two one-request-at-a-time workers as ``shebao serve`` runs
    them: the home page still answers within a second."""
    slow = slow_to_parse()
    shutil.copytree(seal_dir, tmp_path / "seal")  # the agency seal to check against, else every upload is a 503
    settings = {"TRUSTED_PROXIES": "1", "VAR_DIR": str(tmp_path), "WORKERS": "2"}
    with gunicorn_gateway(database_url, TEST_SECRET, workers=2, threads=1, **settings) as base:
        requests.get(base + "/", timeout=30)

        def upload(n: int) -> int:
            headers = {"Content-Type": "application/pdf", "X-Forwarded-For": f"198.51.100.{n + 1}"}
            return requests.post(base + API, data=slow, headers=headers, timeout=60).status_code

        with ThreadPoolExecutor(4) as pool:
            uploads = [pool.submit(upload, n) for n in range(4)]
            time.sleep(1.0)  # the uploads are being parsed now
            started = time.monotonic()
            home = requests.get(base + "/", timeout=60)
            took = time.monotonic() - started
            codes = [u.result() for u in uploads]
    assert home.status_code == 200 and took < 1.0, took
    # The one that got the machine's turn was checked in a child process (or stopped at its time limit); the
    # others found every turn taken. None answered 500.
    assert codes.count(503) == 3 and set(codes) <= {200, 400, 503}, codes
