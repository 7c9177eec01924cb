"""Plain words everywhere (issue 15): every HTML page and PDF the suite's journeys put before a person is scanned
for raw codes and UTC instants, and the test that rendered one fails.

Two hooks, installed once for the whole run by tests/conftest.py:
- the Flask test client: each HTML response (its visible text) and each PDF (its text, by ``pdftotext``) is
  scanned as it arrives, and a leak fails the request's test at once;
- Playwright: every browser context gets a script that scans the page's rendered text after it loads and again
  whenever it changes, and reports leaks to Python; the test that opened the page fails at its teardown.

What a person typed comes back as typed: a test that names a staff account ``console_new1`` would be told of a
code it made itself, so the suite's own identifiers use no underscores (``console.new1``).

Only what a person sees or hears counts: text that is rendered, plus the attributes read out or shown (aria-label,
alt, title, placeholder, a button's value). Hidden inputs, other attribute values, scripts, styles, templates and
``hidden`` elements are not read by anyone.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path

#: What must never reach a person: system codes of login methods (``essc``, ``password`` as a method) and errors
#: (``not_found`` and any other snake_case code), ISO instants, UTC, the catalog's item codes and clause codes of
#: the standards (a rule is cited in words). The same source serves Python and the browser's JavaScript.
RAW_SOURCE = (
    r"\bessc(?:_qr)?\b|\bpassword(?:_sms)?\b|\b[a-z]+(?:_[a-z0-9]+)+\b|\d{4}-\d{2}-\d{2}T\d|UTC"
    r"|\bSB-[A-Z]{2,3}-\d{4}\b|LD/T ?01(?:—\d{4})? ?\d|GB/T ?\d+(?:—\d{4})? ?\d"
)
RAW = re.compile(RAW_SOURCE)
PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"  # poppler-utils

_SHOWN_ATTRS = ("aria-label", "alt", "title", "placeholder")
_SKIPPED = {"script", "style", "template", "noscript"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _Visible(HTMLParser):
    """Collects the text a person sees or hears on a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._open: list[tuple[str, bool]] = []  # (tag, hidden from here down)

    @property
    def _hidden(self) -> bool:
        return bool(self._open) and self._open[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        hidden = self._hidden or tag in _SKIPPED or "hidden" in named or named.get("type") == "hidden"
        if not hidden:
            self.parts.extend(named[a] or "" for a in _SHOWN_ATTRS if a in named)
            if tag == "input" and named.get("type") in ("submit", "button", "reset"):
                self.parts.append(named.get("value") or "")
        if tag not in _VOID:
            self._open.append((tag, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        # Browsers close unclosed children when their parent closes; do the same.
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def seen_text(page: str) -> str:
    """What a person reads or hears on an HTML page: its rendered text and the attributes read out or shown."""
    parser = _Visible()
    parser.feed(page)
    parser.close()
    return html_lib.unescape(" ".join(parser.parts))


def leaks(page: str) -> list[str]:
    """The raw codes and UTC instants a person would see on HTML ``page``, as found."""
    return [m.group(0) for m in RAW.finditer(seen_text(page))]


def pdf_words(pdf: bytes) -> str:
    """The text of a PDF's pages as ``pdftotext`` reads it (poppler: what a viewer shows and a reader copies)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        done = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout.decode()


def pdf_leaks(pdf: bytes) -> list[str]:
    """The raw codes and UTC instants printed in ``pdf``."""
    return [m.group(0) for m in RAW.finditer(pdf_words(pdf))]


# ---------------------------------------------------------------- the Flask test client


def scan_response(path: str, response) -> None:
    """Fail when an HTML or PDF ``response`` shows a person a raw code."""
    mimetype = response.mimetype or ""
    if response.status_code in (301, 302, 303, 307, 308) or mimetype not in ("text/html", "application/pdf"):
        return
    if not response.is_sequence:
        response.make_sequence()  # a sent file: read once here, and the test reads the same bytes
    if mimetype == "text/html":
        found = leaks(response.get_data(as_text=True))
    elif mimetype == "application/pdf":
        found = pdf_leaks(response.get_data())
    else:
        return
    assert not found, f"raw codes reach a person on {path}: {found}"


def install_client_scan() -> None:
    """Scan every HTML and PDF response of every Flask test client, from now on."""
    from flask.testing import FlaskClient

    if getattr(FlaskClient.open, "_scans_words", False):
        return
    plain_open = FlaskClient.open

    def open_and_scan(self, *args, **kwargs):
        response = plain_open(self, *args, **kwargs)
        if self.application.import_name != "gateway":
            return response  # a sandbox standing in for an outside system: not the gateway's words
        path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "")
        scan_response(str(path), response)
        return response

    open_and_scan._scans_words = True  # type: ignore[attr-defined]
    FlaskClient.open = open_and_scan  # type: ignore[method-assign]


# ---------------------------------------------------------------- Playwright

#: Origins of the outside systems' stand-ins (the sandboxes, tests/conftest.py): a person meets their pages
#: on the way through a login, but the gateway does not write them.
OTHER_SYSTEMS: set[str] = set()
#: Leaks the browsers reported during the current test (the bindings run on Playwright's own threads).
BROWSER_LEAKS: list[str] = []
_LOCK = threading.Lock()

_SCAN_JS = """
(() => {
  if (window.__plainWordsInstalled) return;
  window.__plainWordsInstalled = true;
  const RAW = new RegExp(%s, 'g');
  const ATTRS = %s;
  const seen = () => {
    const parts = [document.title, document.body ? document.body.innerText : ''];
    for (const el of document.querySelectorAll(ATTRS.map(a => '[' + a + ']').join(','))) {
      if (el.closest('[hidden], template, script, style') || (el.type === 'hidden')) continue;
      const shown = el.checkVisibility ? el.checkVisibility() : el.getClientRects().length > 0;
      // A visually hidden element (sr-only) still has a box and is read out; display:none is neither.
      if (!shown && el.tagName !== 'TITLE') continue;
      for (const a of ATTRS) if (el.hasAttribute(a)) parts.push(el.getAttribute(a));
    }
    return parts.join(' ');
  };
  let reported = new Set();
  const scan = () => {
    const found = (seen().match(RAW) || []).filter(f => !reported.has(f));
    if (!found.length || !window.__plainWordsLeak) return;
    found.forEach(f => reported.add(f));
    window.__plainWordsLeak(location.href, found);
  };
  let timer = null;
  const later = () => { clearTimeout(timer); timer = setTimeout(scan, 200); };
  window.addEventListener('load', () => {
    scan();
    const watch = {subtree: true, childList: true, characterData: true};
    new MutationObserver(later).observe(document.documentElement, watch);
  });
})();
"""


def _scan_script() -> str:
    import json

    return _SCAN_JS % (json.dumps(RAW_SOURCE), json.dumps(list(_SHOWN_ATTRS)))


def _report(source, where: str, found: list[str]) -> None:
    if any(where.startswith(origin) for origin in OTHER_SYSTEMS):
        return  # a sandbox standing in for the e-SSC platform, Alipay…: their pages are not the gateway's
    with _LOCK:
        BROWSER_LEAKS.append(f"{where}: {found}")


def _watch(context) -> None:
    context.expose_binding("__plainWordsLeak", _report)
    context.add_init_script(_scan_script())


def install_browser_scan() -> None:
    """Give every Playwright browser context made from now on the page scanner."""
    from playwright.sync_api._generated import Browser

    if getattr(Browser.new_context, "_scans_words", False):
        return
    plain_context, plain_page = Browser.new_context, Browser.new_page

    def new_context(self, *args, **kwargs):
        context = plain_context(self, *args, **kwargs)
        _watch(context)
        return context

    def new_page(self, *args, **kwargs):
        page = plain_page(self, *args, **kwargs)
        _watch(page.context)
        return page

    new_context._scans_words = True  # type: ignore[attr-defined]
    Browser.new_context = new_context  # type: ignore[method-assign]
    Browser.new_page = new_page  # type: ignore[method-assign]


def take_browser_leaks() -> list[str]:
    """The leaks reported since the last call, and forget them."""
    with _LOCK:
        found = list(BROWSER_LEAKS)
        BROWSER_LEAKS.clear()
    return found
