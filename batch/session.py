"""The Spark session of a batch job, and the one-line message when PySpark is not installed.

Known pitfalls are settled here once: executors run the driver's Python (``PYSPARK_PYTHON``),
and Arrow batches handed to Python workers are bounded (``maxRecordsPerBatch``) so that a
worker's memory does not grow with the partition size.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from typing import TYPE_CHECKING

from nlp.batching import READ_BATCH
from nlp.errors import HotlineError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["EngineError", "require_pyspark", "spark_session"]

INSTALL = 'pip install "hotline-nlp[spark]" (and Java 17, e.g. apt-get install openjdk-17-jre-headless)'


class EngineError(HotlineError):
    """The Spark engine cannot start here (PySpark or Java missing)."""


def require_pyspark() -> None:
    """Refuse, in one line saying how to install it, when PySpark or Java is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise EngineError(f"--engine spark needs PySpark, which is not installed: {INSTALL}") from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise EngineError(
            f"--engine spark needs Java 17 or later, which was not found (no JAVA_HOME, no java): {INSTALL}"
        )


def spark_session(master: str | None = None, app: str = "hotline") -> SparkSession:
    """A SparkSession for a batch job (the running one when called under ``spark-submit``).

    Parameters
    ----------
    master : str, optional
        ``local[2]``, ``spark://host:7077``, ``yarn``...; default: the one ``spark-submit`` set, else
        ``local[*]`` (every core of this machine).
    """
    require_pyspark()
    from pyspark import SparkConf
    from pyspark.sql import SparkSession

    # Executors must unpickle with the same Python and libraries as the driver.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app)
    if master or not SparkConf().contains("spark.master"):
        builder = builder.master(master or "local[*]")
    local = (master or "local").startswith("local")
    builder = (
        builder.config("spark.sql.execution.arrow.maxRecordsPerBatch", str(READ_BATCH))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.showConsoleProgress", "false")  # the command prints its own summary
    )
    # Executors verify the bundle as the driver does (nlp.bundle.load_bundle reads HOTLINE_* settings
    # such as a bundle key): on a cluster they do not inherit the driver's environment, so pass it,
    # and keep the values out of the UI and logs.
    forwarded = sorted(name for name in os.environ if name.startswith("HOTLINE_"))
    for name in forwarded:
        builder = builder.config(f"spark.executorEnv.{name}", os.environ[name])
    if forwarded:
        builder = builder.config("spark.redaction.regex", "(?i)secret|password|token|access[.]?key|HOTLINE_")
    if local:  # one machine: no web UI (nor its port), and few shuffle partitions for the weekly counts
        builder = builder.config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
    # PySpark 4.3 warns that pandas 3 is not "fully" supported; what runs here (Arrow batches in
    # mapInPandas, Parquet) is covered by the tests that compare Spark with the single-machine path.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
