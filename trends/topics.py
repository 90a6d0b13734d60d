"""Topics of one week of tickets.

1. Near-duplicates (the same complaint filed again) share a fingerprint: the cleaned text
   without digits, masks and punctuation, first 60 characters. One representative per group
   is clustered; the group's size counts.
2. Jieba TF-IDF (title weighted twice) -> truncated SVD (fitted on a sample of 50,000
   distinct tickets in a larger week) -> unit vectors.
3. MiniBatchKMeans over-segments the week (a vector quantiser, k about n/15); average-linkage
   agglomeration of its centroids with a cosine-distance threshold then decides how many
   topics there are: no fixed number of topics. Groups smaller than ``min_size`` tickets are
   not topics, nor incoherent catch-alls (``min_coherence``); a catch-all is first quantised
   again on its own, once, so that a small real topic k-means put in it (a thin week's surge
   of 6 tickets among 95) comes out.
4. Keywords by class-based TF-IDF (c-TF-IDF); the label is the title of the ticket closest to
   the topic's centre; locations are the places the resolver of :mod:`nlp.places` finds in the
   texts (districts, streets, communities, landmarks, by their canonical names), then estates,
   roads and districts the gazetteer lacks, found by a place pattern.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize as unit_rows

from nlp.places import find_places
from nlp.text import clean, clean_many
from nlp.tokenize import Tokenizer

__all__ = [
    "Topic",
    "TopicParams",
    "extract_locations",
    "find_topics",
    "fingerprint",
    "topic_documents",
    "with_clean_text",
]

_NOISE = re.compile(r"[\d\W_]|\[[^\]]*\]")
_PLACE_SUFFIX = "街道|镇|社区|小区|花园|家园|新村|公寓|华府|名邸|雅苑|公馆|地块|广场|湖畔|大道|路"
_PLACE = re.compile(rf"[\u4e00-\u9fa5]{{1,8}}?(?:{_PLACE_SUFFIX})")
_DISTRICT = re.compile(r"[A-Z]\d{0,2}[市区县]|[\u4e00-\u9fa5]{2,3}(?:区|市|县)")
# Characters that start a clause, not a name ("是吴中区", "在相城区", "为封控区").
_NOT_NAME_START = set(
    "是在为于的了到住对把被向从请我们你他她它这那该本此个某有没不和与及或就都也还很太又再已将会要想能可说让给跟往离由近附整里外上下前后中内旁边每各其所把经障考虑"
)
_NOT_PLACES = {
    "小区",
    "社区",
    "花园",
    "家园",
    "新村",
    "广场",
    "大道",
    "街道",
    "市区",
    "城区",
    "地区",
    "园区",
    "辖区",
    "片区",
    "学区",
    "封控区",
    "管控区",
    "防范区",
    "风险区",
}


def _suffix(name: str) -> str:
    """The place suffix (街道, 小区, 路 ...) ``name`` ends with, or ""."""
    return next((s for s in _PLACE_SUFFIX.split("|") if name.endswith(s)), "")


def _trim(name: str) -> str:
    """Drop leading clause characters and keep at most 4 characters before the suffix."""
    suffix = _suffix(name)
    stem = name[: len(name) - len(suffix)]
    stem = re.split(r"[区市县]", stem)[-1]  # "吴中区郭巷" -> "郭巷": the district is counted on its own
    while stem and stem[0] in _NOT_NAME_START:
        stem = stem[1:]
    return stem[-4:] + suffix if len(stem) >= 2 else ""


@dataclass(frozen=True)
class TopicParams:
    """Knobs of the weekly clustering (documented defaults)."""

    svd_dims: int = 100
    svd_fit_rows: int = 50_000  # distinct tickets; a larger week fits its SVD on a sample of this many
    tickets_per_centroid: int = 15
    merge_distance: float = 0.6  # cosine distance under which two k-means centroids are one topic
    min_size: int = 5
    kmeans_plus_plus_up_to: int = 20_000  # distinct tickets; larger weeks seed k-means at random
    min_coherence: float = 0.35  # mean cosine of members to their centre; below it a cluster is a catch-all
    keywords: int = 8
    profile_terms: int = 30  # terms kept to compare topics across weeks (more than are shown)
    seed: int = 0


@dataclass
class Topic:
    """One topic of one week."""

    size: int
    ticket_ids: list[str]
    keywords: list[str]
    keyword_weights: dict[str, float]
    label: str
    locations: list[str]
    example_ids: list[str]
    extra: dict[str, Any] = field(default_factory=dict)


_CODE = re.compile(r"^[a-z]\d*$|^\d+$")  # anonymised place codes (a3, a7) and bare numbers


def _is_keyword(term: str) -> bool:
    """Terms worth showing: no single characters, anonymised codes or numbers."""
    return len(term) > 1 and not _CODE.match(term)


def fingerprint(cleaned: str) -> str:
    """Key shared by near-duplicate tickets: cleaned text (:func:`nlp.text.clean`) without digits, masks and punctuation."""
    return _NOISE.sub("", cleaned)[:60]


def with_clean_text(tickets: pd.DataFrame) -> pd.DataFrame:
    """``tickets`` with the cleaned title and body (``clean_title``, ``clean_text``) added.

    Cleaning is the costliest step after segmentation; a digest cleans each ticket once and
    hands the columns to every step (topics of each week, the shared history space).
    """
    if "clean_title" in tickets and "clean_text" in tickets:
        return tickets
    out = tickets.copy()
    # .tolist() first: iterating pandas' Arrow-backed strings one by one is several times slower.
    out["clean_title"] = clean_many(tickets["title"].fillna("").astype(str).tolist())
    out["clean_text"] = clean_many(tickets["text"].fillna("").astype(str).tolist())
    return out


def topic_documents(tickets: pd.DataFrame) -> list[str]:
    """The text clustered for each ticket: the title twice (short and telling), then the body."""
    titles, texts = tickets["clean_title"].tolist(), tickets["clean_text"].tolist()
    return [f"{t} {t} {x}" for t, x in zip(titles, texts, strict=True)]


# Part-of-speech tags (prefixes) of words that start or join a clause and never belong to a
# place name: verbs (but verbal nouns, as in 建设路), conjunctions, adverbs, prepositions,
# pronouns, particles, localisers (期间, 附近), modal words. "居民可以出小区" and "隔离期间社区"
# are clauses that end in a place word, not places.
_CLAUSE_TAGS = ("v", "c", "d", "p", "r", "u", "f", "y", "e", "o")


def _is_name(candidate: str, tagger: Callable[[str], list[tuple[str, str]]]) -> bool:
    """True unless a word of ``candidate`` before its place suffix is a clause word."""
    stem_end, start = len(candidate) - len(_suffix(candidate)), 0
    for word, flag in tagger(candidate):
        if start < stem_end and flag.startswith(_CLAUSE_TAGS) and flag != "vn":
            return False
        start += len(word)
    return True


def _is_district(candidate: str, tagger: Callable[[str], list[tuple[str, str]]]) -> bool:
    """False when ``candidate`` ends in a common word that merely ends in 区, 市 or 县 (恒远超市, 去菜市).

    A district is one word (昆山市, 姑苏区) or a name followed by the bare suffix.
    """
    last = tagger(candidate)[-1][0]
    return last == candidate or len(last) == 1


def _known_places(text: str) -> tuple[set[str], str]:
    """The canonical names of the gazetteer's places in ``text``, and ``text`` with them blanked out.

    The blanked text goes to the place pattern, which then finds only what the gazetteer lacks
    (an estate, a road, another city's district) and never a piece of a known name.
    """
    matches = find_places(text)
    if not matches:
        return set(), text
    pieces, at = [], 0
    for m in matches:
        pieces += [text[at : m.start], "，"]
        at = m.end
    pieces.append(text[at:])
    return {m.name for m in matches}, "".join(pieces)


def extract_locations(texts: list[str], *, top: int = 3, tokenizer: Tokenizer | None = None) -> list[str]:
    """The place names (district, street, community, landmark, estate) mentioned by most of ``texts``.

    Places of the gazetteer and landmark list come from :func:`nlp.places.find_places`, by
    their canonical names (工业园区 is 苏州工业园区, 横塘 is 横塘街道). The rest of the text
    goes to a place pattern (a name ending in 小区, 花园, 路 ... or in 区, 市, 县).
    With ``tokenizer``, pattern candidates that are clauses ending in a place word are dropped (by its
    part-of-speech tags), as are district candidates whose last word is a common word ending in
    区, 市 or 县 (超市 in 恒远超市); its user words that end in 区, 市 or 县 (相城区, 工业园区)
    count as districts even where the pattern alone would take them for a generic word (城区, 园区).
    """
    counts: Counter[str] = Counter()
    names: dict[str, bool] = {}  # candidate -> is a name, tagged once per call
    districts: dict[str, bool] = {}  # the same for district candidates
    known = set(tokenizer.user_words) if tokenizer is not None else set()
    for text in texts:
        known, text = _known_places(text)
        found = {_trim(m.group(0)) for m in _PLACE.finditer(text)}
        if tokenizer is not None:
            for candidate in found - names.keys():
                names[candidate] = bool(candidate) and _is_name(candidate, tokenizer.tag)
            found = {p for p in found if names[p]}
        for m in _DISTRICT.finditer(text):
            name = m.group(0)
            while len(name) > 3 and name[0] in _NOT_NAME_START:  # "是吴中区" -> "吴中区"
                name = name[1:]
            generic = name[-2] in "小社园城片辖学控范险地"  # 小区, 社区, 城区, 地区 ... are no districts
            if generic and name not in known:
                continue
            if tokenizer is not None and name not in known:
                if name not in districts:
                    districts[name] = _is_district(name, tokenizer.tag)
                if not districts[name]:
                    continue
            found.add(name)
        counts.update(p for p in found | known if p and p not in _NOT_PLACES)
    # A place named in at least two tickets (or the only one there is) says where the topic is.
    # Ties in name order: the candidates come from sets, whose order changes from run to run.
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [p for p, n in ranked if n >= 2 or len(texts) == 1]


def _c_tf_idf(counts: Any, labels: np.ndarray, n_topics: int) -> np.ndarray:
    """Class-based TF-IDF: term frequency per topic times log(1 + average words per topic / term frequency)."""
    per_topic = np.zeros((n_topics, counts.shape[1]))
    for t in range(n_topics):
        rows = np.flatnonzero(labels == t)
        if len(rows):
            per_topic[t] = np.asarray(counts[rows].sum(axis=0)).ravel()
    tf = per_topic / np.maximum(per_topic.sum(axis=1, keepdims=True), 1)
    average = per_topic.sum() / max(n_topics, 1)
    idf = np.log1p(average / np.maximum(per_topic.sum(axis=0), 1))
    return tf * idf


def find_topics(week: pd.DataFrame, tokenizer: Tokenizer, params: TopicParams | None = None) -> list[Topic]:
    """Cluster one week's tickets (``id``, ``title``, ``text``) into topics, largest first.

    The steps of the module docstring, one function each: representatives of near-duplicate
    groups, their vectors, their clusters, then each cluster described as a :class:`Topic`.
    A week too small or too uniform to have topics gives none.
    """
    params = params or TopicParams()
    if len(week) < params.min_size:
        return []
    week = with_clean_text(week.reset_index(drop=True))
    groups = _near_duplicate_groups(week)
    embedded = _embed(topic_documents(week.iloc[groups.rows]), tokenizer, params)
    if embedded is None:
        return []
    rep_topic = _cluster(embedded.vectors, groups, params)
    return _describe(week, groups, embedded, rep_topic, tokenizer, params)


@dataclass(frozen=True)
class _Groups:
    """Near-duplicate tickets of a week (step 1): one representative row per group."""

    rows: np.ndarray  # the week's row of each representative, in order
    group_of: np.ndarray  # each ticket's group, an index into ``rows``


@dataclass(frozen=True)
class _Embedded:
    """The representatives' term counts (for keywords) and unit vectors (for clustering) (step 2)."""

    counts: Any
    terms: np.ndarray
    vectors: np.ndarray


def _near_duplicate_groups(week: pd.DataFrame) -> _Groups:
    """Group the tickets whose cleaned title and text share a :func:`fingerprint`."""
    keys = pd.Series(
        [fingerprint(t + x) for t, x in zip(week["clean_title"].tolist(), week["clean_text"].tolist(), strict=True)],
        dtype=object,
    )
    representative = ~keys.duplicated()
    group_of = keys.map({k: i for i, k in enumerate(keys[representative].tolist())}).to_numpy()
    return _Groups(rows=np.flatnonzero(representative.to_numpy()), group_of=group_of)


def _embed(docs: list[str], tokenizer: Tokenizer, params: TopicParams) -> _Embedded | None:
    """TF-IDF of the documents, reduced by truncated SVD to unit vectors; None when there is no vocabulary."""
    stop = list(tokenizer.stop_words) or None
    # Counted once: the counts give both the TF-IDF vectors and the c-TF-IDF keywords.
    vectorizer = CountVectorizer(
        tokenizer=tokenizer, token_pattern=None, lowercase=False, stop_words=stop, min_df=2, max_df=0.5
    )
    try:
        counts = vectorizer.fit_transform(docs)
    except ValueError:  # too few or too uniform texts to have a vocabulary
        return None
    matrix = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
    dims = min(params.svd_dims, matrix.shape[1] - 1, min(matrix.shape[0], params.svd_fit_rows) - 1)
    if dims < 2:
        return None
    svd = TruncatedSVD(dims, random_state=params.seed)
    if matrix.shape[0] > params.svd_fit_rows:
        # The 100 main directions of a city-scale week are set long before its 300,000th ticket:
        # fitting on a sample and projecting every ticket costs a fraction of fitting on all.
        sample = np.random.default_rng(params.seed).choice(matrix.shape[0], params.svd_fit_rows, replace=False)
        vectors = svd.fit(matrix[np.sort(sample)]).transform(matrix)
    else:
        vectors = svd.fit_transform(matrix)
    vectors = unit_rows(vectors)
    return _Embedded(counts=counts, terms=vectorizer.get_feature_names_out(), vectors=vectors)


def _cluster(vectors: np.ndarray, groups: _Groups, params: TopicParams) -> np.ndarray:
    """The topic of each representative (step 3): quantised, then its catch-alls quantised again."""
    return _split_catch_alls(_quantise(vectors, params), vectors, groups.group_of, params)


def _quantise(vectors: np.ndarray, params: TopicParams) -> np.ndarray:
    """Topic of each row of ``vectors``: k-means over-segments, average linkage of its centroids merges them."""
    n = len(vectors)
    # Small sets still get enough centroids (about 2 sqrt(n)) for the merge step to find their topics.
    k = int(np.clip(max(n // params.tickets_per_centroid, int(2 * np.sqrt(n))), 2, min(2000, n)))
    # One k-means++ start: the quantiser over-segments on purpose and the merge step decides
    # the topics, so extra starts (each a k-means++ pass over k centroids) buy little.
    # k-means++ seeding costs O(n k); for large weeks random seeds do (the merge step follows).
    init = "k-means++" if n <= params.kmeans_plus_plus_up_to else "random"
    quantiser = MiniBatchKMeans(n_clusters=k, init=init, random_state=params.seed, n_init=1, batch_size=4096)
    quantiser.fit(vectors)
    centroids = unit_rows(quantiser.cluster_centers_)
    merged = AgglomerativeClustering(
        n_clusters=None, distance_threshold=params.merge_distance, metric="cosine", linkage="average"
    ).fit(centroids)
    return np.asarray(merged.labels_[quantiser.labels_])


def _coherence(vectors: np.ndarray) -> float:
    """Mean cosine of unit ``vectors`` to their centre: low for a catch-all of unrelated tickets."""
    centre = unit_rows(vectors.mean(axis=0, keepdims=True))[0]
    return float((vectors @ centre).mean())


def _split_catch_alls(
    rep_topic: np.ndarray, vectors: np.ndarray, group_of: np.ndarray, params: TopicParams
) -> np.ndarray:
    """``rep_topic`` with each incoherent topic large enough to hold one quantised again on its own, once.

    k-means gathers the tickets that are like no other into a catch-all, and in a thin week
    (100 tickets, so about 19 centroids) a real topic of a few tickets can land in it with them;
    dropping the catch-all whole would drop that topic too. Its parts that are coherent and
    large enough become topics; the rest stays incoherent and is dropped as before.
    """
    out = rep_topic.copy()
    sizes = np.bincount(rep_topic[group_of])
    next_label = int(rep_topic.max()) + 1
    for t in np.flatnonzero(sizes >= params.min_size):
        reps = np.flatnonzero(rep_topic == t)
        if len(reps) < params.min_size or _coherence(vectors[reps]) >= params.min_coherence:
            continue
        parts = _quantise(vectors[reps], params)
        out[reps] = next_label + parts
        next_label += int(parts.max()) + 1
    return np.unique(out, return_inverse=True)[1]  # labels 0 .. n_topics - 1 again, in the same order


def _describe(
    week: pd.DataFrame,
    groups: _Groups,
    embedded: _Embedded,
    rep_topic: np.ndarray,
    tokenizer: Tokenizer,
    params: TopicParams,
) -> list[Topic]:
    """Each cluster of at least ``min_size`` tickets that holds together, as a Topic, largest first (step 4)."""
    ticket_topic = rep_topic[groups.group_of]
    sizes = np.bincount(ticket_topic)
    kept = [t for t in np.argsort(-sizes) if sizes[t] >= params.min_size]
    weights = _c_tf_idf(embedded.counts, rep_topic, int(rep_topic.max()) + 1)
    terms, vectors, rep_ids = embedded.terms, embedded.vectors, groups.rows
    titles = week["title"].fillna("").astype(str)
    ids = week["id"].astype(str).tolist()
    texts = week["text"].fillna("").astype(str).tolist()
    topics = []
    for t in kept:
        members = np.flatnonzero(ticket_topic == t)
        reps = np.flatnonzero(rep_topic == t)
        centre = unit_rows(vectors[reps].mean(axis=0, keepdims=True))[0]
        closeness = vectors[reps] @ centre
        if float(closeness.mean()) < params.min_coherence:
            continue  # a catch-all of unrelated tickets is no topic
        central = reps[np.argsort(-closeness)]
        order = np.argsort(-weights[t])
        shown = list(islice((i for i in order if _is_keyword(str(terms[i]))), params.keywords))
        top_terms = np.array(shown, dtype=int)
        profile = order[: params.profile_terms]
        label_row = int(rep_ids[central[0]])
        label = titles.iloc[label_row] or texts[label_row]
        topics.append(
            Topic(
                size=len(members),
                ticket_ids=[ids[i] for i in members],
                keywords=[str(terms[i]) for i in top_terms if weights[t, i] > 0],
                keyword_weights={str(terms[i]): float(weights[t, i]) for i in profile if weights[t, i] > 0},
                label=clean(str(label))[:40],
                # Places of a large topic from an even sample of its tickets: the top three do not need all.
                locations=extract_locations(
                    [texts[i] for i in members[:: max(1, len(members) // 1000)]], tokenizer=tokenizer
                ),
                example_ids=[ids[i] for i in rep_ids[central[:3]]],
            )
        )
    return topics
