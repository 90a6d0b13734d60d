"""``hotline serve``: the prediction service (:mod:`serve.app`) under uvicorn."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cli.options import Subcommands, number

__all__ = ["add_serve"]


def add_serve(sub: Subcommands) -> None:
    p = sub.add_parser("serve", help="serve predictions over HTTP (FastAPI)")
    p.add_argument(
        "--model",
        required=True,
        help="bundle directory (reloaded from the same path on SIGHUP or POST /v1/admin/reload)",
    )
    p.add_argument(
        "--kb-index",
        help="knowledge-base index directory ('hotline kb build --out') for POST /v1/suggest and "
        "?suggest=true, reloaded with the model (HOTLINE_KB_INDEX; default: none)",
    )
    p.add_argument(
        "--answered-index",
        help="index of past answered tickets ('hotline kb build --answered-tickets --out'), suggested beside the "
        "knowledge base as similar answered tickets (HOTLINE_ANSWERED_INDEX; default: none; needs --kb-index)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=number(int, 1, 65535), default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=number(int, 1), default=1, help="worker processes (default 1)")
    p.add_argument(
        "--prediction-log", help="SQLite file of every prediction (default predictions.sqlite3; HOTLINE_PREDICTION_LOG)"
    )
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from kb.index import read_sidecar as read_kb_sidecar
    from nlp.bundle import read_sidecar
    from nlp.errors import InputError
    from nlp.parallel import check_workers
    from serve.knowledge import kb_version
    from serve.runner import run

    try:
        workers = check_workers(args.workers)
    except ValueError as exc:
        raise InputError(f"--workers: {exc}") from None
    meta = read_sidecar(args.model)  # refuse a bad directory here, before any worker starts
    os.environ["HOTLINE_MODEL_DIR"] = str(Path(args.model).resolve())
    knowledge = ""
    if args.kb_index:
        kb_meta = read_kb_sidecar(args.kb_index)  # the same for the index (each worker verifies it as it loads)
        os.environ["HOTLINE_KB_INDEX"] = str(Path(args.kb_index).resolve())
        knowledge = f" and knowledge base {kb_version(kb_meta)}"
    if args.answered_index:
        if not args.kb_index:
            raise InputError("--answered-index: suggestions start from the knowledge base; pass --kb-index DIR too")
        answered_meta = read_kb_sidecar(args.answered_index)
        os.environ["HOTLINE_ANSWERED_INDEX"] = str(Path(args.answered_index).resolve())
        knowledge += f" and answered tickets {kb_version(answered_meta)}"
    if args.prediction_log:
        os.environ["HOTLINE_PREDICTION_LOG"] = args.prediction_log
    url = f"http://{args.host}:{args.port}"
    print(
        f"serving model {meta['bundle_id']}{knowledge} at {url} with {workers} worker(s); "
        f"interactive API docs: {url}/docs",
        flush=True,
    )
    run(host=args.host, port=args.port, workers=workers)
    return 0
