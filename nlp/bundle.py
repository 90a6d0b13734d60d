"""The model bundle: fitted pipelines (joblib) plus a signed JSON sidecar checked before unpickling.

A bundle directory holds ``bundle.json`` and ``bundle.joblib``. Unpickling runs code, so
:func:`load_bundle` first reads the sidecar and refuses anything this project did not
write, a malformed sidecar, a payload named outside the bundle folder, a schema or
scikit-learn version it cannot read, a bundle whose signature does not verify, or a joblib
file whose SHA-256 differs from the one the sidecar records.

The signature is an HMAC-SHA256, under a secret key, of the canonical sidecar (sorted keys,
without the signature itself) and the payload bytes: a checksum anyone can recompute, a
signature only who holds the key. The key comes from ``HOTLINE_BUNDLE_KEY`` (the key itself),
else the file ``HOTLINE_BUNDLE_KEY_FILE``, else ``~/.config/hotline-nlp/bundle.key``, which
:func:`save_bundle` creates (random, readable by its owner only) when no key is configured, so
that training and serving on one machine work out of the box. An unsigned or wrongly signed
bundle is refused unless unsigned bundles are allowed for development
(``allow_unsigned=True`` or ``HOTLINE_ALLOW_UNSIGNED_BUNDLES=1``).

Writes are atomic: each file is written to a temporary name and renamed, the sidecar last, so
a reader sees the old bundle, the new one, or a hash mismatch, never half a file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import platform
import secrets
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

__all__ = [
    "SCHEMA_VERSION",
    "Bundle",
    "bundle_key",
    "checked_sidecar",
    "copy_bundle",
    "library_versions",
    "load_bundle",
    "read_sidecar",
    "save_bundle",
    "sign_sidecar",
    "verified_payload",
    "write_payload",
    "write_signed_sidecar",
]

SCHEMA_VERSION = 1
PRODUCER = "hotline-nlp"
SIDECAR = "bundle.json"
PAYLOAD = "bundle.joblib"
_LIBRARIES = ("scikit-learn", "numpy", "scipy", "pandas", "joblib", "jieba", "rjieba", "hotline-nlp")
SIGNATURE = "signature"
_KEY_ENV, _KEY_FILE_ENV, _ALLOW_UNSIGNED_ENV = (
    "HOTLINE_BUNDLE_KEY",
    "HOTLINE_BUNDLE_KEY_FILE",
    "HOTLINE_ALLOW_UNSIGNED_BUNDLES",
)
_DEFAULT_KEY_FILE = Path("~/.config/hotline-nlp/bundle.key")
_HOW_TO_KEY = f"set {_KEY_ENV} or {_KEY_FILE_ENV} to the key the bundle was trained with"


def _key_file() -> Path:
    return Path(os.environ.get(_KEY_FILE_ENV) or _DEFAULT_KEY_FILE).expanduser()


def bundle_key(*, create: bool = False) -> bytes | None:
    """The key bundles are signed with: ``HOTLINE_BUNDLE_KEY``, else the key file; None when there is none.

    With ``create``, a missing key file (and no ``HOTLINE_BUNDLE_KEY``) is created with a random
    key, readable by its owner only.
    """
    if os.environ.get(_KEY_ENV):
        return os.environ[_KEY_ENV].encode("utf-8")
    path = _key_file()
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BundleError(f"{path}: the bundle key file cannot be read ({exc}); {_HOW_TO_KEY}") from exc
    if not key:
        raise BundleError(f"{path}: the bundle key file is empty; {_HOW_TO_KEY}")
    return key.encode("utf-8")


def _signature(meta: dict[str, Any], payload: Path, key: bytes) -> str:
    """HMAC-SHA256 of the canonical sidecar (sorted keys, no signature) and the payload bytes."""
    unsigned = {k: v for k, v in meta.items() if k != SIGNATURE}
    canonical = json.dumps(unsigned, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    mac = hmac.new(key, canonical.encode("utf-8", "surrogatepass") + b"\0", hashlib.sha256)
    with open(payload, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            mac.update(block)
    return "hmac-sha256:" + mac.hexdigest()


def _unsigned_allowed(allow_unsigned: bool | None) -> bool:
    if allow_unsigned is not None:
        return allow_unsigned
    return os.environ.get(_ALLOW_UNSIGNED_ENV, "").strip().lower() in {"1", "true", "yes"}


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


def save_bundle(bundle: Bundle, directory: str | os.PathLike[str], *, key: bytes | None = None) -> Path:
    """Write ``bundle`` to ``directory`` atomically and return the directory.

    The sidecar gets the producer, schema version, library versions, the SHA-256 of the joblib
    file and the signature under ``key`` (default: :func:`bundle_key`, created if missing), and is
    written after the joblib file.
    """
    directory = Path(directory)
    payload = write_payload(directory, PAYLOAD, bundle.pipelines, what="bundle", compress=3)
    meta = dict(bundle.meta)
    meta.update(producer=PRODUCER, schema=SCHEMA_VERSION, versions=library_versions(), payload=payload)
    bundle.meta = write_signed_sidecar(directory / SIDECAR, meta, key=key)
    return directory


def write_payload(directory: Path, name: str, obj: Any, *, what: str, compress: int = 0) -> dict[str, str]:
    """Dump ``obj`` to ``directory / name`` atomically (the folder made if missing); return the sidecar's ``payload``.

    ``what`` names the thing for the message when ``directory`` is a file ("bundle", "index").
    """
    if directory.exists() and not directory.is_dir():
        raise BundleError(f"{directory}: expected a directory for the {what}, got a file")
    directory.mkdir(parents=True, exist_ok=True)
    with atomic_path(directory / name) as tmp:
        joblib.dump(obj, tmp, compress=compress)
    return {"file": name, "sha256": file_sha256(directory / name)}


def write_signed_sidecar(sidecar: Path, meta: dict[str, Any], *, key: bytes | None = None) -> dict[str, Any]:
    """Sign ``meta`` (naming its payload) as a reader will see it (through JSON), write it atomically; return it.

    The one way a sidecar of this project is written: model bundles and knowledge-base indexes.
    ``key`` defaults to :func:`bundle_key`, created if missing.
    """
    key = key or bundle_key(create=True)
    if key is None:  # bundle_key(create=True) returns a key or raises; this keeps mypy and a reader sure
        raise BundleError(f"no key to sign with; {_HOW_TO_KEY}")
    meta = json.loads(json.dumps({k: v for k, v in meta.items() if k != SIGNATURE}, ensure_ascii=False, default=str))
    meta[SIGNATURE] = _signature(meta, sidecar.parent / str(meta["payload"]["file"]), key)
    write_atomic(sidecar, json.dumps(meta, ensure_ascii=False, indent=2))
    return meta


def sign_sidecar(directory: str | os.PathLike[str], *, key: bytes | None = None) -> dict[str, Any]:
    """Sign a bundle's sidecar again after an edit by its owner (who holds the key); return it.

    The payload is not unpickled; its SHA-256 must still match the sidecar's.
    """
    directory = Path(directory)
    key = key or bundle_key()
    if key is None:
        raise BundleError(f"no key to sign the bundle with; {_HOW_TO_KEY}")
    meta = read_sidecar(directory, allow_unsigned=True)
    return write_signed_sidecar(directory / SIDECAR, meta, key=key)


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


def checked_sidecar(sidecar: Path, *, marker: tuple[str, str], schema: int, remedy: str) -> dict[str, Any]:
    """A sidecar's JSON object, once its marker field and schema are the ones this version writes.

    The first check of every sidecar this project loads (model bundles, knowledge-base indexes),
    before its payload is looked at.

    Parameters
    ----------
    sidecar : Path
        The JSON file.
    marker : (str, str)
        A field and the value that says who wrote the file (``("producer", "hotline-nlp")``).
    schema : int
        The ``schema`` this version reads.
    remedy : str
        What to do when the file is refused, appended to every message.

    Raises
    ------
    BundleError
        If the file is unreadable, not a JSON object, or has another marker or schema.
    """
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError covers bad JSON and bad UTF-8
        raise BundleError(f"{sidecar}: unreadable sidecar ({exc}); {remedy}") from exc
    if not isinstance(meta, dict):
        raise BundleError(f"{sidecar}: expected a JSON object, got {type(meta).__name__}; {remedy}")
    field, expected = marker
    if meta.get(field) != expected:
        raise BundleError(f"{sidecar}: expected {field} {expected!r}, got {meta.get(field)!r}; {remedy}")
    if meta.get("schema") != schema:
        raise BundleError(f"{sidecar}: expected schema {schema}, got {meta.get('schema')!r}; {remedy}")
    return meta


def read_sidecar(
    directory: str | os.PathLike[str], *, key: bytes | None = None, allow_unsigned: bool | None = None
) -> dict[str, Any]:
    """Read and check ``bundle.json``, and verify the signature, without unpickling anything.

    Parameters
    ----------
    directory : path
        The bundle folder.
    key : bytes, optional
        The signing key; default :func:`bundle_key`.
    allow_unsigned : bool, optional
        Load a bundle without a valid signature (development only); default
        ``HOTLINE_ALLOW_UNSIGNED_BUNDLES=1``.

    Raises
    ------
    BundleError
        If the directory is not a bundle this project wrote and signed, or one it cannot load here.
    """
    directory = Path(directory)
    sidecar = directory / SIDECAR
    if not directory.is_dir():
        raise BundleError(f"{directory}: no such model directory; pass the --out directory of 'hotline train'")
    if not sidecar.is_file():
        raise BundleError(
            f"{directory}: not a model bundle (no {SIDECAR}); pass the --out directory of 'hotline train'"
        )
    meta = checked_sidecar(
        sidecar,
        marker=("producer", PRODUCER),
        schema=SCHEMA_VERSION,
        remedy="retrain it with this version's 'hotline train'",
    )
    _check_fields(sidecar, meta)
    trained = meta["versions"].get("scikit-learn")
    installed = library_versions()["scikit-learn"]
    if trained != installed:
        raise BundleError(
            f"{sidecar}: trained with scikit-learn {trained}, but {installed} is installed; retrain the bundle or install scikit-learn=={trained}"
        )
    verified_payload(sidecar, meta, key=key, allow_unsigned=allow_unsigned)
    return meta


def verified_payload(
    sidecar: Path, meta: dict[str, Any], *, key: bytes | None = None, allow_unsigned: bool | None = None
) -> Path:
    """The payload a sidecar names, once it is a file of the sidecar's folder, its hash matches and the signature verifies.

    Call before unpickling anything (model bundles, knowledge-base indexes). ``meta`` has
    ``payload`` as an object with non-empty ``file`` and ``sha256`` strings.
    """
    payload = _payload_path(sidecar.parent, meta["payload"]["file"], sidecar)
    # The hash first: a payload being copied in is the common case, and says so. The signature
    # then covers what a recomputed hash does not: a sidecar and payload edited together.
    if file_sha256(payload) != meta["payload"]["sha256"]:
        raise BundleError(
            f"{payload}: SHA-256 differs from the sidecar's; the file was changed or is being written; write it again ('hotline train', 'hotline kb build') or restore it"
        )
    if not _unsigned_allowed(allow_unsigned):
        _verify(sidecar, meta, payload, key or bundle_key())
    return payload


def _check_fields(sidecar: Path, meta: dict[str, Any]) -> None:
    """Refuse a sidecar whose fields have the wrong shape (as a hand-edited or damaged one may)."""
    expected = {"payload": "an object with 'file' and 'sha256'", "versions": "an object", "tasks": "an object"}
    for field, what in expected.items():
        if not isinstance(meta.get(field), dict):
            raise BundleError(
                f"{sidecar}: expected '{field}' to be {what}, got {meta.get(field)!r}; retrain or restore the bundle"
            )
    for field in ("file", "sha256"):
        if not isinstance(meta["payload"].get(field), str) or not meta["payload"][field]:
            raise BundleError(
                f"{sidecar}: expected payload.{field} to be a non-empty string, got {meta['payload'].get(field)!r}; retrain or restore the bundle"
            )


def _payload_path(directory: Path, name: str, sidecar: Path) -> Path:
    """The payload file, which must be a file of the bundle folder itself."""
    payload = directory / name
    inside = Path(name).name == name and name not in {".", ".."} and "\\" not in name
    if not inside or payload.resolve().parent != directory.resolve():
        raise BundleError(
            f"{sidecar}: the payload {name!r} is outside the bundle folder; a bundle names a file of its own folder, retrain or restore it"
        )
    if not payload.is_file():
        raise BundleError(f"{directory}: the sidecar names {name}, which is missing; retrain or restore the bundle")
    return payload


def _verify(sidecar: Path, meta: dict[str, Any], payload: Path, key: bytes | None) -> None:
    """Refuse a bundle whose signature is missing or does not verify under ``key``."""
    allow = f"(for development only, {_ALLOW_UNSIGNED_ENV}=1 loads it anyway)"
    signature = meta.get(SIGNATURE)
    if not isinstance(signature, str) or not signature:
        raise BundleError(f"{sidecar}: the bundle is not signed; retrain it with this version of hotline-nlp {allow}")
    if key is None:
        raise BundleError(f"{sidecar}: no key to verify the bundle's signature; {_HOW_TO_KEY} {allow}")
    if not hmac.compare_digest(signature, _signature(meta, payload, key)):
        raise BundleError(
            f"{sidecar}: the signature does not match: the bundle was changed, or signed with another key; "
            f"{_HOW_TO_KEY}, or retrain it {allow}"
        )


def load_bundle(
    directory: str | os.PathLike[str], *, key: bytes | None = None, allow_unsigned: bool | None = None
) -> Bundle:
    """Check the sidecar and the signature (see :func:`read_sidecar`), then unpickle the pipelines."""
    meta = read_sidecar(directory, key=key, allow_unsigned=allow_unsigned)
    payload = Path(directory) / meta["payload"]["file"]
    try:
        pipelines = joblib.load(payload)
    except Exception as exc:
        raise BundleError(f"{payload}: could not be loaded ({exc}); retrain or restore the bundle") from exc
    expected = sorted(meta["tasks"])
    if not isinstance(pipelines, dict) or sorted(pipelines) != expected:
        raise BundleError(
            f"{payload}: expected pipelines for tasks {expected}, got {sorted(pipelines) if isinstance(pipelines, dict) else type(pipelines).__name__}"
        )
    return Bundle(pipelines=pipelines, meta=meta)
