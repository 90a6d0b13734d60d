"""Service benchmark: latency, throughput, batch time and zero failures across reloads.

Loopback only and bounded in time. Needs a bundle (``make run`` writes ``models/demo``).

    .venv/bin/python -m bench.service --model models/demo [--seconds 15] [--workers 2] [--kb-index models/demo-kb]

Targets (issue 5): single-ticket p99 < 10 ms at 100 requests/s over HTTP; a batch of 1,000
tickets in < 1 s; zero failed requests across reloads under load.

Knowledge-base suggestions (issue 17): ``/v1/suggest`` p50/p99 in-process and over HTTP at 100
requests/s, with the demo knowledge base's test queries, on ``--kb-index`` (a ``hotline kb build``
folder) or, without, on the demo knowledge base built into a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from bench.common import percentiles, served
from demo.corpus import generate
from demo.kb import demo_kb
from kb.entries import validate_entries
from kb.index import build_index, load_index, save_index
from kb.suggest import suggest
from nlp.bundle import load_bundle
from nlp.predict import predict


def tickets(n: int) -> list[dict[str, str]]:
    frame, _ = generate(n=n, weeks=2, seed=2024)
    return [
        {"ticket_id": i, "title": t, "text": x}
        for i, t, x in zip(frame["id"], frame["title"], frame["text"], strict=True)
    ]


def kb_queries() -> list[dict[str, str]]:
    """``/v1/suggest`` bodies: the demo knowledge base's test queries, each asked at its time."""
    test = demo_kb(seed=0).test
    return [{"text": t, "asked_at": a} for t, a in zip(test["text"], test["asked_at"], strict=True)]


def demo_kb_index(directory: Path) -> Path:
    """Build the demo knowledge base's index (with its calibration queries) into ``directory``."""
    kb = demo_kb(seed=0)
    index = build_index(validate_entries(kb.entries.drop(columns="topic")), calibration=kb.calibration)
    return save_index(index, directory)


def kb_in_process(kb_index: Path, queries: list[dict[str, str]]) -> list[float]:
    index = load_index(kb_index)
    suggest(index, queries[0]["text"], asked_at=queries[0]["asked_at"])
    times = []
    for query in queries:
        start = time.perf_counter()
        suggest(index, query["text"], asked_at=query["asked_at"])
        times.append(time.perf_counter() - start)
    return times


def wait_for_kb(base: str, query: dict[str, str], seconds: float = 60) -> None:
    """Each worker loads the index after it serves predictions: wait until suggestions are answered."""
    deadline = time.perf_counter() + seconds
    with httpx.Client(base_url=base, timeout=10) as client:
        while client.post("/v1/suggest", json=query).status_code != 200:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{base}/v1/suggest not answered within {seconds:g} s")
            time.sleep(0.2)


def in_process(model: Path, sample: list[dict[str, str]]) -> list[float]:
    bundle = load_bundle(model)
    predict(bundle, sample[:1])
    times = []
    for ticket in sample:
        start = time.perf_counter()
        predict(bundle, [ticket])
        times.append(time.perf_counter() - start)
    return times


def fixed_rate(
    base: str, sample: list[dict[str, str]], rate: float, seconds: float, clients: int = 8, path: str = "/v1/predict"
) -> tuple[list[float], int]:
    """Open loop at ``rate`` requests/s: ``clients`` threads, each on its own keep-alive connection
    and its share of a fixed schedule (a light client, so that its own overhead stays out of the figures)."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    began = time.perf_counter() + 0.2
    total = int(rate * seconds)

    def client(k: int) -> None:
        nonlocal failures
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        for i in range(k, total, clients):
            delay = began + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body = json.dumps(sample[i % len(sample)], ensure_ascii=False).encode()
            start = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                failures += not ok
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures


@dataclass
class LoadResult:
    latencies: list[float]
    failures: int
    reloads: list[int]
    seconds: float

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds


async def closed_loop(
    base: str, sample: list[dict[str, str]], concurrency: int, seconds: float, reload_at: tuple[float, ...] = ()
) -> LoadResult:
    """``concurrency`` clients sending back to back; optional reloads at given fractions of the run."""
    latencies: list[float] = []
    failures = 0
    reloads: list[int] = []
    stop = time.perf_counter() + seconds
    async with httpx.AsyncClient(
        base_url=base, timeout=30, limits=httpx.Limits(max_connections=concurrency + 4)
    ) as client:

        async def worker(offset: int) -> None:
            nonlocal failures
            i = offset
            while time.perf_counter() < stop:
                start = time.perf_counter()
                try:
                    response = await client.post("/v1/predict", json=sample[i % len(sample)])
                    failures += response.status_code != 200
                except httpx.HTTPError:
                    failures += 1
                latencies.append(time.perf_counter() - start)
                i += concurrency

        async def reloader() -> None:
            began = time.perf_counter()
            for fraction in reload_at:
                await asyncio.sleep(max(0.0, began + fraction * seconds - time.perf_counter()))
                response = await client.post("/v1/admin/reload", headers={"Authorization": "Bearer bench"})
                reloads.append(response.status_code)

        await asyncio.gather(*(worker(k) for k in range(concurrency)), reloader())
    return LoadResult(latencies, failures, reloads, seconds)


def batch_times(base: str, sample: list[dict[str, str]], repeats: int = 5) -> list[float]:
    times = []
    with httpx.Client(base_url=base, timeout=60) as client:
        client.post("/v1/predict/batch", json={"tickets": sample[:10]})
        for _ in range(repeats):
            start = time.perf_counter()
            response = client.post("/v1/predict/batch", json={"tickets": sample[:1000]})
            times.append(time.perf_counter() - start)
            assert response.status_code == 200 and len(response.json()["predictions"]) == 1000
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Path("models/demo"))
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each timed run")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument(
        "--kb-index", type=Path, help="knowledge-base index for /v1/suggest (default: the demo one, built here)"
    )
    args = parser.parse_args()
    sample = tickets(2000)
    queries = kb_queries()
    rows = []
    local = in_process(args.model, sample[:500])
    rows.append(("in-process predict, 1 ticket", percentiles(local)))
    with tempfile.TemporaryDirectory() as tmp:
        kb_index = args.kb_index or demo_kb_index(Path(tmp) / "kb")
        rows.append(("in-process suggest, 1 query", percentiles(kb_in_process(kb_index, queries))))
        with served(args.model, workers=args.workers, log_dir=Path(tmp), kb_index=kb_index) as base:
            rows += http_rows(base, sample, queries, args.seconds)
    kb_name = args.kb_index or "the demo knowledge base (built for the run)"
    print(f"service benchmark: model {args.model}, {args.workers} worker(s), {args.seconds:.0f} s per run, loopback")
    print(f"  knowledge base: {kb_name}, {len(queries)} demo test queries")
    for name, value in rows:
        print(f"  {name:<38} {value}")
    kb_option = f" --kb-index {args.kb_index}" if args.kb_index else ""
    print(
        f"reproduce: .venv/bin/python -m bench.service --model {args.model} --seconds {args.seconds:g} "
        f"--workers {args.workers}{kb_option}"
    )


def http_rows(
    base: str, sample: list[dict[str, str]], queries: list[dict[str, str]], seconds: float
) -> list[tuple[str, str]]:
    """The HTTP runs against a served bundle and index: one figure line each."""
    rows = []
    latencies, failures = fixed_rate(base, sample, rate=100, seconds=seconds)
    rows.append(("HTTP /v1/predict at 100 req/s", f"{percentiles(latencies)}  failures {failures}"))
    wait_for_kb(base, queries[0])
    latencies, failures = fixed_rate(base, queries, rate=100, seconds=seconds, path="/v1/suggest")
    rows.append(("HTTP /v1/suggest at 100 req/s", f"{percentiles(latencies)}  failures {failures}"))
    loop = asyncio.run(closed_loop(base, sample, concurrency=16, seconds=seconds))
    rows.append(
        ("HTTP concurrency 16", f"{loop.per_second:.0f} req/s  {percentiles(loop.latencies)}  failures {loop.failures}")
    )
    batches = batch_times(base, sample)
    rows.append(("HTTP batch of 1,000 tickets", f"median {np.median(batches):.3f} s  max {max(batches):.3f} s"))
    reload = asyncio.run(closed_loop(base, sample, concurrency=8, seconds=seconds, reload_at=(0.25, 0.5, 0.75)))
    ok = reload.reloads.count(200)
    rows.append(
        (
            "reloads under load (concurrency 8)",
            f"{len(reload.latencies)} requests  failures {reload.failures}  reloads ok {ok}/{len(reload.reloads)}",
        )
    )
    return rows


if __name__ == "__main__":
    main()
