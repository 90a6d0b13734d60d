"""Throughput of segmentation, batch prediction and training (issue 6).

    .venv/bin/python -m bench.throughput [--n 200000] [--data-root ../shared/data] [--repeat 3]
                                         [--model DIR] [--workers 2] [--train-rows 1000000]

For each corpus, N generated tickets and (with ``--data-root``) the real messages of
``teddy2020c`` repeated to N (about 440 characters each), it prints:

- raw segmentation speed of each backend (characters/s, one core; jieba on a sample, it is slow);
- end-to-end ``hotline predict`` throughput (read CSV, normalise, mask, segment, vectorise,
  three heads, write CSV) on ``--workers`` processes, and its peak memory;
- the ratio of end-to-end time to raw fast-backend segmentation of the same texts (target <= 3);

Speeds are the best of ``--repeat`` runs, for raw segmentation and end to end alike: on a
shared machine a run can only be slowed down by other work, so the fastest run is the
steadiest estimate (a single run of the raw segmenter moved by 20 % between runs), and the
ratio compares like with like. Then the agreement of the backends on every text of ``teddy2020c`` (target >= 99.9 %
identical), and the time and peak memory of training on ``--train-rows`` generated tickets
(target < 15 minutes; 0 skips it). Without ``--model`` a bundle is trained on 6,000
generated tickets first (three heads sharing one feature step). A bundle of ``train --recipe
public`` has a feature step per task and is the slower case: pass it with ``--model``.
"""

from __future__ import annotations

import argparse
import glob
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from bench.common import run_hotline
from demo.corpus import generate
from nlp.tables import write_table
from nlp.text import clean
from nlp.tokenize import BACKENDS, default_tokenizer

JIEBA_SAMPLE_CHARS = 3_000_000


def _texts_of_teddy(root: Path) -> list[tuple[str, str]]:
    """(title, body) of every Teddy message with a body."""
    pairs: list[tuple[str, str]] = []
    for path in sorted(glob.glob(str(root / "teddy2020c" / "*.csv"))):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "留言详情" in frame:
            title = frame["留言主题"] if "留言主题" in frame else pd.Series("", index=frame.index)
            pairs += list(zip(title.tolist(), frame["留言详情"].tolist(), strict=True))
        elif "text" in frame:
            pairs += [("", t) for t in frame["text"].tolist()]
    return [(t, b) for t, b in pairs if b.strip()]


def teddy_tickets(root: Path, n: int) -> pd.DataFrame:
    """The Teddy messages repeated to ``n`` tickets (``id``, ``title``, ``text``)."""
    pairs = _texts_of_teddy(root)
    repeated = [pairs[i % len(pairs)] for i in range(n)]
    return pd.DataFrame(
        {"id": [str(i) for i in range(n)], "title": [t for t, _ in repeated], "text": [b for _, b in repeated]}
    )


def _segmentation_speed(docs: list[str], backend: str, limit_chars: int | None, repeat: int) -> tuple[float, float]:
    """(characters per second, seconds for all ``docs``) of the raw segmenter, one core, best of ``repeat``."""
    segmenter = default_tokenizer(backend)._segmenter()
    cut = segmenter.cut if backend == "rjieba" else segmenter.lcut
    sample, size = [], 0
    for doc in docs:
        if limit_chars is not None and size >= limit_chars:
            break
        sample.append(doc)
        size += len(doc)
    elapsed = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for doc in sample:
            cut(doc)
        elapsed = min(elapsed, time.perf_counter() - started)
    speed = size / elapsed
    return speed, sum(map(len, docs)) / speed


def _predict_run(model: Path, tickets: pd.DataFrame, workers: int, work: Path) -> tuple[float, float]:
    """(seconds, peak GiB of the largest process) of ``hotline predict`` on ``tickets`` as a CSV file."""
    source = write_table(tickets, work / "input.csv")
    args = ["predict", "--model", str(model), "--input", str(source), "--output", str(work / "out.csv")]
    # The command's modules are imported before the clock starts, as the figures always were.
    figures = run_hotline([*args, "--workers", str(workers), "--quiet"], preload=["training.predict_file"])
    return figures["seconds"], figures["peak_gib"]


def _corpus_report(name: str, tickets: pd.DataFrame, model: Path, workers: int, work: Path, repeat: int) -> None:
    docs = [clean(f"{t} {b}") for t, b in zip(tickets["title"], tickets["text"], strict=True)]
    chars = sum(map(len, docs))
    print(f"\n{name}: {len(tickets)} tickets, {chars / len(tickets):.0f} characters each on average")
    fast_seconds = 0.0
    for backend in BACKENDS:
        limit = JIEBA_SAMPLE_CHARS if backend == "jieba" else None
        speed, seconds = _segmentation_speed(docs, backend, limit, 1 if backend == "jieba" else repeat)
        note = f" (on a {JIEBA_SAMPLE_CHARS / 1e6:.0f} M-character sample)" if limit and chars > limit else ""
        print(f"  raw segmentation {backend:<7} {speed / 1e6:6.2f} M chars/s  -> {seconds:7.1f} s for all{note}")
        if backend == "rjieba":
            fast_seconds = seconds
    runs = [_predict_run(model, tickets, workers, work) for _ in range(repeat)]
    seconds, gib = min(s for s, _ in runs), max(g for _, g in runs)
    print(
        f"  predict end to end        {len(tickets) / seconds:8.0f} tickets/s  ({seconds:.1f} s, {workers} workers;"
        f" runs: {', '.join(f'{s:.1f}' for s, _ in runs)} s)"
    )
    print(f"  peak memory               {gib:.2f} GiB (largest process)")
    print(f"  end to end / raw rjieba   {seconds / fast_seconds:.2f}x  (target <= 3)")


def _agreement(pairs: list[tuple[str, str]]) -> None:
    reference, fast = default_tokenizer("jieba"), default_tokenizer("rjieba")
    docs = [clean(f"{t} {b}") for t, b in pairs]
    same = sum(reference(d) == fast(d) for d in docs)
    print(f"\nbackend agreement on teddy2020c: {same}/{len(docs)} texts give identical tokens ({same / len(docs):.4%})")


def _training(rows: int, work: Path) -> None:
    frame, _ = generate(n=rows, weeks=52, seed=3)
    path = write_table(frame, work / "train.csv")
    del frame
    figures = run_hotline(["train", "--tickets", str(path), "--out", str(work / "big"), "--quiet"])
    elapsed, gib = figures["process_seconds"], figures["peak_gib"]
    print(f"\ntraining on {rows} generated tickets: {elapsed / 60:.1f} min, peak {gib:.2f} GiB (target < 15 min)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200_000, help="tickets per corpus (default 200,000)")
    parser.add_argument("--data-root", help="folder holding teddy2020c/ (for example ../shared/data)")
    parser.add_argument("--model", help="bundle to predict with (default: train one on 6,000 generated tickets)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing; the best counts (default 3)")
    parser.add_argument("--train-rows", type=int, default=1_000_000, help="0 skips the training run")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error(f"expected --repeat >= 1, got {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        work = Path(tmp)
        model = Path(args.model) if args.model else demo_model(work)
        generated, _ = generate(n=args.n, weeks=4, seed=21)
        _corpus_report("generated tickets", generated[["id", "title", "text"]], model, args.workers, work, args.repeat)
        if args.data_root:
            real = teddy_tickets(Path(args.data_root), args.n)
            _corpus_report("teddy2020c messages (repeated)", real, model, args.workers, work, args.repeat)
            _agreement(_texts_of_teddy(Path(args.data_root)))
        if args.train_rows:
            _training(args.train_rows, work)
    print(
        f"\nreproduce: .venv/bin/python -m bench.throughput --n {args.n} --repeat {args.repeat}"
        f" --workers {args.workers} --train-rows {args.train_rows}"
        + (f" --data-root {args.data_root}" if args.data_root else "")
        + (f" --model {args.model}" if args.model else "")
    )


def demo_model(work: Path) -> Path:
    frame, _ = generate(n=6000, weeks=12, seed=0)
    path = write_table(frame, work / "demo.csv")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "train",
            "--tickets",
            str(path),
            "--out",
            str(work / "model"),
            "--quiet",
        ],
        check=True,
        capture_output=True,
    )
    return work / "model"


if __name__ == "__main__":
    main()
