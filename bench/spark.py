"""Spark ``local[2]`` against ``hotline predict --workers 2`` on the same generated tickets (issue 20).

    .venv/bin/python -m bench.spark [--n 1000000] [--model DIR] [--master local[2]] [--workers 2]

Writes N generated tickets to one Parquet file and scores it both ways (Parquet out), each in a
child process started cold, as a user would run it. Prints for each: tickets per second of the
big run, start-up overhead (Spark: the session, then a 1,000-ticket job that starts the Python
workers and loads the bundle; native: a 1,000-ticket run), and peak memory: for Spark of the
driver, the JVM and the Python workers (the largest worker, and all of them together), sampled
from /proc every 0.2 s (each process's high-water mark, VmHWM); for the native run, the largest
of its processes. Then the ratio of Spark's throughput to the native one (target >= 70 %).
Without ``--model`` a bundle is trained on 6,000 generated tickets first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import run_hotline
from bench.throughput import demo_model
from demo.corpus import generate
from nlp.tables import write_table

SMALL = 1_000

# Run in a child process: a cold Spark session, a small job, the big job; memory sampled meanwhile.
_SPARK_CHILD = """
import json, sys, time
from bench.spark import Sampler
from batch.predict import predict_spark
from batch.session import spark_session
from nlp.tickets import ColumnMap

model, small, big, out, master = sys.argv[1:6]
sampler = Sampler()
sampler.start()
started = time.perf_counter()
spark = spark_session(master, app="bench")
session = time.perf_counter() - started
t = time.perf_counter()
predict_spark(spark, model, small, out + "/small", ColumnMap())
small_seconds = time.perf_counter() - t
t = time.perf_counter()
summary = predict_spark(spark, model, big, out + "/big", ColumnMap())
big_seconds = time.perf_counter() - t
sampler.stop()
spark.stop()
print(json.dumps({"session": session, "small": small_seconds, "big": big_seconds, "rows": summary.rows, **sampler.peaks()}))
"""


def _hwm_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # the process ended
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1])


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return []


class Sampler(threading.Thread):
    """Peak memory of this process (the driver), the JVM it started and the JVM's Python workers."""

    def __init__(self, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.running = True
        self.driver = self.jvm = self.worker = self.workers = 0

    def run(self) -> None:
        while self.running:
            self.sample()
            time.sleep(self.every)

    def sample(self) -> None:
        self.driver = max(self.driver, _hwm_kib(os.getpid()))
        total = 0
        stack = _children(os.getpid())
        while stack:
            pid = stack.pop()
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "java" in command.split(" ")[0]:
                self.jvm = max(self.jvm, _hwm_kib(pid))
            elif "python" in command:  # pyspark.daemon and the workers it forks
                peak = _hwm_kib(pid)
                self.worker = max(self.worker, peak)
                total += peak
            stack.extend(_children(pid))
        self.workers = max(self.workers, total)

    def stop(self) -> None:
        self.running = False
        self.join()
        self.sample()

    def peaks(self) -> dict[str, float]:
        gib = 1024**2
        return {
            "driver_gib": self.driver / gib,
            "jvm_gib": self.jvm / gib,
            "worker_gib": self.worker / gib,
            "workers_gib": self.workers / gib,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="generated tickets (default 1,000,000)")
    parser.add_argument("--model", help="bundle (default: train one on 6,000 generated tickets)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--workers", type=int, default=2, help="processes of the native run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = Path(args.model) if args.model else demo_model(work)
        started = time.perf_counter()
        frame, _ = generate(n=args.n, weeks=8, seed=21)
        frame = frame[["id", "created_at", "title", "text"]]
        big = write_table(frame, work / "tickets.parquet")
        small = write_table(frame.head(SMALL), work / "small.parquet")
        chars = int(frame["text"].str.len().mean())
        del frame
        print(f"{args.n} generated tickets (~{chars} characters) in {time.perf_counter() - started:.0f} s")

        native = [
            run_hotline(
                [
                    "predict",
                    "--model",
                    str(model),
                    "--input",
                    str(path),
                    "--output",
                    str(out),
                    "--quiet",
                    "--workers",
                    str(args.workers),
                ],
                preload=["training.predict_file"],
            )
            for path, out in ((small, work / "small-out.parquet"), (big, work / "big-out.parquet"))
        ]
        native_rate = args.n / native[1]["seconds"]
        print(
            f"hotline predict --workers {args.workers}: {native_rate:,.0f} tickets/s ({native[1]['seconds']:.1f} s), "
            f"start-up: {SMALL} tickets in {native[0]['process_seconds']:.1f} s with interpreter and imports, "
            f"peak {native[1]['peak_gib']:.2f} GiB (largest process)"
        )

        child = [sys.executable, "-c", _SPARK_CHILD, str(model), str(small), str(big), str(work / "spark"), args.master]
        t = time.perf_counter()
        done = subprocess.run(child, capture_output=True, text=True, check=False)
        process = time.perf_counter() - t
        if done.returncode != 0:
            sys.exit(f"the Spark run failed:\n{done.stderr[-4000:]}")
        spark = json.loads(done.stdout.strip().splitlines()[-1])
        assert spark["rows"] == args.n, spark
        spark_rate = args.n / spark["big"]
        print(
            f"Spark {args.master}: {spark_rate:,.0f} tickets/s ({spark['big']:.1f} s), start-up: session "
            f"{spark['session']:.1f} s + first job of {SMALL} tickets {spark['small']:.1f} s "
            f"(whole process {process:.0f} s); peak driver {spark['driver_gib']:.2f} GiB, JVM {spark['jvm_gib']:.2f} GiB, "
            f"Python workers {spark['worker_gib']:.2f} GiB each at most, {spark['workers_gib']:.2f} GiB together"
        )
        print(f"Spark / native throughput: {spark_rate / native_rate:.0%} (target >= 70 %)")
        print(
            f"command: python -m bench.spark --n {args.n} --master {args.master!r} --workers {args.workers}"
            + (f" --model {args.model}" if args.model else "")
        )


if __name__ == "__main__":
    main()
