"""Prometheus metrics of the service.

With several workers, ``hotline serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` so that
``/metrics`` adds up every worker's figures (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

__all__ = ["Metrics", "render"]

_BUCKETS = (0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """The service's counters; one instance per app, registered in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "hotline_requests_total", "HTTP requests", ["route", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "hotline_request_seconds", "Request latency", ["route"], buckets=_BUCKETS, registry=self.registry
        )
        self.routes = Counter(
            "hotline_route_decisions_total", "Department route decisions", ["route"], registry=self.registry
        )
        self.errors = Counter("hotline_errors_total", "Errors by kind", ["kind"], registry=self.registry)
        self.model = Gauge(
            "hotline_model_info",
            "The loaded model (value 1)",
            ["model_version"],
            registry=self.registry,
            multiprocess_mode="liveall",
        )
        self.reloads = Counter("hotline_model_reloads_total", "Model reloads", ["outcome"], registry=self.registry)
        self.prediction_log_rows = Counter(
            "hotline_prediction_log_rows_total",
            "Rows of the prediction log: written, spooled (the log was locked), replayed from the spool, dropped",
            ["outcome"],
            registry=self.registry,
        )
        self.kb_index = Gauge(
            "hotline_kb_index_info",
            "The loaded index of each source (value 1): kb (the knowledge base) or answered_ticket",
            ["source", "kb_version"],
            registry=self.registry,
            multiprocess_mode="liveall",
        )
        self.kb_reloads = Counter(
            "hotline_kb_reloads_total",
            "Index reloads, per source (kb or answered_ticket)",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.suggestions = Counter(
            "hotline_suggest_total",
            "Knowledge-base suggestion queries (POST /v1/suggest and consultations of ?suggest=true): "
            "suggested (at least one entry) or abstained",
            ["outcome"],
            registry=self.registry,
        )

        self._shown: dict[str, str] = {}  # version label (and fixed labels) -> the version it shows as loaded

    def count_prediction_log_rows(self, outcome: str, rows: int) -> None:
        """The ``on_rows`` callback of :class:`serve.predlog.PredictionLog`."""
        self.prediction_log_rows.labels(outcome=outcome).inc(rows)

    def set_model(self, version: str) -> None:
        """Mark model ``version`` as loaded (1) and the previous one as gone (0)."""
        self._show(self.model, "model_version", version)

    def set_kb_index(self, version: str, source: str = "kb") -> None:
        """Mark index ``version`` of ``source`` as loaded (1) and that source's previous one as gone (0)."""
        self._show(self.kb_index, "kb_version", version, source=source)

    def _show(self, gauge: Gauge, label: str, version: str, **fixed: str) -> None:
        # Gauge.clear is not available in multiprocess mode, so the old series is zeroed instead.
        key = ",".join([label, *fixed.values()])
        previous = self._shown.get(key)
        if previous is not None and previous != version:
            gauge.labels(**fixed, **{label: previous}).set(0)
        gauge.labels(**fixed, **{label: version}).set(1)
        self._shown[key] = version


def render(metrics: Metrics) -> bytes:
    """The exposition text: all workers' in multiprocess mode, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return bytes(generate_latest(registry))
    return bytes(generate_latest(metrics.registry))
