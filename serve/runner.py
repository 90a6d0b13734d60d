"""Run the service under uvicorn: what ``hotline serve`` calls.

With several workers, uvicorn's supervisor answers SIGHUP by starting a new process for each
worker and stopping the old one once the new one is ready. For this service that is the
wrong way to reload a model: a worker needs longer than uvicorn's readiness wait to import
and load a bundle (the restart is then abandoned and nothing reloads), twice the memory
while both run, and the connections of a stopped worker are cut. :func:`run` keeps uvicorn's
supervisor but makes SIGHUP reload the model, and the knowledge-base index when one is configured,
inside every running worker (each swaps in the bundle on disk after a smoke prediction, and the
index after verifying it, or keeps the one refused), so a ``kill -HUP`` of the master under load
loses no connection. A request that reaches a worker before its reload started is still answered,
by the newer one: every worker also follows the sidecars before each answer (:mod:`serve.holder`).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

__all__ = ["APP", "run"]

APP = "serve.app:app_from_env"
# How long the supervisor waits for a worker's health ping before it kills the worker: loading a
# large bundle can keep a worker's interpreter busy for seconds.
HEALTHCHECK_SECONDS = 30

log = logging.getLogger("hotline.serve")


class _ReloadingSupervisor(Multiprocess):
    """uvicorn's worker supervisor, except that SIGHUP reloads the model (and index) in the workers in place."""

    def handle_hup(self) -> None:
        log.info("SIGHUP: reloading the model and knowledge base in %d worker(s)", len(self.processes))
        for process in self.processes:
            # A worker still starting has no SIGHUP handler yet (the signal would end it); it
            # loads what is on disk when it starts anyway.
            if process.pid is not None and process.is_ready(timeout=1):
                os.kill(process.pid, signal.SIGHUP)


def run(*, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, log_level: str = "warning") -> None:
    """Serve :data:`APP` (settings from ``HOTLINE_*`` variables) until interrupted.

    Parameters
    ----------
    host, port : str, int
        Where to listen.
    workers : int
        Worker processes (check it first with :func:`nlp.parallel.check_workers`). With more
        than one, ``/metrics`` adds up every worker (``PROMETHEUS_MULTIPROC_DIR``, made here
        unless set) and SIGHUP reloads the model in each worker in place.
    log_level : str
        uvicorn's own logging level (the service's is ``HOTLINE_LOG_LEVEL``).
    """
    if workers > 1:  # before any worker starts: each one reads it when it creates its metrics
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="hotline-metrics-"))
    config = uvicorn.Config(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,  # the service logs one line per request itself, without ticket text
        timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
    )
    if workers == 1:
        server = uvicorn.Server(config)
        server.run()  # SIGHUP is handled by the app itself (serve.app)
        if not server.started:
            sys.exit(STARTUP_FAILURE)
        return
    _ReloadingSupervisor(config, sockets=[config.bind_socket()]).run()
