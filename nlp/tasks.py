"""Task names and label conventions.

Built-in tasks: consultation and COVID (binary), the department group, and the two levels
of dispatch: the platform (one of Suzhou's 10 district platforms or 市级) and the handling
unit. Analysts' flags (``flag:<name>``) follow the binary convention.
Label values such as department names are data, never identifiers in code.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "BINARY_TASKS",
    "MULTICLASS_TASKS",
    "ROUTING_TASKS",
    "TASKS",
    "flag_task",
    "is_binary",
    "parse_binary_label",
]

CONSULTATION = "consultation"
COVID = "covid"
DEPARTMENT = "department"
PLATFORM = "platform"
UNIT = "unit"

TASKS = (CONSULTATION, COVID, DEPARTMENT, PLATFORM, UNIT)
BINARY_TASKS = (CONSULTATION, COVID)
MULTICLASS_TASKS = (DEPARTMENT, PLATFORM, UNIT)
# The task whose confidence decides automatic routing, most precise first: a bundle that
# names the handling unit routes on it; one trained on department groups routes on those.
ROUTING_TASKS = (UNIT, PLATFORM, DEPARTMENT)

# Binary labels are 1 (consultation / COVID-related / flagged) or 0.
_TRUE = {"1", "1.0", "true", "t", "yes", "y", "是", "真", "咨询", "涉疫", "疫情"}
_FALSE = {"0", "0.0", "false", "f", "no", "n", "否", "假", "非咨询", "不涉疫", "非疫情"}
# Demand types as exported by hotline systems: only 咨询 counts as a consultation.
_DEMAND_TYPES_NON_CONSULTATION = {"投诉", "举报", "求助", "建议", "表扬", "感谢", "其他", "意见", "反映", "求决"}


def flag_task(name: str) -> str:
    """The task name of the analysts' flag ``name``."""
    return f"flag:{name}"


def is_binary(task: str) -> bool:
    """True for the binary tasks and for analysts' flags."""
    return task in BINARY_TASKS or task.startswith("flag:")


def parse_binary_label(value: Any, task: str) -> int | None:
    """Read a binary label cell as 1, 0 or ``None`` (missing).

    Raises
    ------
    ValueError
        For a value that is neither missing nor a recognised yes/no spelling.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return int(value)
    text = str(value).strip().lower()
    if text in ("", "nan", "none", "null"):
        return None
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    if task == CONSULTATION and text in _DEMAND_TYPES_NON_CONSULTATION:
        return 0
    raise ValueError(f"expected 1/0, true/false, 是/否 (or a demand type such as 咨询/投诉), got {value!r}")
