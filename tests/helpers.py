"""Helpers shared by tests (and the benchmarks in bench/): running ``hotline`` in-process, a server on loopback."""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

import httpx

from cli.main import main

if TYPE_CHECKING:  # bench imports the loopback helpers without pytest
    import pytest


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``hotline ARGV`` in this process; return its exit status, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def free_port() -> int:
    """A loopback port nobody listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(base: str, seconds: float) -> None:
    """Poll ``base``/readyz until it answers 200; raise RuntimeError after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server at {base} did not become ready in {seconds:.0f} s")
