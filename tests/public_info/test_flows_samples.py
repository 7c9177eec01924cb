"""The guides' handling flow and form samples over HTTP (LD/T 01 5.6.2)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

from pyhanko.pdf_utils.reader import PdfFileReader

from gateway.catalog import load_catalog
from gateway.catalog.flowchart import flowchart
from gateway.public_info import samples

PDFTOTEXT, PDFSIG = shutil.which("pdftotext") or "pdftotext", shutil.which("pdfsig") or "pdfsig"


def _flow_svg(html: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg .*?</svg>", html, re.S).group(0))  # noqa: S314 - our own page


def test_a_promised_items_guide_shows_its_flow_with_the_limit_and_a_text_equivalent(client):
    item = load_catalog().get("retirement-pension-claim")
    html = client.get(f"/services/{item.id}").get_data(as_text=True)
    svg = _flow_svg(html)
    assert svg.get("role") == "img"
    ns = "{http://www.w3.org/2000/svg}"
    assert item.name in svg.find(f"{ns}title").text
    texts = [t.text for t in svg.iter(f"{ns}text")]
    assert f"{item.legal_limit_days} 个工作日内办结" in texts
    # The text equivalent: the same steps in order, with the details the diagram leaves out.
    steps = re.findall(r'<li data-step="(\w+)">', html)
    assert steps == [k.value for k in flowchart(item).kinds] == ["apply", "accept", "review", "finish"]
    assert "法定时限" in html


def test_the_guide_api_gives_the_same_flow_in_order_as_the_web_guide(client):
    # LD/T 01 5.6.2: the mini-program and the kiosk read the flow from the API; it is the web guide's, step by step.
    for item_id in ("retirement-pension-claim", "work-injury-confirmation"):
        item = load_catalog().get(item_id)
        flow = client.get(f"/api/v1/catalog/{item_id}").get_json()["flow"]
        chart = flowchart(item)
        assert [s["number"] for s in flow["steps"]] == list(range(1, len(chart.steps) + 1))
        assert [s["kind"] for s in flow["steps"]] == re.findall(
            r'<li data-step="(\w+)">', client.get(f"/services/{item_id}").get_data(as_text=True)
        )
        assert [(s["label"], s["short"], tuple(s["details"])) for s in flow["steps"]] == [
            (s.label, s.short, s.details) for s in chart.steps
        ]
        assert flow["title"] == chart.title and flow["description"] == chart.description


def test_an_appointment_items_guide_shows_the_hall_step(client):
    html = client.get("/services/work-injury-confirmation").get_data(as_text=True)
    assert re.findall(r'<li data-step="(\w+)">', html) == ["apply", "book", "visit", "finish"]
    assert "到服务大厅窗口办理" in html


def test_the_guide_links_the_form_sample(client):
    html = client.get("/services/person-registration").get_data(as_text=True)
    assert 'action="/services/person-registration/sample.pdf"' in html


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "s.pdf"
    path.write_bytes(pdf)
    return subprocess.run([PDFTOTEXT, str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_sample_is_a_public_cacheable_pdf_marked_sample_and_unsigned(client, tmp_path):
    item = load_catalog().get("work-injury-confirmation")
    resp = client.get(f"/services/{item.id}/sample.pdf")
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert resp.headers["Cache-Control"] == "public, max-age=86400"
    assert resp.headers["Content-Disposition"] == f'attachment; filename="sample-{item.code}.pdf"'
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in resp.headers  # public: the same bytes for everyone, no session made
    text = _text(resp.data, tmp_path)
    flat = re.sub(r"\s+", "", text)  # long names wrap in their cells
    assert "样例" in text and samples.form_title(item) in flat
    assert item.code not in text  # the catalog's code is for systems, not for the person filling it in
    for material in item.required_materials:  # the catalog's materials, as the form asks for them
        assert material.name in flat
    assert "张示例（示例）" in text  # obviously fictitious
    assert PdfFileReader(io.BytesIO(resp.data)).embedded_signatures == []
    path = tmp_path / "s.pdf"
    pdfsig = subprocess.run([PDFSIG, str(path)], capture_output=True, text=True, check=False)
    assert "does not contain any signatures" in pdfsig.stdout + pdfsig.stderr
    # Asked again with its ETag: not modified, no body.
    again = client.get(f"/services/{item.id}/sample.pdf", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_a_unit_items_sample_has_the_unit_applicant_block(client, tmp_path):
    text = _text(client.get("/services/unit-employee-enrol/sample.pdf").data, tmp_path)
    assert "统一社会信用代码" in text and "示例科技有限公司（示例）" in text


def test_an_unknown_items_sample_is_a_chinese_404(client):
    resp = client.get("/services/no-such-item/sample.pdf")
    assert resp.status_code == 404
    assert "没有找到该服务事项" in resp.get_data(as_text=True)


def test_the_sample_download_is_rate_limited(client):
    codes = [client.get("/services/person-registration/sample.pdf").status_code for _ in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429


def test_a_forms_declared_fields_are_printed_between_the_applicant_and_the_materials():
    """The rows an item's form declares (label, example value) go in as they are: the lead feeds forms.yaml here."""
    item = load_catalog().get("person-info-change")
    fields = [("变更项目", "联系电话（示例）"), ("变更后内容", "139XXXX0000（示例）")]
    headings = [s.heading for s in samples.sections_for(item, fields)]
    assert headings == ["申请事项", "申请人信息", "申请内容", "办理材料", "申请人确认"]
    assert samples.sections_for(item, fields)[2].rows == tuple(fields)
    assert "申请内容" not in [s.heading for s in samples.sections_for(item)]  # nothing declared: no empty block
