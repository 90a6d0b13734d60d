"""Service benchmark: latency, throughput, batch time and zero failures across reloads.

Loopback only and bounded in time. Needs a bundle (``make run`` writes ``models/demo``).

    .venv/bin/python -m bench.service --model models/demo [--seconds 15] [--workers 2]

Targets (issue 5): single-ticket p99 < 10 ms at 100 requests/s over HTTP; a batch of 1,000
tickets in < 1 s; zero failed requests across reloads under load.
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
from nlp.bundle import load_bundle
from nlp.predict import predict


def tickets(n: int) -> list[dict[str, str]]:
    frame, _ = generate(n=n, weeks=2, seed=2024)
    return [
        {"ticket_id": i, "title": t, "text": x}
        for i, t, x in zip(frame["id"], frame["title"], frame["text"], strict=True)
    ]


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
    base: str, sample: list[dict[str, str]], rate: float, seconds: float, clients: int = 8
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
                conn.request("POST", "/v1/predict", body=body, headers={"Content-Type": "application/json"})
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
    args = parser.parse_args()
    sample = tickets(2000)
    rows = []
    local = in_process(args.model, sample[:500])
    rows.append(("in-process predict, 1 ticket", percentiles(local)))
    with tempfile.TemporaryDirectory() as tmp, served(args.model, workers=args.workers, log_dir=Path(tmp)) as base:
        latencies, failures = fixed_rate(base, sample, rate=100, seconds=args.seconds)
        rows.append(("HTTP /v1/predict at 100 req/s", f"{percentiles(latencies)}  failures {failures}"))
        loop = asyncio.run(closed_loop(base, sample, concurrency=16, seconds=args.seconds))
        rows.append(
            (
                "HTTP concurrency 16",
                f"{loop.per_second:.0f} req/s  {percentiles(loop.latencies)}  failures {loop.failures}",
            )
        )
        batches = batch_times(base, sample)
        rows.append(("HTTP batch of 1,000 tickets", f"median {np.median(batches):.3f} s  max {max(batches):.3f} s"))
        reload = asyncio.run(
            closed_loop(base, sample, concurrency=8, seconds=args.seconds, reload_at=(0.25, 0.5, 0.75))
        )
        rows.append(
            (
                "reloads under load (concurrency 8)",
                f"{len(reload.latencies)} requests  failures {reload.failures}  reloads ok {reload.reloads.count(200)}/{len(reload.reloads)}",
            )
        )
    print(f"service benchmark: model {args.model}, {args.workers} worker(s), {args.seconds:.0f} s per run, loopback")
    for name, value in rows:
        print(f"  {name:<38} {value}")
    print(
        f"reproduce: .venv/bin/python -m bench.service --model {args.model} --seconds {args.seconds:g} --workers {args.workers}"
    )


if __name__ == "__main__":
    main()
