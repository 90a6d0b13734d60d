"""Prediction of a stream of ticket chunks on every core, in order, with bounded memory.

Each worker process loads the bundle once; chunks go to the workers as they come and
their predictions come back in input order. At most ``2 x workers`` chunks are in flight,
so reading never runs ahead of prediction by more than that.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from nlp.bundle import Bundle, load_bundle
from nlp.predict import warm_up

__all__ = ["check_workers", "default_workers", "predict_chunks"]

_worker_bundle: Bundle | None = None


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_workers(workers: int, cores: int | None = None) -> int:
    """Check a number of worker processes (batch prediction, the service); return it.

    Each worker loads its own copy of the model and predicts on one core, so more workers
    than cores only add memory and context switches.

    Parameters
    ----------
    workers : int
        The requested number (``--workers``).
    cores : int, optional
        The cap; default :func:`default_workers`, the cores this process may use.

    Raises
    ------
    ValueError
        If ``workers`` is below 1 or above the number of cores.
    """
    cap = default_workers() if cores is None else cores
    if not 1 <= workers <= cap:
        raise ValueError(
            f"expected between 1 and {cap} workers (the cores of this machine; each loads its own model), "
            f"got {workers}; pass --workers {cap} or fewer"
        )
    return workers


def _load_in_worker(directory: str) -> None:
    global _worker_bundle
    if _worker_bundle is None:  # a forked worker already has the parent's
        _worker_bundle = load_bundle(directory)
        gc.freeze()  # see predict_chunks


def _predict_in_worker(job: Callable[[Bundle, pd.DataFrame], pd.DataFrame], chunk: pd.DataFrame) -> pd.DataFrame:
    assert _worker_bundle is not None, "worker started without a bundle"
    return job(_worker_bundle, chunk)


def predict_chunks(
    directory: str | Path,
    chunks: Iterable[pd.DataFrame],
    job: Callable[[Bundle, pd.DataFrame], pd.DataFrame],
    *,
    workers: int | None = None,
    bundle: Bundle | None = None,
) -> Iterator[pd.DataFrame]:
    """Apply ``job(bundle, chunk)`` to every chunk, in order, on ``workers`` processes.

    Parameters
    ----------
    directory : path
        The bundle directory each worker loads.
    chunks : iterable of DataFrame
        Read lazily: at most ``2 * workers`` chunks are held at once.
    job : callable
        A module-level function (it is sent to the workers by reference).
    workers : int, optional
        Processes to use (default: every core). With 1, chunks are predicted in this process.
    bundle : Bundle, optional
        The already loaded bundle, used when ``workers`` is 1, and inherited by forked
        workers (which then neither load it again nor build its segmenter).
    """
    workers = workers or default_workers()
    if workers == 1:
        loaded = bundle or load_bundle(directory)
        # The bundle's vocabularies and trees live as long as the process: out of the collector's
        # reach, full collections no longer walk them (the resolver's objects of every ticket set
        # them off), and forked workers do not copy their pages to write reference counts.
        gc.freeze()
        try:
            for chunk in chunks:
                yield job(loaded, chunk)
        finally:
            gc.unfreeze()  # the caller may go on (tests, a notebook): its garbage is collected again
        return
    # fork starts workers in milliseconds, and they inherit the loaded bundle; spawn elsewhere
    # (each worker imports and loads).
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    global _worker_bundle
    if method == "fork" and bundle is not None:
        warm_up(bundle, batch=True)  # built once here instead of once per worker
        _worker_bundle = bundle
        gc.freeze()  # as with one worker, and before the fork: the workers inherit it frozen
    try:
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_load_in_worker, initargs=(str(directory),)
        ) as pool:
            pending: deque[Future[Any]] = deque()
            for chunk in chunks:
                pending.append(pool.submit(_predict_in_worker, job, chunk))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    finally:
        _worker_bundle = None  # the parent does not keep the bundle alive
        gc.unfreeze()
