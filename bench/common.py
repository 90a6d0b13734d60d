"""Helpers shared by the benchmark scripts: timing summaries, a served model on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

# The loopback helpers' one home is tests/helpers.py (tests never import bench; bench may use tests' helpers).
from tests.helpers import free_port, wait_ready

# Runs ``hotline ARGS`` and prints, last, its time and peak memory as JSON. The peak is the
# command's own VmHWM and its children's ru_maxrss, never its own ru_maxrss: Linux carries that
# over from the parent across fork and exec, so it would count the benchmark script's memory.
_HOTLINE_CHILD = """
import importlib, json, re, resource, sys, time
from pathlib import Path
from cli.main import main
preload, args = sys.argv[1], sys.argv[2:]
for module in filter(None, preload.split(",")):
    importlib.import_module(module)
started = time.perf_counter()
code = main(args)
seconds = time.perf_counter() - started
own_kib = int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
kids_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": code, "seconds": seconds, "peak_gib": max(own_kib, kids_kib) / 1024**2}))
"""


def run_hotline(args: Sequence[str], *, preload: Sequence[str] = ()) -> dict[str, float]:
    """Run ``hotline ARGS`` in a child process, as a user would.

    Returns ``seconds`` (the command itself, after importing the modules in ``preload``),
    ``process_seconds`` (with interpreter start and every import) and ``peak_gib`` (the
    largest of the command's process and its workers).
    """
    started = time.perf_counter()
    child = [sys.executable, "-c", _HOTLINE_CHILD, ",".join(preload), *args]
    done = subprocess.run(child, capture_output=True, text=True, check=False)
    figures = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else {"code": done.returncode}
    if figures["code"] != 0:
        sys.exit(f"hotline {' '.join(args)} failed:\n{done.stderr}")
    figures["process_seconds"] = time.perf_counter() - started
    return figures


def percentiles(seconds: Sequence[float]) -> str:
    """``p50 / p99 / max`` in milliseconds."""
    ms = np.asarray(seconds) * 1000
    return f"p50 {np.percentile(ms, 50):6.2f} ms  p99 {np.percentile(ms, 99):6.2f} ms  max {ms.max():6.2f} ms"


def start_serve(
    model: Path,
    *,
    workers: int,
    prediction_log: Path,
    env: dict[str, str] | None = None,
    output: Path | None = None,
    seconds: float = 120,
    hotline: Path | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``hotline serve`` on a free loopback port in its own process group; return it and its base URL once ready.

    ``env`` is added to this process's environment; ``output`` takes the server's stdout and stderr;
    ``hotline`` is the console script to run (default: this environment's, another checkout's for
    ``bench.ab``).
    """
    port = free_port()
    hotline = hotline or Path(sys.executable).parent / "hotline"
    args = [str(hotline), "serve", "--model", str(model), "--port", str(port), "--workers", str(workers)]
    args += ["--prediction-log", str(prediction_log)]
    sink = open(output, "ab") if output is not None else subprocess.DEVNULL  # noqa: SIM115 (the child holds it)
    server = subprocess.Popen(args, env={**os.environ, **(env or {})}, stdout=sink, stderr=sink, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, seconds)
    except RuntimeError:
        server.terminate()
        server.wait(timeout=30)
        raise
    return server, base


@contextmanager
def served(
    model: Path,
    *,
    workers: int,
    log_dir: Path,
    admin_token: str = "bench",
    kb_index: Path | None = None,
    hotline: Path | None = None,
) -> Iterator[str]:
    """Run ``hotline serve`` on a free loopback port; yield its base URL; stop it afterwards.

    With ``kb_index`` (a ``hotline kb build`` folder) the service also answers ``/v1/suggest``;
    ``hotline`` as for :func:`start_serve`.
    """
    env = {"HOTLINE_ADMIN_TOKEN": admin_token, "HOTLINE_LOG_LEVEL": "warning"}
    if kb_index is not None:
        env["HOTLINE_KB_INDEX"] = str(kb_index.resolve())
    log = log_dir / "predictions.sqlite3"
    server, base = start_serve(model, workers=workers, prediction_log=log, env=env, hotline=hotline)
    try:
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
