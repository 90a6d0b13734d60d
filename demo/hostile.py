"""Hostile and careless requests to the service (issue 19), and the means to send them.

The case lists of ``tests/serve/test_hostile.py`` (which checks each answer) and of
``bench/hostile.py`` (which replays them against ``hotline serve`` and counts 5xx): lone
surrogates and bytes that are no UTF-8, impossible ISO weeks, malformed bundle sidecars,
invented HTTP methods, and a chunked body that never ends. No I/O at import.
"""

from __future__ import annotations

import json
import re
import select
import socket
import time
from pathlib import Path
from typing import Any

from nlp.atomic import write_atomic
from nlp.bundle import write_signed_sidecar

__all__ = [
    "BAD_WEEKS",
    "DROP",
    "GOOD_WEEKS",
    "MALFORMED_SIDECARS",
    "NOT_UTF8_BODY",
    "SURROGATE_BODIES",
    "edit_sidecar",
    "invented_methods",
    "send_endless_chunked",
]

# (JSON body, the field the 422 must name): a lone surrogate escaped, or as raw UTF-8-like bytes.
SURROGATE_BODIES: list[tuple[bytes, str]] = [
    (b'{"text": "\\ud800"}', "text"),
    (b'{"text": "ok", "title": "a\\udfffb"}', "title"),
    (b'{"text": "\xed\xa0\x80"}', "text"),
    (b'{"tickets": [{"text": "ok"}, {"text": "\\ud83d"}]}', "tickets.1.text"),
]
NOT_UTF8_BODY = b'{"text": "\xff\xfe"}'

# Weeks that do not exist or are not written as ISO weeks (a 422), and real ones (2020 had 53 weeks).
BAD_WEEKS = ["9999-W52", "2022-W54", "2021-W53", "２０２２-W15", "2022-W00", "0000-W01", "2022-W1"]
GOOD_WEEKS = ["2022-W13", "2020-W53", "2022-w13"]

DROP = object()  # a sidecar key to remove
# Changes that make a bundle's sidecar malformed: a reload must refuse it and keep the old model.
MALFORMED_SIDECARS: list[dict[str, Any]] = [{"payload": DROP}, {"versions": None}, {"payload": "x"}, {"tasks": None}]


def invented_methods(n: int) -> list[str]:
    """``n`` HTTP methods nobody defined (each a would-be new metrics series)."""
    return [f"BREW{i}" for i in range(n)]


def edit_sidecar(directory: Path, changes: dict[str, Any], *, key: bytes | None = None) -> None:
    """Apply ``changes`` to the bundle sidecar in ``directory`` (a value of :data:`DROP` removes the key).

    A sidecar that still names its payload is signed (``key``, else the bundle key of the
    environment) and renamed into place in one write, as ``hotline train`` and ``promote`` write
    it, so that a worker never sees an unsigned edit; a malformed one is written as it is.
    """
    sidecar = directory / "bundle.json"
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    for name, value in changes.items():
        if value is DROP:
            meta.pop(name)
        else:
            meta[name] = value
    if isinstance(meta.get("payload"), dict):
        write_signed_sidecar(sidecar, meta, key=key)
    else:
        write_atomic(sidecar, json.dumps(meta))


def send_endless_chunked(base: str, path: str, headers: str, chunks: int, *, seconds: float = 60) -> tuple[bytes, int]:
    """POST up to ``chunks`` chunks of 64 KiB to ``base`` + ``path``, never the last one.

    ``headers`` are extra header lines, each ending in CRLF. Returns the server's first answer
    (head and body) and the chunks sent before it came; raises AssertionError when no answer
    comes within ``seconds``.
    """
    host, port = base.removeprefix("http://").split(":")
    piece = b"10000\r\n" + b"x" * 65_536 + b"\r\n"
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\n{headers}\r\n".encode()
        )
        sent = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if select.select([sock], [], [], 0 if sent < chunks else 1)[0]:
                return _read_response(sock), sent
            if sent < chunks:
                try:
                    sock.sendall(piece)
                    sent += 1
                except OSError:  # the server closed after answering
                    continue
        raise AssertionError(f"no answer after {sent} chunks")


def _read_response(sock: socket.socket) -> bytes:
    """One response with a Content-Length: its head and body."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
        more = sock.recv(65_536)
        if not more:
            break
        data += more
    return data


def _length(data: bytes) -> int:
    found = re.search(rb"content-length: (\d+)", data, re.IGNORECASE)
    return int(found[1]) if found else 0
