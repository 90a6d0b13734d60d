"""The ``hotline`` command: demo data, training, prediction and evaluation (and later serving).

Every user error ends with one line ``hotline: error: ...`` and exit status 2; nothing
reaches the user as a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from nlp.errors import HotlineError, InputError
from nlp.tables import write_table
from nlp.tasks import TASKS
from nlp.tickets import Column, ColumnMap, Tickets, read_tickets

__all__ = ["build_parser", "main"]


# --- column options shared by train, predict and evaluate -------------------------------------


def _add_column_options(parser: argparse.ArgumentParser, *, labels: bool) -> None:
    group = parser.add_argument_group("columns of the input file")
    group.add_argument("--text-col", help="ticket body column (default: text)")
    group.add_argument("--title-col", help="ticket title column (default: title, if present)")
    group.add_argument("--id-col", help="ticket id column (default: id, if present; else line numbers)")
    if labels:
        for task in TASKS:
            group.add_argument(f"--{task}-col", help=f"label column for the {task} task (default: {task}, if present)")


def _column(value: str | None, default: str, flag: str) -> Column:
    """A column the user named is required; a default name is used only if present."""
    return Column(value, required=True, flag=flag) if value else Column(default, required=False, flag=flag)


def _column_map(args: argparse.Namespace, *, labels: bool) -> ColumnMap:
    return ColumnMap(
        text=Column(args.text_col or "text", required=True, flag="--text-col"),
        title=_column(args.title_col, "title", "--title-col"),
        id=_column(args.id_col, "id", "--id-col"),
        labels={task: _column(getattr(args, f"{task}_col"), task, f"--{task}-col") for task in TASKS} if labels else {},
    )


def _read(args: argparse.Namespace, path: str, *, labels: bool) -> Tickets:
    tickets = read_tickets(path, _column_map(args, labels=labels))
    print(tickets.summary(), file=sys.stderr)
    if len(tickets.rejected):
        first = tickets.rejected.head(5)
        listed = "; ".join(f"line {r.line}: {r.reason}" for r in first.itertuples())
        print(f"  rejected rows (first {len(first)}): {listed}", file=sys.stderr)
    return tickets


# --- commands ----------------------------------------------------------------------------------


def cmd_demo_data(args: argparse.Namespace) -> int:
    from demo.corpus import write_corpus

    out, side, frame = write_corpus(args.out, n=args.n, weeks=args.weeks, seed=args.seed, start=args.start)
    print(
        f"wrote {len(frame)} tickets over {args.weeks} weeks to {out} "
        f"(consultation {frame['consultation'].mean():.1%}, COVID {frame['covid'].mean():.1%}, "
        f"{frame['department'].nunique()} departments); injected trends in {side}"
    )
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from training.evaluate import format_report
    from training.fit import TrainConfig
    from training.recipes import RECIPES
    from training.train import train_bundle, train_frame

    config = TrainConfig(
        folds=args.folds,
        target_precision=args.target_precision,
        c=args.c,
        char_ngrams=None if args.no_char_ngrams else (2, 3),
    )
    options: dict[str, Any] = {"config": config, "drop_rare": args.drop_rare_labels, "progress": not args.quiet}
    if args.recipe:
        if not args.data_root:
            raise InputError(
                f"--recipe {args.recipe} reads its files from --data-root DIR (for example ../shared/data)"
            )
        recipe = RECIPES[args.recipe](args.data_root)
        options["config"] = config = replace(config, **recipe.config)  # what this data is trained with
        print(f"recipe {args.recipe}: {len(recipe.frame)} labelled rows for {', '.join(recipe.tasks)}", file=sys.stderr)
        print(f"training on {len(recipe.frame)} rows ({_plan(config, len(recipe.frame))})", file=sys.stderr)
        bundle, result, notes = train_frame(
            recipe.frame, recipe.tasks, args.out, data=recipe.data, recipe=args.recipe, rules=recipe.rules, **options
        )
        notes = [*notes, *recipe.notes]
    else:
        tickets = _read(args, args.tickets, labels=True)
        if not tickets.label_tasks:
            raise InputError(
                f"{args.tickets}: no label column found (looked for {', '.join(TASKS)}); name them with --consultation-col, --covid-col or --department-col"
            )
        print(
            f"training {', '.join(tickets.label_tasks)} on {len(tickets.frame)} tickets ({_plan(config, len(tickets.frame))})",
            file=sys.stderr,
        )
        bundle, result, notes = train_bundle(tickets, args.out, **options)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"bundle {bundle.bundle_id} saved to {args.out}")
    holdout = any(m.get("evaluation") == "holdout" for m in result.task_meta.values())
    print("evaluation on held-out tickets:" if holdout else "cross-validated evaluation (out-of-fold):")
    print(format_report(result.reports))
    return 0


def cmd_flag_train(args: argparse.Namespace) -> int:
    from nlp.tasks import flag_task
    from training.flags import read_seeds, train_flag

    seeds = read_seeds(args.seeds)
    tickets = _read(args, args.tickets, labels=False)
    result = train_flag(args.name, seeds, tickets, args.out, base=args.model, progress=not args.quiet)
    task = flag_task(args.name)
    review = Path(args.review) if args.review else Path(args.out) / "review.csv"
    write_table(result.review, review)
    report = result.fit.reports[task]
    print(f"bundle {result.bundle.bundle_id} saved to {args.out} with flag {args.name!r} ({len(seeds)} seed terms)")
    print(f"  seeds match {result.seed_hits} of {len(tickets.frame)} tickets")
    print(
        f"  context alone (seed terms cut out) finds them with AUC {report.get('roc_auc', float('nan')):.3f}, "
        f"F1 {report['per_class']['1']['f1']:.3f} (held-out)"
    )
    print(f"  {len(result.review)} more tickets flagged without a seed term: review them in {review}")
    return 0


def _plan(config: Any, rows: int) -> str:
    if rows > config.holdout_above:
        share = f"{config.holdout_fraction:.0%}"
        return f"one fit, with {share} held out for calibration and {share} for evaluation"
    return f"{config.folds}-fold cross-validation, then the final fit"


def cmd_predict(args: argparse.Namespace) -> int:
    from training.predict_file import predict_file

    summary = predict_file(
        args.model,
        args.input,
        args.output,
        _column_map(args, labels=False),
        explain=args.explain,
        workers=args.workers,
        progress=not args.quiet,
    )
    scored = summary.rows - summary.rejected
    print(f"{Path(args.input).name}: {scored} rows scored, {summary.rejected} not scored", file=sys.stderr)
    line = f"wrote {summary.rows} predictions to {args.output} (model {summary.bundle_id})"
    if summary.has_route:
        line += f"; route=auto for {summary.auto} of {scored}"
    if summary.rejected:
        line += f"; {summary.rejected} rows not scored (see column 'error')"
    print(line)
    if summary.duplicate_ids:
        where = ", ".join(f"lines {a} and {b}" for a, b in summary.duplicate_lines)
        print(
            f"hotline: warning: {summary.duplicate_ids} rows repeat the id of an earlier row ({where}"
            f"{', ...' if summary.duplicate_ids > len(summary.duplicate_lines) else ''}); every row was scored and "
            "written in input order: de-duplicate the export if an id should be one ticket",
            file=sys.stderr,
        )
    if summary.ids_unchecked:
        print(
            f"hotline: note: the ids of the last {summary.ids_unchecked} rows were not compared for repeats "
            f"(only the first {summary.ids_checked} are, to bound memory)",
            file=sys.stderr,
        )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from nlp.bundle import load_bundle
    from training.evaluate import evaluate_bundle, format_report

    bundle = load_bundle(args.model)
    tickets = _read(args, args.input, labels=True)
    tasks = [t for t in tickets.label_tasks if t in bundle.pipelines]
    if not tasks:
        raise InputError(
            f"{args.input}: no label column for the model's tasks ({', '.join(bundle.tasks)}); name them with --<task>-col"
        )
    reports = evaluate_bundle(bundle, tickets.frame, tasks)
    print(f"evaluation of {bundle.bundle_id} on {Path(args.input).name}:")
    print(format_report(reports))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"bundle_id": bundle.bundle_id, "input": str(args.input), "tasks": reports},
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )
        print(f"wrote {args.json}")
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    from training.promote import promote

    labelled = _read(args, args.against, labels=True).frame if args.against else None
    result = promote(args.model, args.to, labelled=labelled, tolerance=args.tolerance, force=args.force)
    if result.comparisons:
        print(f"compared on {Path(args.against).name} (serving -> candidate):")
        for c in result.comparisons:
            print(f"  {c.task:<13} {c.metric:<14} {c.current:.4f} -> {c.candidate:.4f}  ({c.change:+.4f})")
    was = f" (was {result.replaced_id}; kept in {result.previous_dir})" if result.replaced_id else ""
    print(f"promoted {result.candidate_id} to {args.to}{was}")
    print("the service loads it on POST /v1/admin/reload (admin token) or kill -HUP; until then it serves the old one")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import os
    import tempfile

    import uvicorn

    from nlp.bundle import read_sidecar

    meta = read_sidecar(args.model)  # refuse a bad directory here, before any worker starts
    os.environ["HOTLINE_MODEL_DIR"] = str(Path(args.model).resolve())
    if args.prediction_log:
        os.environ["HOTLINE_PREDICTION_LOG"] = args.prediction_log
    if args.workers > 1:  # /metrics must add up every worker's figures
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="hotline-metrics-"))
    url = f"http://{args.host}:{args.port}"
    print(
        f"serving model {meta['bundle_id']} at {url} with {args.workers} worker(s); interactive API docs: {url}/docs",
        flush=True,
    )
    uvicorn.run(
        "serve.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )
    return 0


def _trend_columns(args: argparse.Namespace) -> ColumnMap:
    """Columns for ingest and digest: the ticket columns plus time, reporter and engagement."""
    base = _column_map(args, labels=False)
    extra = {
        "reporter": _column(args.reporter_col, "reporter", "--reporter-col"),
        "likes": _column(args.likes_col, "likes", "--likes-col"),
        "dislikes": _column(args.dislikes_col, "dislikes", "--dislikes-col"),
        "district": _column(args.district_col, "district", "--district-col"),
        "channel": Column("channel", required=False),
    }
    time = Column(args.time_col or "created_at", required=True, flag="--time-col")
    return ColumnMap(text=base.text, title=base.title, id=base.id, time=time, extra=extra)


def _read_for_trends(args: argparse.Namespace, path: str) -> Tickets:
    tickets = read_tickets(path, _trend_columns(args))
    undated = tickets.frame["created_at"].isna()
    if undated.any():  # a ticket without a time cannot be placed in a week
        rejected = tickets.frame.loc[undated, ["line", "id"]].assign(reason="missing time")
        tickets.rejected = pd.concat([tickets.rejected, rejected], ignore_index=True)
        tickets.frame = tickets.frame.loc[~undated].reset_index(drop=True)
    print(tickets.summary(), file=sys.stderr)
    return tickets


def cmd_ingest(args: argparse.Namespace) -> int:
    from trends.store import TicketStore, read_prediction_log

    if args.prediction_log:
        frame = read_prediction_log(args.prediction_log)
        counts = TicketStore(args.store).upsert(frame, source=Path(args.prediction_log).name)
        print(f"{args.store}: {counts['inserted']} tickets added, {counts['updated']} updated from the prediction log")
        return 0
    if not args.file:
        raise InputError("name a ticket export to ingest, or --prediction-log FILE")

    tickets = _read_for_trends(args, args.file)
    if tickets.id_generated:
        raise InputError(f"{args.file}: no id column; the store upserts by ticket id, so pass --id-col NAME")
    counts = TicketStore(args.store).upsert(tickets.frame, source=Path(args.file).name)
    for row in tickets.rejected.head(5).itertuples():
        print(f"  rejected line {row.line}: {row.reason}", file=sys.stderr)
    print(
        f"{args.store}: {counts['inserted']} tickets added, {counts['updated']} updated, {len(tickets.rejected)} rejected"
    )
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from nlp.tokenize import default_tokenizer
    from trends.digest import DigestParams, build_digest, parse_week
    from trends.render import write_digest
    from trends.store import TicketStore
    from trends.summary import SummaryCache, mining_identity

    parse_week(args.week)  # a malformed week fails before any reading
    params = DigestParams(history=args.history, top=args.top)
    tokenizer = default_tokenizer()
    source: TicketStore | pd.DataFrame
    if args.store:
        source = TicketStore(args.store)
        source.count()  # a missing store fails here, with its message
        folder = args.cache or source.summary_folder
    else:
        source = _read_for_trends(args, args.tickets).frame
        folder = args.cache
    cache = None if folder is None or args.no_cache else SummaryCache(folder, mining_identity(tokenizer, params.topics))
    bundle = None
    if args.model:
        from nlp.bundle import load_bundle

        bundle = load_bundle(args.model)
    digest = build_digest(source, args.week, tokenizer, params=params, bundle=bundle, cache=cache)
    paths = write_digest(digest, args.out)
    emerging = sum(t["emerging"] for t in digest["topics"])
    print(
        f"digest of {digest['week']}: {digest['n_tickets']} tickets, {digest['n_topics']} topics, {emerging} emerging; wrote {', '.join(str(p) for p in paths)}"
    )
    return 0


def _add_trend_options(parser: argparse.ArgumentParser) -> None:
    _add_column_options(parser, labels=False)
    group = parser.add_argument_group("trend columns")
    group.add_argument("--time-col", help="filing time column (default: created_at)")
    group.add_argument("--reporter-col", help="reporter id column (default: reporter, if present)")
    group.add_argument("--likes-col", help="likes column (default: likes, if present)")
    group.add_argument("--dislikes-col", help="dislikes column (default: dislikes, if present)")
    group.add_argument("--district-col", help="district column (default: district, if present)")


# --- parser ------------------------------------------------------------------------------------


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.01, got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {value}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {value}")
    return value


def _monday(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date such as 2022-03-07, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotline", description="NLP for a 12345 government service hotline: classify, serve, mine trends."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo-data", help="generate the demo corpus of Suzhou-style tickets")
    p.add_argument("--n", type=_positive_int, default=6000, help="number of tickets (default 6000)")
    p.add_argument("--weeks", type=_positive_int, default=12, help="weeks covered (default 12)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--start", type=_monday, default=date(2022, 3, 7), help="first day (default 2022-03-07)")
    p.add_argument("--out", required=True, help="output file (.csv, .xlsx, .parquet or .jsonl)")
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser("train", help="train a model bundle from labelled tickets or a named recipe")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--tickets", help="labelled ticket export (CSV/XLSX/Parquet/JSONL)")
    source.add_argument(
        "--recipe", choices=["public"], help="a named recipe: 'public' reads the public data sets under --data-root"
    )
    p.add_argument("--data-root", help="folder the recipe reads (for example ../shared/data)")
    p.add_argument("--out", required=True, help="bundle directory to write")
    _add_column_options(p, labels=True)
    p.add_argument("--folds", type=_positive_int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--target-precision", type=_probability, default=0.97, help="precision of route=auto (default 0.97)")
    p.add_argument("--c", type=float, default=0.5, help="SVM regularisation C (default 0.5)")
    p.add_argument("--no-char-ngrams", action="store_true", help="words only (faster, usually less accurate)")
    p.add_argument(
        "--drop-rare-labels", action="store_true", help="leave out rows whose label is too rare instead of failing"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("flag", help="analysts' flags: a few seed terms become a classifier")
    flag = p.add_subparsers(dest="flag_command", required=True, metavar="ACTION")
    p = flag.add_parser("train", help="train a flag from seed terms on a ticket export")
    p.add_argument("--name", required=True, help="flag name: lower-case letters, digits and _ (e.g. water_outage)")
    p.add_argument("--seeds", required=True, help="text file, one seed term per line (# starts a comment)")
    p.add_argument("--tickets", required=True, help="ticket export to learn from (CSV/XLSX/Parquet/JSONL)")
    p.add_argument("--out", required=True, help="bundle directory to write")
    p.add_argument("--model", help="add the flag to this bundle (default: a bundle with the flag alone)")
    p.add_argument("--review", help="where to write the tickets to review (default: DIR/review.csv)")
    _add_column_options(p, labels=False)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_flag_train)

    p = sub.add_parser("predict", help="predict every task for a ticket file")
    p.add_argument("--model", required=True, help="bundle directory")
    p.add_argument("--input", required=True, help="ticket file (CSV/XLSX/Parquet/JSONL)")
    p.add_argument("--output", required=True, help="output file (.csv, .xlsx, .parquet or .jsonl)")
    _add_column_options(p, labels=False)
    p.add_argument(
        "--explain", action="store_true", help="add department_explanation: the terms that pushed the department most"
    )
    p.add_argument(
        "--workers", type=_positive_int, help="processes that predict (default: every core); input is streamed"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("evaluate", help="evaluate a bundle on labelled tickets")
    p.add_argument("--model", required=True, help="bundle directory")
    p.add_argument("--input", required=True, help="labelled ticket file")
    _add_column_options(p, labels=True)
    p.add_argument("--json", help="also write the full report as JSON to this file")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "promote",
        help="put a trained bundle where the service loads it, after a quality check; keeps the replaced one",
        description="Copy the bundle in --model to --to (the service's model directory), safely. With --against, "
        "both bundles are evaluated on those labelled tickets and the candidate is refused if a task is worse "
        "by more than --tolerance. The replaced bundle goes to <to>.previous; promoting that folder rolls back.",
    )
    p.add_argument("--model", required=True, help="the candidate bundle directory")
    p.add_argument("--to", required=True, help="the directory the service loads (HOTLINE_MODEL_DIR)")
    p.add_argument("--against", help="labelled tickets to compare the candidate with the serving bundle on")
    _add_column_options(p, labels=True)
    p.add_argument(
        "--tolerance", type=_fraction, default=0.01, help="largest drop of a task's F1 that is accepted (default 0.01)"
    )
    p.add_argument("--force", action="store_true", help="promote even when the candidate scores lower")
    p.set_defaults(func=cmd_promote)

    p = sub.add_parser("ingest", help="load a ticket export into the ticket store (DuckDB), upserting by id")
    p.add_argument("file", nargs="?", help="ticket export (CSV/XLSX/Parquet/JSONL)")
    p.add_argument("--prediction-log", help="instead of an export: the service's prediction log (SQLite)")
    p.add_argument("--store", default="tickets.duckdb", help="store file (default tickets.duckdb)")
    _add_trend_options(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("digest", help="write the weekly hot-issue digest (JSON, Markdown, HTML)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--tickets", help="ticket export to read")
    source.add_argument("--store", help="ticket store to read")
    p.add_argument("--week", required=True, help="ISO week, for example 2019-W34")
    p.add_argument("--history", type=_positive_int, default=8, help="weeks of history mined and charted (default 8)")
    p.add_argument("--top", type=_positive_int, default=20, help="topics listed (default 20)")
    p.add_argument("--model", help="bundle directory: adds departments and COVID share per topic")
    p.add_argument("--out", required=True, help="folder for digest.json, digest.md, digest.html")
    p.add_argument(
        "--cache",
        help="folder of mined weeks reused by later digests (default with --store: STORE.weeks; none with --tickets)",
    )
    p.add_argument("--no-cache", action="store_true", help="mine every week of the history again")
    _add_trend_options(p)
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser("serve", help="serve predictions over HTTP (FastAPI)")
    p.add_argument(
        "--model",
        required=True,
        help="bundle directory (reloaded from the same path on SIGHUP or POST /v1/admin/reload)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_positive_int, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=_positive_int, default=1, help="worker processes (default 1)")
    p.add_argument(
        "--prediction-log", help="SQLite file of every prediction (default predictions.sqlite3; HOTLINE_PREDICTION_LOG)"
    )
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hotline`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except HotlineError as exc:
        print(f"hotline: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head or less, closed early
        return 0
    except OSError as exc:  # a path the system refused: say which, why, and what to check
        where = f"{exc.filename}: " if exc.filename else ""
        print(
            f"hotline: error: {where}{exc.strerror or exc}; check the path, that its folder exists and that you may read "
            "or write there",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("hotline: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: no traceback at a user
        if args.debug:
            raise
        print(
            f"hotline: internal error: {type(exc).__name__}: {exc} (run with --debug for details and report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
