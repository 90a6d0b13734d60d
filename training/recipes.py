"""Named training recipes: code that assembles labelled frames from known data layouts.

The data stays outside the repository; a recipe reads it from a data root given on the
command line (``../shared/data`` on the project's machines).

``public``: the public Chinese citizen-demand sets described in ``shared/data/README.md``.
Department routing uses the Teddy Cup 2020 (problem C) labelled messages of the full file
(``labelled_messages_full.csv``: the competition set less its held-back part), 7 first-level
classes. Consultation uses the Fuzhou river requests (性质: 咨询 = consultation, every other demand
type = not) and, as weak labels, Teddy messages (the full file's and the unlabelled ones) whose title starts with a demand type
(咨询/请问 vs 投诉/举报/反映/请求/建议), with that word cut from the title so that the model
learns the content, not the prefix. COVID: positives are the ``covid/`` policy questions and
Weibo posts that name a term of the COVID lexicon (``nlp/lexicon/covid_terms.txt``);
negatives are the Teddy and Fuzhou messages (2010-2019: no COVID demands, and the lexicon
terms they use are in other senses), and their titles on their own (short texts, so that
length is no cue: the positives are short).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from nlp.errors import InputError
from nlp.lexicon import load_words
from nlp.seeds import seed_hits
from nlp.tables import file_sha256, read_table
from nlp.text import normalize

__all__ = [
    "PARTIAL_MODES",
    "RECIPES",
    "TEDDY_FULL",
    "TEDDY_UNLABELLED",
    "Recipe",
    "consultation_examples",
    "covid_examples",
    "dedupe_by_text",
    "public",
    "teddy_department",
]

FUZHOU = "fuzhou_rivers/requests.csv"
COVID_FILES = ("covid/policy_questions_train.csv", "covid/weibo_train.csv")
_DEMAND_WORDS = "咨询|请问|投诉|举报|反映|请求|建议"
_DEMAND_PREFIX = re.compile(rf"^\s*({_DEMAND_WORDS})")  # the first demand word gives the label
_DEMAND_PREFIXES = re.compile(rf"^(?:\s*(?:{_DEMAND_WORDS})[\s:：,，、.。]*)+")  # all leading ones are cut
_CONSULTING = ("咨询", "请问")

TEDDY_FULL = "teddy2020c/labelled_messages_full.csv"
TEDDY_UNLABELLED = (
    "teddy2020c/unlabelled_messages.csv",
    "teddy2020c/messages_with_replies.csv",
    "teddy2020c/hot_topic_messages.csv",
)
_SPACE = re.compile(r"\s+")


def _squash(text: object) -> str:
    """Remove all whitespace, as the Teddy ``part`` file does with its texts."""
    return "" if text is None or text != text else _SPACE.sub("", str(text))  # text != text: NaN


def _require(root: Path, relative: str) -> Path:
    path = root / relative
    if not path.is_file():
        raise InputError(
            f"{path}: not found; pass --data-root pointing at the folder that holds {relative.split('/')[0]}/"
        )
    return path


def _fuzhou_requests(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Fuzhou requests as read, and as ``id``, ``title``, ``text`` rows (same order)."""
    fuzhou = read_table(_require(root, FUZHOU))
    missing = [c for c in ("标题", "投诉件内容", "性质") if c not in fuzhou.columns]
    if missing:
        raise InputError(f"{root / FUZHOU}: expected columns 标题, 投诉件内容, 性质, missing {', '.join(missing)}")
    messages = pd.DataFrame(
        {
            "id": "fuzhou-" + pd.Series(range(len(fuzhou))).astype(str),
            "title": fuzhou["标题"].astype(str).str.strip(),
            "text": fuzhou["投诉件内容"].astype(str).str.strip(),
        }
    )
    return fuzhou, messages


def _teddy_messages(root: Path, name: str) -> pd.DataFrame:
    """A Teddy message file as ``id``, ``title``, ``text`` rows (title and text stripped).

    A detail the file lacks is its ``seg_text`` de-spaced, when the file has one (the full file).
    """
    teddy = read_table(_require(root, name))
    if not {"留言主题", "留言详情"} <= set(teddy.columns):
        raise InputError(f"{root / name}: expected columns 留言主题 and 留言详情")
    numbers = teddy.get("留言编号")
    keys = numbers if numbers is not None and numbers.notna().all() else pd.Series(range(len(teddy)))
    text = teddy["留言详情"].fillna("").astype(str).str.strip()
    if "seg_text" in teddy.columns:
        text = text.where(text != "", teddy["seg_text"].map(_squash_seg))
    return pd.DataFrame(
        {
            "id": f"{Path(name).stem}-" + keys.astype(str).to_numpy(),
            "title": teddy["留言主题"].fillna("").astype(str).str.strip(),
            "text": text,
        }
    )


def dedupe_by_text(frame: pd.DataFrame, label: str) -> tuple[pd.DataFrame, int, int]:
    """Drop rows whose normalised text repeats; a text with conflicting labels is dropped entirely.

    Returns
    -------
    frame : DataFrame
        One row per distinct normalised text.
    duplicates : int
        Rows dropped as repeats of a kept row.
    conflicts : int
        Rows dropped because the same text carried different labels.
    """
    key = frame["text"].map(lambda t: _squash(normalize(t)))
    labels_per_text = frame.groupby(key)[label].nunique()
    conflicting = key.map(labels_per_text) > 1
    kept = frame[~conflicting & ~key.duplicated()]
    duplicates = int((~conflicting).sum() - len(kept))
    return kept.reset_index(drop=True), duplicates, int(conflicting.sum())


PARTIAL_MODES = ("seg", "title+seg", "title", "drop")
"""How :func:`teddy_department` uses the rows that lack the original detail (see its docstring)."""


def _squash_seg(text: object) -> str:
    """Another team's segmentation as plain text: spaces and Excel's escaped carriage returns removed."""
    return _squash(str(text).replace("_x000D_", "")) if text == text and text is not None else ""


def teddy_department(data_root: str | Path, *, partial: str = "seg") -> tuple[pd.DataFrame, dict[str, Any]]:
    """Labelled Teddy messages for the department task, in the ``part`` file's layout.

    Reads ``labelled_messages_full.csv`` (the competition set less the held-back part). Title
    and detail are joined without whitespace, as the ``part`` file (and the held-out
    evaluation set) has them; titles are left empty so that the model sees training messages
    exactly as it will see those.

    Rows whose original detail is lost (``status`` ``title_only``, ``mismatch``, ``seg_only``:
    about 750) keep the title and ``seg_text``, another team's segmentation of title and
    detail with stop words removed. ``partial`` says what they become: ``seg`` the de-spaced
    ``seg_text`` (it begins with the title's words), ``title+seg`` the title then that,
    ``title`` the title alone, ``drop`` nothing (see ``bench/department_cv.py`` for the
    figures behind the default).

    Returns
    -------
    frame : DataFrame
        ``id``, ``title`` (empty), ``text``, ``department`` and ``complete`` (the row has the
        original title and detail).
    counts : dict
        Rows read, rows without the original detail, duplicates and conflicts dropped.
    """
    if partial not in PARTIAL_MODES:
        raise ValueError(f"expected partial in {PARTIAL_MODES}, got {partial!r}")
    root = Path(data_root)
    full = read_table(_require(root, TEDDY_FULL))
    columns = ("一级分类", "留言主题", "留言详情", "seg_text")
    missing = [c for c in columns if c not in full.columns]
    if missing:
        raise InputError(f"{root / TEDDY_FULL}: expected columns {', '.join(columns)}, missing {', '.join(missing)}")
    title = full["留言主题"].map(_squash)
    detail = full["留言详情"].map(_squash)
    seg = full["seg_text"].map(_squash_seg)
    lost = (detail == "").to_numpy()
    rebuilt = {"seg": seg, "title+seg": title + seg, "title": title, "drop": pd.Series("", index=full.index)}[partial]
    joined = pd.DataFrame(
        {
            "id": [f"full-{i}" for i in range(len(full))],
            "text": (title + detail).where(~lost, rebuilt),
            "department": full["一级分类"].astype(str).str.strip(),
            "complete": (title != "") & ~lost,
        }
    )
    joined = joined[(joined["text"] != "") & (joined["department"] != "")]
    frame, duplicates, conflicts = dedupe_by_text(joined, "department")
    frame.insert(1, "title", "")
    counts = {
        "teddy_full": len(full),
        "teddy_without_detail": int(lost.sum()),
        "teddy_partial": partial,  # what those rows became
        "duplicates_dropped": duplicates,
        "conflicts_dropped": conflicts,
    }
    return frame, counts


def consultation_examples(data_root: str | Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Consultation labels: real ones from Fuzhou, weak ones from Teddy titles.

    Returns
    -------
    frame : DataFrame
        ``id``, ``title``, ``text``, ``consultation`` (1/0) and ``source`` (``fuzhou`` or
        ``teddy-title``), one row per distinct text.
    counts : dict
        Rows per source and duplicates dropped.
    """
    root = Path(data_root)
    fuzhou, requests = _fuzhou_requests(root)
    kind = fuzhou["性质"].astype(str).str.strip()
    real = requests.assign(consultation=(kind == "咨询").astype(int), source="fuzhou")[kind != ""]
    weak_parts = []
    for name in (TEDDY_FULL, *TEDDY_UNLABELLED):
        teddy = _teddy_messages(root, name)
        prefix = teddy["title"].str.extract(_DEMAND_PREFIX)[0]
        weak_parts.append(
            teddy.assign(
                # The demand word goes: the model must learn it from the content.
                title=teddy["title"].str.replace(_DEMAND_PREFIXES, "", regex=True).str.strip(),
                consultation=prefix.isin(_CONSULTING).astype(int),
                source="teddy-title",
            )[prefix.notna().to_numpy()]
        )
    joined = pd.concat([real, *weak_parts], ignore_index=True)
    joined = joined[joined["text"] != ""]
    frame, duplicates, conflicts = dedupe_by_text(joined, "consultation")
    counts = {
        "fuzhou": int((frame["source"] == "fuzhou").sum()),
        "teddy_title": int((frame["source"] == "teddy-title").sum()),
        "consultation_duplicates_dropped": duplicates,
        "consultation_conflicts_dropped": conflicts,
    }
    return frame, counts


def covid_examples(data_root: str | Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """COVID labels from the lexicon: ``id``, ``title``, ``text``, ``covid`` and ``source``."""
    root = Path(data_root)
    lexicon = load_words("covid_terms")
    positives = []
    for name, column in zip(COVID_FILES, ("question", "content"), strict=True):
        table = read_table(_require(root, name))
        if column not in table.columns:
            raise InputError(f"{root / name}: expected a column {column!r}")
        texts = table[column].astype(str).str.strip()
        texts = texts[seed_hits(lexicon, [""] * len(texts), texts.tolist())]
        positives.append(
            pd.DataFrame({"id": f"{Path(name).stem}-" + texts.index.astype(str), "title": "", "text": texts.to_numpy()})
        )
    messages = [_teddy_messages(root, name) for name in (TEDDY_FULL, *TEDDY_UNLABELLED)]
    messages.append(_fuzhou_requests(root)[1])
    # Citizen messages of 2010-2019 are all negatives, those that use a lexicon term too: they
    # use it in another sense (防控 of traffic, 防疫 of livestock, 口罩 against dust).
    citizen = pd.concat(messages, ignore_index=True).assign(covid=0, source="citizen")
    # Titles alone, as short negatives: the positives are short, and length must not be the cue.
    titles = citizen[citizen["title"] != ""]
    titles = titles.assign(id=titles["id"] + "-title", text=titles["title"], title="", source="citizen-title")
    frame = pd.concat(
        [pd.concat(positives, ignore_index=True).assign(covid=1, source="covid-texts"), citizen, titles],
        ignore_index=True,
    )
    frame = frame[frame["text"] != ""]
    frame, duplicates, conflicts = dedupe_by_text(frame, "covid")
    counts = {
        "covid_positive": int(frame["covid"].sum()),
        "covid_negative": int((frame["covid"] == 0).sum()),
        "covid_duplicates_dropped": duplicates,
        "covid_conflicts_dropped": conflicts,
    }
    return frame, counts


@dataclass
class Recipe:
    """Labelled rows assembled by a recipe, and what they came from (for the bundle sidecar)."""

    frame: pd.DataFrame
    tasks: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)  # TrainConfig values this data wants
    rules: dict[str, list[str]] = field(default_factory=dict)  # seed terms that set a binary task by rule
    notes: list[str] = field(default_factory=list)  # what the evaluation printed after training does not show


def public(data_root: str | Path) -> Recipe:
    """The ``public`` recipe: department (Teddy, 7 classes), consultation (Fuzhou + Teddy
    titles) and COVID (lexicon-selected texts against citizen messages).

    Each row carries the label of one task (the others are missing); tasks labelled on
    different rows are fitted apart (see :func:`training.fit.fit_tasks`).
    """
    root = Path(data_root)
    department, counts = teddy_department(root)
    consultation, consultation_counts = consultation_examples(root)
    covid, covid_counts = covid_examples(root)
    frame = pd.concat([department.assign(source="teddy-labelled"), consultation, covid], ignore_index=True).astype(
        {"consultation": "Int8", "covid": "Int8"}
    )
    names = (TEDDY_FULL, *TEDDY_UNLABELLED, FUZHOU, *COVID_FILES)
    files = {name: file_sha256(root / name) for name in names}
    data = {
        "recipe": "public",
        "source": str(root),
        "files": files,
        "sha256": file_sha256_of(files),
        "rows": len(frame),
        **counts,
        **consultation_counts,
        **covid_counts,
    }
    # Character unigrams add ~0.5 point of macro-F1 on these long messages (cross-validated, bench/quality.py).
    tasks = ["consultation", "covid", "department"]
    # The lexicon is also a rule at prediction time, as an analyst's seeds are: a ticket naming
    # 核酸 or 苏康码 is COVID-related whatever the classifier, trained on other genres, makes of it.
    rules = {"covid": list(load_words("covid_terms"))}
    notes = [
        "covid: its cross-validated figures compare COVID texts with citizen messages, two genres, and say "
        "little; python -m bench.quality --data-root DIR measures it on hotline-style tickets"
    ]
    # One feature step fitted on the three data sets' texts: prediction cleans, segments and
    # looks n-grams up once per ticket, not once per task. Same-seed 5-fold CV against a step per
    # task (python -m bench.quality --feature-steps shared / per-task): department macro-F1
    # 0.914 / 0.915, consultation AUC on Fuzhou 0.898 / 0.897, COVID probe F1 0.966 / 0.941.
    config = {"char_ngrams": (1, 3), "shared_features": True}
    return Recipe(frame=frame, tasks=tasks, data=data, config=config, rules=rules, notes=notes)


def file_sha256_of(files: dict[str, str]) -> str:
    """One hash for several files: the SHA-256 of their names and hashes."""
    text = "\n".join(f"{name}:{digest}" for name, digest in sorted(files.items()))
    return hashlib.sha256(text.encode()).hexdigest()


RECIPES = {"public": public}
