"""Check that a change left the product's outputs byte-identical, on a small demo corpus.

Run it at two commits and compare::

    git worktree add /tmp/base 8498669
    PYTHONPATH=. python tools/check_identical.py --repo /tmp/base --write /tmp/identical-base
    PYTHONPATH=. python tools/check_identical.py --write /tmp/identical-head --compare /tmp/identical-base

``--repo`` names the checkout whose code is run (default: the one holding this script), so the
script itself need not exist at the older commit. It generates a demo corpus (``hotline
demo-data``), trains a bundle on it (two folds), and writes into the ``--write`` folder:
predictions as CSV and JSON Lines, the evaluation report (``evaluate --json``), the weekly digest
(JSON, Markdown, HTML, with weekly counts), and the service's answers (``/v1/predict`` with and
without ``?explain=true``, ``/v1/predict/batch``, ``/v1/digest/{week}`` and ``/digest/{week}``).
Only what differs from run to run by design is replaced: the bundle id (a timestamp), which the
service returns as ``model_version``. Training itself is not bit-reproducible from run to run (a
few probabilities differ in the fourth decimal between two trainings of the same code), so to
check a change of the scoring code, train one bundle and pass it to both runs (``--bundle``)::

    HOTLINE_BUNDLE_KEY=check-identical-key hotline demo-data --n 1500 --weeks 8 --seed 0 --out /tmp/t.csv
    HOTLINE_BUNDLE_KEY=check-identical-key hotline train --tickets /tmp/t.csv --out /tmp/bundle --folds 2
    ... --repo /tmp/base --write /tmp/identical-base --bundle /tmp/bundle
    ... --write /tmp/identical-head --compare /tmp/identical-base --bundle /tmp/bundle ``--compare`` then lists every file that differs (exit 1)
or says they are identical (exit 0). Takes a few minutes on two cores.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WEEK = "2022-W15"  # a week of the demo corpus with injected emerging topics
KEY = "check-identical-key"  # a fixed signing key: no key file is created or read
TICKETS = [
    {"ticket_id": "a", "title": "小区停水", "text": "吴中区郭巷街道某小区从昨天起停水，没有通知，请尽快处理。"},
    {"ticket_id": "b", "text": "请问苏康码显示黄码怎么转绿码？需要做几次核酸检测？"},
    {"ticket_id": "c", "title": "噪音扰民", "text": "姑苏区某工地夜间施工噪音很大，影响休息，电话13912345678。"},
]

# Runs in a child process with the checked-out code first on the path.
_SERVICE = """
import json, sys
from pathlib import Path
from fastapi.testclient import TestClient
from serve.app import create_app
from serve.settings import Settings

bundle, store, week, tickets, out = sys.argv[1:6]
tickets = json.loads(tickets)
settings = Settings(model_dir=Path(bundle), store=Path(store), prediction_log=None, digest_wait_seconds=600)
answers = {}
with TestClient(create_app(settings)) as client:
    calls = [("predict", "post", "/v1/predict", tickets[0]),
             ("predict_explain", "post", "/v1/predict?explain=true", tickets[2]),
             ("batch", "post", "/v1/predict/batch", {"tickets": tickets}),
             ("digest", "get", f"/v1/digest/{week}", None),
             ("digest_page", "get", f"/digest/{week}", None)]
    for name, method, path, body in calls:
        response = client.post(path, json=body) if method == "post" else client.get(path)
        kind = response.headers.get("content-type", "")
        answers[name] = {"status": response.status_code,
                         "body": response.json() if kind.startswith("application/json") else response.text}
Path(out).write_text(json.dumps(answers, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
"""


def _run(repo: Path, *args: str, cwd: Path) -> None:
    """Run ``python ARGS`` with ``repo``'s code first on the path; stop with its output when it fails."""
    env = {**os.environ, "PYTHONPATH": str(repo), "HOTLINE_BUNDLE_KEY": KEY, "HOTLINE_LOG_LEVEL": "warning"}
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args[:3])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _hotline(repo: Path, *args: str, cwd: Path) -> None:
    _run(repo, "-c", "import sys; from cli.main import main; sys.exit(main(sys.argv[1:]))", *args, cwd=cwd)


def _weekly_counts(tickets: Path, predictions: Path, out: Path) -> None:
    """A small table of weekly counts, as ``hotline aggregate`` writes (it needs Spark), for the digest."""
    import pandas as pd

    frame = pd.read_csv(tickets, usecols=["id", "created_at"]).merge(
        pd.read_csv(predictions, usecols=["id", "department", "platform", "covid"]), on="id"
    )
    frame["week"] = pd.to_datetime(frame["created_at"]).dt.strftime("%G-W%V")
    parts = [frame.groupby("week").size().rename("tickets").reset_index().assign(dimension="all", value="scored")]
    for dimension in ("department", "platform", "covid"):
        counted = frame.groupby(["week", dimension]).size().rename("tickets").reset_index()
        parts.append(counted.rename(columns={dimension: "value"}).assign(dimension=dimension))
    counts = pd.concat(parts, ignore_index=True)[["week", "dimension", "value", "tickets"]]
    counts.astype({"value": str}).to_parquet(out, index=False)


def _anonymise_bundle_id(path: Path, bundle_id: str) -> None:
    """Replace the bundle id (training's timestamp) wherever it appears in ``path``."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(bundle_id, "<bundle-id>"), encoding="utf-8")


def write(repo: Path, out: Path, bundle: Path | None = None) -> None:
    """Produce every output of ``repo``'s code on the demo corpus into ``out`` (with ``bundle``, if given)."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="check-identical-") as tmp:
        work = Path(tmp)
        tickets, unseen = work / "tickets.csv", work / "unseen.csv"
        _hotline(repo, "demo-data", "--n", "1500", "--weeks", "8", "--seed", "0", "--out", str(tickets), cwd=work)
        _hotline(repo, "demo-data", "--n", "300", "--weeks", "2", "--seed", "1", "--out", str(unseen), cwd=work)
        if bundle is None:
            bundle = work / "bundle"
            _hotline(
                repo, "train", "--tickets", str(tickets), "--out", str(bundle), "--folds", "2", "--quiet", cwd=work
            )
        for name in ("predictions.csv", "predictions.jsonl"):
            _hotline(repo, "predict", "--model", str(bundle), "--input", str(unseen), "--output", str(out / name),
                     "--workers", "1", "--quiet", cwd=work)  # fmt: skip
        # The input by its name in the working folder: the report records it, and the folder is temporary.
        _hotline(repo, "evaluate", "--model", str(bundle), "--input", unseen.name, "--json",
                 str(out / "evaluation.json"), cwd=work)  # fmt: skip
        _hotline(repo, "predict", "--model", str(bundle), "--input", str(tickets), "--output",
                 str(work / "all.csv"), "--workers", "1", "--quiet", cwd=work)  # fmt: skip
        _weekly_counts(tickets, work / "all.csv", work / "counts.parquet")
        _hotline(repo, "digest", "--tickets", str(tickets), "--week", WEEK, "--model", str(bundle), "--out",
                 str(out / "digest"), "--history-counts", str(work / "counts.parquet"), cwd=work)  # fmt: skip
        store = work / "tickets.duckdb"
        _hotline(repo, "ingest", str(tickets), "--store", str(store), cwd=work)
        service = out / "service.json"
        _run(repo, "-c", _SERVICE, str(bundle), str(store), WEEK, json.dumps(TICKETS), str(service), cwd=work)
        bundle_id: Any = json.loads((bundle / "bundle.json").read_text(encoding="utf-8"))["bundle_id"]
        for path in [service, out / "evaluation.json", *sorted((out / "digest").iterdir())]:
            _anonymise_bundle_id(path, str(bundle_id))


def compare(left: Path, right: Path) -> list[str]:
    """Files of either folder that are missing from the other or differ byte for byte."""
    names = {p.relative_to(left) for p in left.rglob("*") if p.is_file()}
    names |= {p.relative_to(right) for p in right.rglob("*") if p.is_file()}
    return sorted(
        str(name)
        for name in names
        if not ((left / name).is_file() and (right / name).is_file() and filecmp.cmp(left / name, right / name, False))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=ROOT, help="checkout whose code is run (default: this one)")
    parser.add_argument("--write", type=Path, help="folder to write the outputs into")
    parser.add_argument(
        "--bundle",
        type=Path,
        help="a bundle trained on the same corpus (signed with the script's key) instead of training one: training "
        "is not bit-reproducible from run to run, so the same bundle isolates a change of the scoring code",
    )
    parser.add_argument("--compare", type=Path, help="folder of outputs to compare the --write folder with")
    parser.add_argument("--diff", type=Path, nargs=2, metavar="DIR", help="only compare two folders written earlier")
    args = parser.parse_args(argv)
    if args.diff:
        return _report(*args.diff)
    if not args.write:
        parser.error("expected --write DIR (with --compare DIR to compare) or --diff DIR DIR, got neither")
    if args.write:
        write(args.repo.resolve(), args.write.resolve(), args.bundle.resolve() if args.bundle else None)
        print(f"wrote the outputs of {args.repo} into {args.write}")
    return _report(args.write, args.compare) if args.compare else 0


def _report(left: Path, right: Path) -> int:
    """Say whether two output folders are identical; 1 when they are not."""
    differ = compare(left, right)
    if differ:
        print(f"{len(differ)} files differ between {left} and {right}: {', '.join(differ)}")
        return 1
    print(f"identical: every file of {left} and {right} matches byte for byte")
    return 0


if __name__ == "__main__":
    sys.exit(main())
