"""The model bundle: fitted pipelines (joblib) plus a JSON sidecar checked before unpickling.

A bundle directory holds ``bundle.json`` and ``bundle.joblib``. Unpickling runs code, so
:func:`load_bundle` first reads the sidecar and refuses anything this project did not
write, a schema or scikit-learn version it cannot read, or a joblib file whose SHA-256
differs from the one the sidecar records. Writes are atomic: each file is written to a
temporary name and renamed, the sidecar last, so a reader sees the old bundle, the new one,
or a hash mismatch, never half a file.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
from sklearn.pipeline import Pipeline

from nlp.atomic import atomic_path, write_atomic
from nlp.errors import BundleError
from nlp.tables import file_sha256
from nlp.tasks import ROUTING_TASKS

__all__ = ["SCHEMA_VERSION", "Bundle", "copy_bundle", "library_versions", "load_bundle", "read_sidecar", "save_bundle"]

SCHEMA_VERSION = 1
PRODUCER = "hotline-nlp"
SIDECAR = "bundle.json"
PAYLOAD = "bundle.joblib"
_LIBRARIES = ("scikit-learn", "numpy", "scipy", "pandas", "joblib", "jieba", "rjieba", "hotline-nlp")


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries a bundle depends on."""
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


@dataclass
class Bundle:
    """Fitted pipelines, one per task, and the sidecar metadata that describes them.

    Pipelines that share one fitted feature step (the same object) are vectorised once
    at prediction time; see :func:`nlp.predict.predict`.
    """

    pipelines: dict[str, Pipeline]
    meta: dict[str, Any]

    @property
    def bundle_id(self) -> str:
        return str(self.meta["bundle_id"])

    @property
    def tasks(self) -> list[str]:
        return list(self.pipelines)

    def task_meta(self, task: str) -> dict[str, Any]:
        return dict(self.meta["tasks"][task])

    def routing_task(self) -> str | None:
        """The task whose confidence decides automatic routing: the unit, else the platform, else the department."""
        return next((task for task in ROUTING_TASKS if task in self.pipelines), None)

    def route_threshold(self, task: str | None = None) -> float | None:
        """Confidence of ``task`` (default: the routing task) at or above which a ticket is routed automatically."""
        task = task or self.routing_task()
        value = self.meta["tasks"].get(task, {}).get("route_threshold") if task else None
        return None if value is None else float(value)

    def seeds(self, task: str) -> list[str]:
        """Seed terms of a binary task (analysts' flags, the COVID lexicon): a ticket naming one is positive."""
        seeds: list[str] = self.meta.get("tasks", {}).get(task, {}).get("seeds") or []
        return seeds


def save_bundle(bundle: Bundle, directory: str | os.PathLike[str]) -> Path:
    """Write ``bundle`` to ``directory`` atomically and return the directory.

    The sidecar gets the producer, schema version, library versions and the SHA-256
    of the joblib file, and is written after it.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise BundleError(f"{directory}: expected a directory for the bundle, got a file")
    directory.mkdir(parents=True, exist_ok=True)
    payload = directory / PAYLOAD
    with atomic_path(payload) as tmp:
        joblib.dump(bundle.pipelines, tmp, compress=3)
    meta = dict(bundle.meta)
    meta.update(
        producer=PRODUCER,
        schema=SCHEMA_VERSION,
        versions=library_versions(),
        payload={"file": PAYLOAD, "sha256": file_sha256(payload)},
    )
    text = json.dumps(meta, ensure_ascii=False, indent=2, default=str)
    write_atomic(directory / SIDECAR, text)
    bundle.meta = meta
    return directory


def copy_bundle(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Copy a bundle's files into ``target`` as :func:`save_bundle` writes them (payload, then sidecar).

    Each file goes to a temporary name and is renamed into place, so a reader of ``target`` sees
    the old bundle, the new one, or a payload that does not match its sidecar (refused at load).
    """
    source, target = Path(source), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for name in (PAYLOAD, SIDECAR):
        with atomic_path(target / name) as tmp:
            shutil.copyfile(source / name, tmp)
    return target


def read_sidecar(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check ``bundle.json`` without unpickling anything.

    Raises
    ------
    BundleError
        If the directory is not a bundle this project wrote, or one it cannot load here.
    """
    directory = Path(directory)
    sidecar = directory / SIDECAR
    if not directory.is_dir():
        raise BundleError(f"{directory}: no such model directory; pass the --out directory of 'hotline train'")
    if not sidecar.is_file():
        raise BundleError(
            f"{directory}: not a model bundle (no {SIDECAR}); pass the --out directory of 'hotline train'"
        )
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{sidecar}: unreadable sidecar ({exc}); retrain or restore the bundle") from exc
    if not isinstance(meta, dict) or meta.get("producer") != PRODUCER:
        raise BundleError(
            f"{sidecar}: expected a bundle written by {PRODUCER}, got {meta.get('producer') if isinstance(meta, dict) else 'no producer'!r}; only bundles made by 'hotline train' are loaded"
        )
    if meta.get("schema") != SCHEMA_VERSION:
        raise BundleError(
            f"{sidecar}: expected bundle schema {SCHEMA_VERSION}, got {meta.get('schema')!r}; retrain with this version of hotline-nlp"
        )
    trained = meta.get("versions", {}).get("scikit-learn")
    installed = library_versions()["scikit-learn"]
    if trained != installed:
        raise BundleError(
            f"{sidecar}: trained with scikit-learn {trained}, but {installed} is installed; retrain the bundle or install scikit-learn=={trained}"
        )
    payload = directory / str(meta.get("payload", {}).get("file", PAYLOAD))
    if not payload.is_file():
        raise BundleError(
            f"{directory}: the sidecar names {payload.name}, which is missing; retrain or restore the bundle"
        )
    if file_sha256(payload) != meta["payload"].get("sha256"):
        raise BundleError(
            f"{payload}: SHA-256 differs from the sidecar's; the file was changed or is being written; retrain or restore the bundle"
        )
    return meta


def load_bundle(directory: str | os.PathLike[str]) -> Bundle:
    """Check the sidecar, then unpickle the pipelines of a bundle directory."""
    meta = read_sidecar(directory)
    payload = Path(directory) / meta["payload"]["file"]
    try:
        pipelines = joblib.load(payload)
    except Exception as exc:
        raise BundleError(f"{payload}: could not be loaded ({exc}); retrain or restore the bundle") from exc
    expected = sorted(meta.get("tasks", {}))
    if not isinstance(pipelines, dict) or sorted(pipelines) != expected:
        raise BundleError(
            f"{payload}: expected pipelines for tasks {expected}, got {sorted(pipelines) if isinstance(pipelines, dict) else type(pipelines).__name__}"
        )
    return Bundle(pipelines=pipelines, meta=meta)
