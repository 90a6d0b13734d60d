"""Where the time of batch prediction goes, step by step, on one core (issue 6).

    .venv/bin/python -m bench.stages [--n 40000] [--data-root ../shared/data] [--model DIR]

``bench/throughput.py`` times ``hotline predict`` as a whole; this script runs the same steps
one after another in one process, chunk by chunk as ``predict`` does, and prints each step's
time per 10,000 tickets and its share, next to raw segmentation of the same documents (the
yardstick of the throughput target). Corpora as in ``bench/throughput.py``: generated tickets,
and with ``--data-root`` the real messages of ``teddy2020c`` repeated to N.

Steps: read (CSV chunks and column mapping), clean (normalise and mask titles and bodies),
segment (the segmenter alone, documents and titles), filter tokens (the tokenizer's work
around the segmenter), word n-grams (the word blocks without tokenising), character n-grams,
places (the place resolver and its columns, for a bundle that routes to units), heads (every classifier on the shared features), format (prediction columns, top-3 lists and
output cells), write (CSV). Each step is timed on its own, so the sum is a little more than one
``predict`` run (some work is repeated to time it apart, e.g. the cleaning the word blocks need).
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.throughput import demo_model, teddy_tickets
from demo.corpus import generate
from nlp.batching import READ_BATCH
from nlp.bundle import Bundle, load_bundle
from nlp.fastpath import FastFeatures, fast_features
from nlp.features import clean_tickets
from nlp.ngrams import CharNgramTfidf, WordNgramTfidf
from nlp.places import PlaceFeatures
from nlp.predict import warm_up
from nlp.scoring import _head_proba
from nlp.stream import TableWriter
from nlp.tables import write_table
from nlp.tickets import ColumnMap
from nlp.tokenize import Tokenizer
from training.predict_file import _chunks, _score


def _timed(totals: dict[str, float], step: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = work()
    totals[step] += time.perf_counter() - started
    return result


def _stages(bundle: Bundle, model: Path, source: Path, work: Path) -> tuple[dict[str, float], float, int]:
    """(seconds per step, seconds of raw segmentation of the documents, tickets)."""
    features = fast_features(next(iter(bundle.pipelines.values())).steps[0][1])
    if not isinstance(features, FastFeatures):
        raise SystemExit(f"model {model}: its feature step is not one this script can take apart")
    tokenizer = next(v for v, _, _ in features.blocks if isinstance(v, WordNgramTfidf)).tokenizer
    if not isinstance(tokenizer, Tokenizer):
        raise SystemExit(f"model {model}: its word blocks do not use this project's tokenizer")
    segmenter = tokenizer._segmenter()
    cut = segmenter.cut if tokenizer.backend == "rjieba" else segmenter.lcut
    t: dict[str, float] = defaultdict(float)
    tickets = 0
    chunks = iter(_chunks(source, ColumnMap(), READ_BATCH, {}))
    with TableWriter(work / "stages-out.csv") as writer:
        while (rows := _timed(t, "read", lambda: next(chunks, None))) is not None:
            tickets += len(rows)
            titles, texts = rows["title"].tolist(), rows["text"].tolist()
            cleaned = _timed(t, "clean", lambda: clean_tickets(titles, texts))  # noqa: B023
            _timed(t, "raw", lambda: [cut(d) for d in cleaned["doc"]])  # noqa: B023
            _timed(t, "segment", lambda: [cut(d) for d in cleaned["doc"] + cleaned["title"]])  # noqa: B023
            _timed(t, "tokenize", lambda: [tokenizer(d) for d in cleaned["doc"] + cleaned["title"]])  # noqa: B023
            for vectorizer, column, _ in features.blocks:
                block = "chars" if isinstance(vectorizer, CharNgramTfidf) else "words"
                block = "places" if isinstance(getattr(vectorizer, "places", None), PlaceFeatures) else block
                _timed(t, block, partial(vectorizer.transform, cleaned[column]))
            matrix = _timed(t, "features", lambda: features.transform_lists(titles, texts))  # noqa: B023
            memo: dict[tuple[int, int], Any] = {}  # as scoring does: the router reuses the platform head's answer
            for pipeline in bundle.pipelines.values():
                _timed(t, "heads", partial(_head_proba, pipeline.steps[-1][1], matrix, memo))
            out = _timed(t, "score", lambda: _score(bundle, rows, explain=False, jsonl=False, id_name="id"))
            _timed(t, "write", lambda: writer.write(out))  # noqa: B023
    steps = {
        "read (CSV chunks, column mapping)": t["read"],
        "clean (normalise, mask PII)": t["clean"],
        "segment (the segmenter alone)": t["segment"],
        "filter tokens (tokenizer minus segmenter)": t["tokenize"] - t["segment"],
        "word n-grams (without tokenising)": t["words"] - t["tokenize"],
        "character n-grams": t["chars"],
        "places (resolver, place columns)": t["places"],
        "heads (every classifier)": t["heads"],
        "format (prediction columns, output cells)": t["score"] - t["features"] - t["heads"],
        "write (CSV)": t["write"],
    }
    return steps, t["raw"], tickets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40_000, help="tickets per corpus (default 40,000)")
    parser.add_argument("--data-root", help="folder holding teddy2020c/ (for example ../shared/data)")
    parser.add_argument("--model", help="bundle to predict with (default: train one on 6,000 generated tickets)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hotline-stages-") as tmp:
        work = Path(tmp)
        model = Path(args.model) if args.model else demo_model(work)
        bundle = load_bundle(model)
        warm_up(bundle, batch=True)  # as hotline predict does: what is built on first use is not timed as a step
        gc.freeze()  # as hotline predict does (nlp.parallel): collections skip the bundle
        corpora = {"generated tickets": generate(n=args.n, weeks=4, seed=21)[0][["id", "title", "text"]]}
        if args.data_root:
            corpora["teddy2020c messages (repeated)"] = teddy_tickets(Path(args.data_root), args.n)
        for name, frame in corpora.items():
            source = write_table(frame, work / "stages-in.csv")
            steps, raw, tickets = _stages(bundle, model, source, work)
            per = 10_000 / tickets
            print(f"\n{name}: {tickets} tickets, one core, seconds per 10,000 tickets")
            print(f"  {'raw segmentation of the documents (yardstick)':<46} {raw * per:6.3f}")
            for step, seconds in steps.items():
                print(f"  {step:<46} {seconds * per:6.3f}  {seconds / raw:5.2f}x the yardstick")
            total = sum(steps.values())
            print(f"  {'sum of the steps':<46} {total * per:6.3f}  {total / raw:5.2f}x the yardstick")
    print(
        f"\nreproduce: .venv/bin/python -m bench.stages --n {args.n}"
        + (f" --data-root {args.data_root}" if args.data_root else "")
        + (f" --model {args.model}" if args.model else "")
    )


if __name__ == "__main__":
    main()
