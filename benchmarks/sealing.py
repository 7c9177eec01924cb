"""Benchmark: sealed certificates per second end to end vs pyHanko signing the same PDF with its defaults.

    .venv/bin/python -m benchmarks.sealing --count 20

One run, one process, on this machine: builds a throwaway SQLite database (migrations + a small demo
population), makes the local agency CA and seal, serves the sandbox TSA on a free port, then times

1. **end to end** — ``CertificateService.issue``: back-office data → PDF (fpdf2, CJK subset) → PAdES B-T seal
   (visible stamp, RFC 3161 timestamp) → anti-forgery code recorded (keyed hash, fingerprint) in the database;
2. **seal only, ours** — :class:`esign.signer.PyHankoSealer` on one already-rendered PDF (cached key and stamp
   appearance, signature size known so pyHanko signs once);
3. **pyHanko defaults** — the same rendered PDF signed with ``PdfSigner`` as its documentation shows: default
   metadata, default stamp, the same TSA, no ``bytes_reserved`` (pyHanko signs a dummy first to size the
   signature, then signs for real).

Figures are recorded in docs/performance.md ("Sealing certificates").
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server

SECRET = "benchmark-secret-key-that-is-long-enough-0123"
VERIFY_URL = "http://127.0.0.1:8000/verify/"


def _serve_tsa() -> tuple[str, object]:
    import logging

    from sandboxes import create_sandbox_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, create_sandbox_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _rate(times: list[float]) -> str:
    return f"{len(times) / sum(times):6.2f}/s  (median {statistics.median(times) * 1000:6.1f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20, help="documents per measurement")
    args = parser.parse_args()

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import HTTPTimeStamper

    from esign import documents, pki
    from esign.codes import DocumentKind, new_code
    from esign.fonts import parsed_face
    from esign.render import FONT, Issue, render
    from esign.service import service_for
    from esign.signer import SealPlacement
    from gateway.backoffice.demo import DemoSpec, demo_accounts
    from gateway.backoffice.local import LocalBackOffice
    from gateway.config import Settings
    from gateway.identity.demo import load_demo_data
    from gateway.migrate import upgrade
    from gateway.security.pii import PiiVault

    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        url = f"sqlite:///{var / 'bench.db'}"
        upgrade(url)
        engine = sa.create_engine(url)
        sessions = sessionmaker(bind=engine, expire_on_commit=False)
        load_demo_data(sessions, PiiVault(SECRET), DemoSpec(seed=7, people=40, units=4, today=date.today()))
        sandbox_url, server = _serve_tsa()
        settings = Settings(
            secret_key=SECRET, var_dir=var, database_url=url, sandbox_url=sandbox_url, log_level="WARNING"
        )
        pki.init_local(var / "seal", settings.agency_name)
        service = service_for(settings)
        bo = LocalBackOffice(sessions)
        people = [a.id_number for a in demo_accounts(sessions)]

        # Warm-up: font located and parsed, key parsed, seal image drawn, signature size measured, TSA root
        # pinned, and the common CJK face reduced (esign/fonts.py; a server does that once per process).
        with sessions() as db:
            service.issue(db, documents.person_proof(bo, people[0]), VERIFY_URL)
        parsed_face(service.font, FONT).wait_common(120)

        doc = documents.person_proof(bo, people[0])
        issue = Issue(settings.agency_name, new_code(DocumentKind.PERSON_PROOF), date.today(), date.today(), VERIFY_URL)
        rendered = render(doc, issue, service.font)
        placement = SealPlacement(rendered.seal_page, rendered.seal_box)
        default_signer = signers.SimpleSigner.load(
            str(var / "seal" / pki.SEAL_KEY),
            str(var / "seal" / pki.SEAL_CERT),
            ca_chain_files=(str(var / "seal" / pki.CA_CERT),),
        )
        assert default_signer is not None
        timestamper = HTTPTimeStamper(service.config.tsa_url)

        def pyhanko_defaults() -> None:
            writer = IncrementalPdfFileWriter(io.BytesIO(rendered.pdf))
            signers.PdfSigner(
                signers.PdfSignatureMetadata(field_name="Signature"),
                signer=default_signer,
                timestamper=timestamper,
                new_field_spec=fields.SigFieldSpec("Signature", on_page=placement.page, box=placement.box),
            ).sign_pdf(writer)

        # Round robin, so that a machine busy with other work slows every measurement alike.
        e2e, render_times, ours, defaults = [], [], [], []
        with sessions() as db:
            for i in range(args.count):
                person = documents.person_proof(bo, people[i % len(people)])
                for times, step in (
                    (e2e, lambda p=person: service.issue(db, p, VERIFY_URL)),
                    (render_times, lambda: render(doc, issue, service.font)),
                    (ours, lambda: service.sealer.seal(rendered.pdf, placement)),
                    (defaults, pyhanko_defaults),
                ):
                    t = time.perf_counter()
                    step()
                    times.append(time.perf_counter() - t)

        server.shutdown()
        engine.dispose()

    e2e_rate = len(e2e) / sum(e2e)
    default_rate = len(defaults) / sum(defaults)
    ours_rate = len(ours) / sum(ours)
    print(f"documents per measurement: {args.count} (proof of insurance, 1 page)")
    print(f"end to end (render + seal + code):    {_rate(e2e)}")
    print(f"  of which render (fpdf2 + CJK subset): {_rate(render_times)}")
    print(f"seal only, ours (cached, sized once):  {_rate(ours)}")
    print(f"pyHanko defaults, same rendered PDF:   {_rate(defaults)}")
    print(f"ratio end to end / pyHanko defaults:   {e2e_rate / default_rate:.2f}")
    print(f"ratio our seal / pyHanko defaults:     {ours_rate / default_rate:.2f}")


if __name__ == "__main__":
    main()
