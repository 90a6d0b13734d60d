"""Two checkouts side by side on the same input, in alternating rounds (issue 15: speed does not regress).

    .venv/bin/python -m bench.ab --before ROOT --before-model DIR --after ROOT --after-model DIR
        [--rounds 3] [--n 50000] [--data-root ../shared/data]

``bench/throughput.py`` and ``bench/service.py`` run one version at a time, each on its own
generator's tickets, and a shared machine drifts between two such runs (raw segmentation alone
varied by a quarter from one run to the next here). This script gives both versions the same
tickets and alternates them round by round, so that drift falls on both alike:

1. ``hotline predict`` of one ticket file with 1 and 2 workers (wall time of the whole command,
   interpreter start and imports included): the real messages of ``teddy2020c`` repeated to
   ``--n`` with ``--data-root``, else ``--n`` tickets of this checkout's demo generator;
2. ``hotline serve`` of each version (one worker, both running, used one at a time): a batch of
   1,000 tickets posted to ``/v1/predict/batch`` and 200 single tickets to ``/v1/predict``,
   one request after another.

Each ROOT is a checkout with its virtual environment built (``make .venv/.installed`` there, for
instance in ``git worktree add ../before COMMIT``); it runs its own ``.venv/bin/hotline``. Each
model is a bundle trained by that checkout's own ``hotline train``. Prints the median of the
rounds for each figure and version, and after / before.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from bench.common import served
from bench.service import tickets as service_tickets
from bench.throughput import teddy_tickets
from demo.corpus import generate

VERSIONS = ("before", "after")


def _hotline(root: Path) -> Path:
    path = root / ".venv" / "bin" / "hotline"
    if not path.exists():
        raise SystemExit(
            f"expected a virtual environment with hotline at {path}; run 'make .venv/.installed' in {root}"
        )
    return path


def _predict_seconds(root: Path, model: Path, source: Path, output: Path, workers: int) -> float:
    args = [str(_hotline(root)), "predict", "--model", str(model), "--input", str(source), "--output", str(output)]
    started = time.perf_counter()
    done = subprocess.run([*args, "--workers", str(workers), "--quiet"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"hotline predict in {root} failed:\n{done.stderr}")
    return time.perf_counter() - started


def _service_round(client: httpx.Client, sample: list[dict[str, str]]) -> dict[str, float]:
    started = time.perf_counter()
    response = client.post("/v1/predict/batch", json={"tickets": sample[:1000]})
    batch = time.perf_counter() - started
    if response.status_code != 200 or len(response.json()["predictions"]) != 1000:
        raise SystemExit(f"/v1/predict/batch answered {response.status_code}: {response.text[:200]}")
    singles = []
    for ticket in sample[:200]:
        started = time.perf_counter()
        client.post("/v1/predict", json=ticket).raise_for_status()
        singles.append(time.perf_counter() - started)
    ms = np.asarray(singles) * 1000
    return {
        "batch of 1,000 (s)": batch,
        "one ticket p50 (ms)": float(np.median(ms)),
        "one ticket p99 (ms)": float(np.percentile(ms, 99)),
    }


def _report(figures: dict[str, dict[str, list[float]]]) -> None:
    print(f"  {'figure (median of the rounds)':36s} {'before':>10s} {'after':>10s}  after/before")
    for name, by_version in figures.items():
        before, after = (float(np.median(by_version[v])) for v in VERSIONS)
        print(f"  {name:36s} {before:10.3f} {after:10.3f}  {after / before:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for version in VERSIONS:
        parser.add_argument(f"--{version}", type=Path, required=True, help=f"checkout ({version})")
        parser.add_argument(
            f"--{version}-model", type=Path, required=True, help=f"bundle trained by the {version} checkout"
        )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=50_000, help="tickets of the predict file")
    parser.add_argument("--data-root", type=Path, help="folder holding teddy2020c/: predict its messages")
    args = parser.parse_args()
    roots = {v: getattr(args, v).resolve() for v in VERSIONS}
    models = {v: getattr(args, f"{v}_model").resolve() for v in VERSIONS}
    with tempfile.TemporaryDirectory(prefix="bench-ab-") as tmp:
        work = Path(tmp)
        if args.data_root:
            frame, corpus = teddy_tickets(args.data_root, args.n), "teddy2020c messages (repeated)"
        else:
            frame, corpus = generate(n=args.n, weeks=4, seed=11)[0], "generated tickets"
        source = work / "input.csv"
        frame[["id", "title", "text"]].to_csv(source, index=False)
        print(f"hotline predict, {len(frame)} {corpus}, {args.rounds} rounds, seconds (whole command)")
        files: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for _ in range(args.rounds):
            for workers in (1, 2):
                for v in VERSIONS:
                    seconds = _predict_seconds(roots[v], models[v], source, work / f"{v}.csv", workers)
                    files[f"{workers} worker(s)"][v].append(seconds)
        _report(files)
        _check_same_rows(work)

        sample = service_tickets(2000)
        print(f"\nhotline serve, one worker each, the same 1,000 generated tickets, {args.rounds} rounds")
        service: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        with ExitStack() as stack:
            clients = {}
            for v in VERSIONS:
                (work / v).mkdir()
                base = stack.enter_context(served(models[v], workers=1, log_dir=work / v, hotline=_hotline(roots[v])))
                clients[v] = stack.enter_context(httpx.Client(base_url=base, timeout=60))
                _service_round(clients[v], sample)  # warm-up
            for _ in range(args.rounds):
                for v in VERSIONS:
                    for name, value in _service_round(clients[v], sample).items():
                        service[name][v].append(value)
        _report(service)
    print(
        f"\nreproduce: .venv/bin/python -m bench.ab --before {roots['before']} --before-model {models['before']}"
        f" --after {roots['after']} --after-model {models['after']} --rounds {args.rounds} --n {args.n}"
        + (f" --data-root {args.data_root}" if args.data_root else "")
    )


def _check_same_rows(work: Path) -> None:
    """Both versions wrote a row per ticket, in the same order (the figures are of the same work)."""
    ids = [pd.read_csv(work / f"{v}.csv", usecols=["id"], dtype=str)["id"] for v in VERSIONS]
    if not ids[0].equals(ids[1]):
        raise SystemExit("the two versions' predictions differ in their rows: not the same work")


if __name__ == "__main__":
    main()
