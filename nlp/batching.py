"""How much each step takes at once: rows, tickets, texts or documents per batch.

Every step that can meet a whole file works through it in batches, so that memory stays
bounded whatever the input's size and per-call costs are paid once per batch. The sizes are
here, in one style (``<STEP>_BATCH``), so that they can be read and tuned side by side; each
module that batches imports its own.
"""

from __future__ import annotations

__all__ = ["CLEAN_BATCH", "NGRAM_BATCH", "READ_BATCH", "SCORE_BATCH"]

# Rows of an input file read, scored and written at a time (hotline predict, nlp.stream), and
# rows per Arrow batch sent to a Spark worker, so that it holds what a predict process holds.
READ_BATCH = 5_000
# Tickets scored together (nlp.scoring): the work their feature steps share (cleaned text,
# tokens, n-grams) is kept for one batch.
SCORE_BATCH = 10_000
# Texts joined into one string to be normalised and cleaned (nlp.text): the joined string and
# its copies stay a few MB (a training set of a million tickets is two million texts).
CLEAN_BATCH = 10_000
# Documents coded into n-grams at a time (nlp.ngrams).
NGRAM_BATCH = 10_000
