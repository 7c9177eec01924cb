"""Checking an uploaded PDF away from the request worker, within limits (issue 13, must fix 7).

A crafted PDF can make a parser work for seconds or recurse until Python gives up. So each upload is parsed in a
child process of its own (forked from a clean fork server that has pyHanko loaded), which is killed when its
time is up, runs at a lower CPU priority with capped memory and CPU time, has a bounded recursion depth (the
nesting of arrays and dictionaries) and refuses a file with more objects than any certificate has
(ASVS 5.0 1.5.x and 15.2.2: parsers of untrusted input are resource-limited; 5.2.1: uploads are bounded). The
request worker only waits, its CPU left to the other requests.
"""

from __future__ import annotations

import enum
import multiprocessing
import os
import re
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from esign.validate import PdfCheck, check_pdf

_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")


class Refusal(enum.StrEnum):
    """Why a file was not checked."""

    TOO_COMPLEX = "too_complex"  # nested too deep, too many objects, or more memory than a certificate needs
    TOO_SLOW = "too_slow"  # not parsed within the time allowed


@dataclass(frozen=True)
class Limits:
    """What one check may use. Our certificates have a few dozen objects, a nesting depth under 10, and check
    in well under a second."""

    seconds: float = 5.0
    max_objects: int = 20_000
    max_depth: int = 400  # Python frames: the parser uses a few per level of nesting
    memory_bytes: int = 1024 * 1024 * 1024


class CheckRefused(Exception):
    """The file was not checked: ``reason`` says why."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


_context: multiprocessing.context.BaseContext | None = None


def _fork_server() -> multiprocessing.context.BaseContext:
    # A fork server, not a fork of the (threaded) request worker: each child starts from a clean process that
    # already imported pyHanko, so it is quick and inherits no locks or connections of the worker.
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["esign.validate", "esign.contained"])
        _context = ctx
    return _context


def _limit_self(limits: Limits) -> None:
    import resource

    os.nice(10)  # the request workers come first
    cpu = int(limits.seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))


def _child(conn: Connection, data: bytes, roots: list[bytes], tsa: list[bytes], limits: Limits) -> None:
    """The child process: check ``data`` within ``limits`` and send back a PdfCheck or a Refusal."""
    try:
        _limit_self(limits)
        if len(_OBJECT.findall(data)) > limits.max_objects:
            conn.send(Refusal.TOO_COMPLEX)
            return
        sys.setrecursionlimit(limits.max_depth + 100)
        result: PdfCheck | Refusal = check_pdf(
            data,
            tuple(x509.load_der_x509_certificate(der) for der in roots),
            tuple(x509.load_der_x509_certificate(der) for der in tsa),
        )
    except (RecursionError, MemoryError):
        result = Refusal.TOO_COMPLEX
    conn.send(result)


def _der(certs: tuple[x509.Certificate, ...]) -> list[bytes]:
    return [c.public_bytes(serialization.Encoding.DER) for c in certs]


def check_pdf_contained(
    data: bytes,
    roots: tuple[x509.Certificate, ...],
    tsa_roots: tuple[x509.Certificate, ...],
    limits: Limits | None = None,
) -> PdfCheck:
    """``check_pdf`` in a child process within ``limits``; raises CheckRefused when the file is refused."""
    limits = limits or Limits()
    ctx = _fork_server()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, data, _der(roots), _der(tsa_roots), limits), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(limits.seconds):
            raise CheckRefused(Refusal.TOO_SLOW)
        try:
            result = receive.recv()
        except EOFError:  # killed for its CPU time or memory, or crashed: either way, too much for us
            raise CheckRefused(Refusal.TOO_COMPLEX) from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(timeout=5)
    if isinstance(result, Refusal):
        raise CheckRefused(result)
    return result
