"""``hotline train``, ``flag train``, ``evaluate`` and ``promote``: making a model bundle and putting it to work."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from cli.options import Subcommands, add_column_options, number, read_reporting
from nlp.atomic import write_atomic
from nlp.errors import InputError
from nlp.tables import write_table
from nlp.tasks import TASKS

__all__ = ["add_evaluate", "add_flag", "add_promote", "add_train"]


def add_train(sub: Subcommands) -> None:
    p = sub.add_parser("train", help="train a model bundle from labelled tickets or a named recipe")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--tickets", help="labelled ticket export (CSV/XLSX/Parquet/JSONL)")
    source.add_argument(
        "--recipe", choices=["public"], help="a named recipe: 'public' reads the public data sets under --data-root"
    )
    p.add_argument("--data-root", help="folder the recipe reads (for example ../shared/data)")
    p.add_argument("--out", required=True, help="bundle directory to write")
    add_column_options(p, labels=True)
    p.add_argument("--folds", type=number(int, 2), default=5, help="cross-validation folds (default 5)")
    p.add_argument(
        "--target-precision",
        type=number(float, 0, 1, low_open=True),
        default=0.97,
        help="precision of route=auto (default 0.97)",
    )
    p.add_argument("--c", type=number(float, 0, low_open=True), default=0.5, help="SVM regularisation C (default 0.5)")
    p.add_argument("--no-char-ngrams", action="store_true", help="words only (faster, usually less accurate)")
    p.add_argument(
        "--drop-rare-labels", action="store_true", help="leave out rows whose label is too rare instead of failing"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
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
        print(f"training on {len(recipe.frame)} rows ({_plan(config, recipe.frame, recipe.tasks)})", file=sys.stderr)
        bundle, result, notes = train_frame(
            recipe.frame, recipe.tasks, args.out, data=recipe.data, recipe=args.recipe, rules=recipe.rules, **options
        )
        notes = [*notes, *recipe.notes]
    else:
        tickets = read_reporting(args, args.tickets, labels=True)
        if not tickets.label_tasks:
            raise InputError(
                f"{args.tickets}: no label column found (looked for {', '.join(TASKS)}); name them with --consultation-col, --covid-col or --department-col"
            )
        print(
            f"training {', '.join(tickets.label_tasks)} on {len(tickets.frame)} tickets ({_plan(config, tickets.frame, tickets.label_tasks)})",
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


def _plan(config: Any, frame: Any, tasks: Any) -> str:
    """How training will go, as :func:`training.fit.fit_tasks` decides it."""
    from training.fit import fitted_once

    if fitted_once(frame, tasks, config):
        share = f"{config.holdout_fraction:.0%}"
        return f"one fit, with {share} held out for calibration and {share} for evaluation"
    return f"{config.folds}-fold cross-validation, then the final fit"


def add_flag(sub: Subcommands) -> None:
    p = sub.add_parser("flag", help="analysts' flags: a few seed terms become a classifier")
    flag = p.add_subparsers(dest="flag_command", required=True, metavar="ACTION")
    p = flag.add_parser("train", help="train a flag from seed terms on a ticket export")
    p.add_argument("--name", required=True, help="flag name: lower-case letters, digits and _ (e.g. water_outage)")
    p.add_argument("--seeds", required=True, help="text file, one seed term per line (# starts a comment)")
    p.add_argument("--tickets", required=True, help="ticket export to learn from (CSV/XLSX/Parquet/JSONL)")
    p.add_argument("--out", required=True, help="bundle directory to write")
    p.add_argument("--model", help="add the flag to this bundle (default: a bundle with the flag alone)")
    p.add_argument("--review", help="where to write the tickets to review (default: DIR/review.csv)")
    add_column_options(p, labels=False)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run_flag_train)


def run_flag_train(args: argparse.Namespace) -> int:
    from nlp.tasks import flag_task
    from training.flags import read_seeds, train_flag

    seeds = read_seeds(args.seeds)
    tickets = read_reporting(args, args.tickets, labels=False)
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


def add_evaluate(sub: Subcommands) -> None:
    p = sub.add_parser("evaluate", help="evaluate a bundle on labelled tickets")
    p.add_argument("--model", required=True, help="bundle directory")
    p.add_argument("--input", required=True, help="labelled ticket file")
    add_column_options(p, labels=True)
    p.add_argument("--json", help="also write the full report as JSON to this file")
    p.set_defaults(func=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    from nlp.bundle import load_bundle
    from training.evaluate import evaluate_bundle, format_report

    bundle = load_bundle(args.model)
    tickets = read_reporting(args, args.input, labels=True)
    tasks = [t for t in tickets.label_tasks if t in bundle.pipelines]
    if not tasks:
        raise InputError(
            f"{args.input}: no label column for the model's tasks ({', '.join(bundle.tasks)}); name them with --<task>-col"
        )
    reports = evaluate_bundle(bundle, tickets.frame, tasks)
    print(f"evaluation of {bundle.bundle_id} on {Path(args.input).name}:")
    print(format_report(reports))
    if args.json:
        report = {"bundle_id": bundle.bundle_id, "input": str(args.input), "tasks": reports}
        write_atomic(args.json, json.dumps(report, ensure_ascii=False, indent=2))
        print(f"wrote {args.json}")
    return 0


def add_promote(sub: Subcommands) -> None:
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
    add_column_options(p, labels=True)
    p.add_argument(
        "--tolerance",
        type=number(float, 0, 1),
        default=0.01,
        help="largest drop of a task's F1 that is accepted (default 0.01)",
    )
    p.add_argument("--force", action="store_true", help="promote even when the candidate scores lower")
    p.set_defaults(func=run_promote)


def run_promote(args: argparse.Namespace) -> int:
    from training.promote import promote

    labelled = read_reporting(args, args.against, labels=True).frame if args.against else None
    result = promote(args.model, args.to, labelled=labelled, tolerance=args.tolerance, force=args.force)
    if result.comparisons:
        print(f"compared on {Path(args.against).name} (serving -> candidate):")
        for c in result.comparisons:
            print(f"  {c.task:<13} {c.metric:<14} {c.current:.4f} -> {c.candidate:.4f}  ({c.change:+.4f})")
    was = f" (was {result.replaced_id}; kept in {result.previous_dir})" if result.replaced_id else ""
    print(f"promoted {result.candidate_id} to {args.to}{was}")
    print(
        "a service serving that folder takes it up at its next prediction (every worker checks the sidecar); POST /v1/admin/reload or kill -HUP does it at once"
    )
    return 0
