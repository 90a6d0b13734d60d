"""The ``hotline`` command: demo data, training, prediction, evaluation, trends and serving.

Each command group lives in its own module (:mod:`cli.demo`, :mod:`cli.model`, :mod:`cli.predict`, :mod:`cli.aggregate`,
:mod:`cli.trends`, :mod:`cli.serve`) and adds its parsers here. Every user error ends with one
line ``hotline: error: ...`` and exit status 2; nothing reaches the user as a traceback unless
``--debug`` is given.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from cli.aggregate import add_aggregate
from cli.demo import add_demo_data, add_demo_kb
from cli.kb import add_kb
from cli.model import add_evaluate, add_flag, add_promote, add_train
from cli.options import Subcommands
from cli.predict import add_predict
from cli.serve import add_serve
from cli.trends import add_digest, add_ingest
from nlp.errors import HotlineError

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse with the project's one-line errors (its usage block buried the message); subcommands inherit it."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"hotline: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: the global options and every command, in the order ``--help`` lists them."""
    parser = _Parser(
        prog="hotline", description="NLP for a 12345 government service hotline: classify, serve, mine trends."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub: Subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")  # type: ignore[assignment]
    for add in (
        add_demo_data,
        add_train,
        add_flag,
        add_predict,
        add_aggregate,
        add_evaluate,
        add_promote,
        add_ingest,
        add_digest,
        add_serve,
        add_kb,
        add_demo_kb,
    ):
        add(sub)
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
