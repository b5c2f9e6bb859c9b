"""Average-linkage clustering over candidate pairs: how stories are formed.

Two clusters merge only when the mean score over all their cross pairs reaches ``threshold``, best
pair first, and only when every dated member stays within ``window_days``. Similarity is not
transitive, so a chain A~B~C does not pull A and C together. Only candidate pairs (and clusters that
contain them) are ever compared.

The score of two articles is the cosine of their sparse unit term vectors. With ``dense`` vectors
(an encoder's, unit length) it is ``(1 - weight) * term cosine + weight * dense cosine`` for two
articles in one language, and ``weight * dense cosine + cross_offset`` for two in different
languages (their terms are not comparable; the offset lets one threshold hold for both kinds).
Both cosines are dot products, so the mean over all cross pairs of two clusters is computed exactly
from sums of member vectors (``sum_a . sum_b / (|a| |b|)``; term vectors summed per language), and
the offset from per-language member counts.

>>> v = [{"a": 1.0}, {"a": 0.8, "b": 0.6}, {"b": 1.0}]
>>> average_linkage(v, [(0, 1), (1, 2)], [None, None, None], threshold=0.7, window_days=0)
[[0, 1], [2]]
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence

from .terms import cosine

Span = tuple["float | None", "float | None"]


def _merge_span(a: Span, b: Span) -> Span:
    lo = [x for x in (a[0], b[0]) if x is not None]
    hi = [x for x in (a[1], b[1]) if x is not None]
    return (min(lo) if lo else None, max(hi) if hi else None)


def _too_wide(span: Span, window_days: float) -> bool:
    lo, hi = span
    return bool(window_days) and lo is not None and hi - lo > window_days


def average_linkage(
    vectors: Sequence[dict[str, float]],
    pairs: Sequence[tuple[int, int]],
    days: Sequence[float | None],
    *,
    threshold: float,
    window_days: float,
    dense=None,
    weight: float = 0.0,
    langs: Sequence[str | None] | None = None,
    cross_offset: float = 0.0,
    max_rescored: int | None = None,
) -> list[list[int]]:
    """Clusters of ``vectors`` (unit, sparse) as sorted member lists, ordered by first member.

    ``pairs`` (``i < j``) are the candidate pairs that may seed a merge; ``days`` the members' dates
    (days since the epoch, or None). ``dense`` (a numpy array, one unit row per vector), ``weight``,
    ``langs`` and ``cross_offset``: the semantic part of the score (module docstring).
    Deterministic: ties go to the earlier pair. ``max_rescored``: after a merge, at most this many
    neighbouring clusters (the earliest) are scored against the merged one, so that a cluster
    that meets most of a dense corpus does not cost a pass over it at every merge.
    """
    n = len(vectors)
    members = {i: [i] for i in range(n)}
    sums: dict[int, dict[str, float]] = {i: dict(vectors[i]) for i in range(n)}
    span = {i: (days[i], days[i]) for i in range(n)}
    neighbours: dict[int, set[int]] = {i: set() for i in range(n)}
    heap: list[tuple[float, int, int, int, int]] = []
    version = [0] * n
    semantic = dense is not None
    if semantic:
        import numpy as np

        dsums = {i: dense[i].astype(np.float64) for i in range(n)}
        tongues = {i: Counter([langs[i]]) for i in range(n)}
        by_lang = {i: {langs[i]: sums[i]} for i in range(n)}  # term sums per language (same dicts)
        pair_dense = np.einsum("ij,ij->i", dense[[i for i, _ in pairs]], dense[[j for _, j in pairs]]) if pairs else []

    def score(a: int, b: int) -> float:
        """Mean score over all cross pairs of clusters ``a`` and ``b``."""
        size = len(members[a]) * len(members[b])
        if not semantic:
            return cosine(sums[a], sums[b]) / size
        la, lb = by_lang[a], by_lang[b]
        lexical = sum(cosine(v, lb[lang]) for lang, v in la.items() if lang in lb)
        ta, tb = tongues[a], tongues[b]
        apart = size - sum(m * tb.get(lang, 0) for lang, m in ta.items())
        return ((1.0 - weight) * lexical + weight * float(dsums[a] @ dsums[b]) + cross_offset * apart) / size

    # A cheap first pass in numpy over all pairs, then the exact score (the one the rest uses) only
    # for pairs that may reach the threshold: most candidates fall far below it.
    rough = rough_cosines(vectors, pairs)
    floor = threshold - _SLACK
    for p, (i, j) in enumerate(pairs):
        if not semantic:
            if rough[p] < floor:
                continue
            s = cosine(vectors[i], vectors[j])
        elif langs[i] == langs[j]:
            if (1.0 - weight) * rough[p] + weight * float(pair_dense[p]) < floor:
                continue
            s = (1.0 - weight) * cosine(vectors[i], vectors[j]) + weight * float(pair_dense[p])
        else:
            s = weight * float(pair_dense[p]) + cross_offset
        if s >= threshold:
            neighbours[i].add(j)
            neighbours[j].add(i)
            heap.append((-s, i, j, 0, 0))
    heapq.heapify(heap)

    while heap:
        _, a, b, va, vb = heapq.heappop(heap)
        if a not in members or b not in members or version[a] != va or version[b] != vb:
            continue
        # a < b always: the merged cluster keeps the earlier root.
        members[a].extend(members.pop(b))
        members[a].sort()
        if semantic:
            dsums[a] += dsums.pop(b)
            tongues[a] += tongues.pop(b)
            la = by_lang[a]
            for lang, sb in by_lang.pop(b).items():
                sa = la.setdefault(lang, {})
                for t, w in sb.items():
                    sa[t] = sa.get(t, 0.0) + w
            sums.pop(b)
        else:
            sa, sb = sums[a], sums.pop(b)
            for t, w in sb.items():
                sa[t] = sa.get(t, 0.0) + w
        span[a] = _merge_span(span[a], span.pop(b))
        version[a] += 1
        nb = (neighbours[a] | neighbours.pop(b)) - {a, b}
        neighbours[a] = nb
        for c in nb:
            neighbours[c].discard(b)
            neighbours[c].add(a)
        for c in sorted(nb)[:max_rescored]:
            if _too_wide(_merge_span(span[a], span[c]), window_days):
                continue
            s = score(a, c)
            if s >= threshold:
                x, y = min(a, c), max(a, c)
                heapq.heappush(heap, (-s, x, y, version[x], version[y]))
    return [members[root] for root in sorted(members)]


#: Rounding error allowed between :func:`rough_cosines` and :func:`cleaner.terms.cosine` (both sum at
#: most ``top_terms`` products of unit-vector weights; the error is ~1e-16).
_SLACK = 1e-9


def rough_cosines(vectors: Sequence[dict[str, float]], pairs: Sequence[tuple[int, int]]):
    """The cosine of each pair's two sparse vectors, all at once (scipy sparse rows, float64).

    Equal to :func:`cleaner.terms.cosine` up to rounding (the products are summed in another order).

    >>> rough_cosines([{"a": 0.6, "b": 0.8}, {"b": 1.0}, {}], [(0, 1), (1, 2)]).round(6).tolist()
    [0.8, 0.0]
    """
    import numpy as np

    if not pairs:
        return np.zeros(0)
    from scipy.sparse import csr_matrix

    columns: dict[str, int] = {}
    setdefault = columns.setdefault
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for vec in vectors:
        indices.extend([setdefault(t, len(columns)) for t in vec])
        data.extend(vec.values())
        indptr.append(len(indices))
    matrix = csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr)), shape=(len(vectors), max(1, len(columns))))
    index = np.asarray(pairs, dtype=np.int64)
    out = np.empty(len(index))
    for start in range(0, len(index), _CHUNK):  # in chunks: the row copies cost ~400 bytes a pair
        part = index[start : start + _CHUNK]
        out[start : start + len(part)] = np.asarray(matrix[part[:, 0]].multiply(matrix[part[:, 1]]).sum(axis=1)).ravel()
    return out


#: Pairs :func:`rough_cosines` scores at once (memory: about 400 bytes a pair while it does).
_CHUNK = 8192


def mean_pair_score(
    vectors: Sequence[dict[str, float]],
    members: Sequence[int],
    *,
    dense=None,
    weight: float = 0.0,
    langs: Sequence[str | None] | None = None,
    cross_offset: float = 0.0,
) -> float:
    """The mean score over all pairs of one cluster's ``members`` (at least two), from the same sums
    as :func:`average_linkage` (the pairs of a sum ``S`` of vectors ``v`` add up to
    ``(|S|^2 - sum |v|^2) / 2``).

    >>> mean_pair_score([{"a": 1.0}, {"a": 0.8, "b": 0.6}, {"b": 1.0}], [0, 1, 2])
    0.4667
    """

    def pair_sum(group) -> float:
        total: dict[str, float] = {}
        own = 0.0  # each member's pair with itself, left out: |v|^2 (1, or 0 for an empty vector)
        for i in group:
            for t, w in vectors[i].items():
                total[t] = total.get(t, 0.0) + w
                own += w * w
        return (sum(w * w for w in total.values()) - own) / 2.0

    n = len(members)
    pairs = n * (n - 1) / 2
    if dense is None:
        return round(pair_sum(members) / pairs, 4)
    sizes = Counter(langs[i] for i in members)
    lexical = sum(pair_sum([i for i in members if langs[i] == lang]) for lang in sizes)
    total = dense[list(members)].sum(axis=0)
    apart = (n * n - sum(m * m for m in sizes.values())) / 2.0
    score = (1.0 - weight) * lexical + weight * (float(total @ total) - n) / 2.0 + cross_offset * apart
    return round(score / pairs, 4)
