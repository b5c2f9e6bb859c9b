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
from array import array
from collections import Counter
from collections.abc import Sequence

from .terms import cosine
from .vectors import CHUNK, SLACK, pair_dots, pair_products, term_matrix

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
    work: dict | None = None,
) -> list[list[int]]:
    """Clusters of ``vectors`` (unit, sparse) as sorted member lists, ordered by first member.

    ``pairs`` (``i < j``) are the candidate pairs that may seed a merge; ``days`` the members' dates
    (days since the epoch, or None). ``dense`` (a numpy array, one unit row per vector), ``weight``,
    ``langs`` and ``cross_offset``: the semantic part of the score (module docstring).
    Deterministic: ties go to the earlier pair. ``max_rescored``: after a merge, at most this many
    neighbouring clusters (the earliest) are scored against the merged one, and a cluster keeps its
    ``4 * max_rescored`` earliest neighbours: a cluster that meets most of a dense corpus costs
    neither a pass over it at every merge nor a set of it. An accepted pair whose articles' clusters
    merged before it came up is scored once as those two clusters, so the cap strands no article
    (uncapped, that score is already queued and nothing changes). ``work``, if given, is filled with what the merging cost: ``scored`` (cluster pairs
    scored after the first pass), ``visited`` (neighbour entries read) and ``heap`` (most entries
    queued at once).
    """
    # Cluster state exists only for articles that merge (most articles never do): a singleton's
    # members, sum, span and languages are read off its own vector, date and language.
    n = len(vectors)
    members: dict[int, list[int]] = {}  # root -> members, for clusters of two or more
    absorbed = bytearray(n)  # 1 once an article's cluster merged into an earlier one
    sums: dict[int, dict[str, float]] = {}  # root -> sum of member vectors (a copy, owned here)
    spans: dict[int, Span] = {}
    heap: list[tuple[float, int, int, int, int]] = []
    version = [0] * n
    semantic = dense is not None
    import numpy as np

    index = np.asarray(pairs)
    if index.dtype.kind not in "iu":  # int32 pairs (the story level's) are used as they are, not copied
        index = index.astype(np.int64)
    index = index.reshape(-1, 2)
    if semantic:
        dsums: dict = {}
        tongues: dict[int, Counter] = {}
        by_lang: dict[int, dict] = {}  # root -> term sums per language (owned copies)
        pair_dense = pair_dots(dense, index)

    def size(a: int) -> int:
        group = members.get(a)
        return 1 if group is None else len(group)

    def span(a: int) -> Span:
        return spans.get(a) or (days[a], days[a])

    def score(a: int, b: int) -> float:
        """Mean score over all cross pairs of clusters ``a`` and ``b``."""
        counts[0] += 1
        pairs_ab = size(a) * size(b)
        if not semantic:
            return cosine(sums.get(a) or vectors[a], sums.get(b) or vectors[b]) / pairs_ab
        la, lb = by_lang.get(a) or {langs[a]: vectors[a]}, by_lang.get(b) or {langs[b]: vectors[b]}
        lexical = sum(cosine(v, lb[lang]) for lang, v in la.items() if lang in lb)
        ta, tb = tongues.get(a) or Counter([langs[a]]), tongues.get(b) or Counter([langs[b]])
        apart = pairs_ab - sum(m * tb.get(lang, 0) for lang, m in ta.items())
        da = dsums[a] if a in dsums else dense[a].astype(np.float64)
        db = dsums[b] if b in dsums else dense[b].astype(np.float64)
        return ((1.0 - weight) * lexical + weight * float(da @ db) + cross_offset * apart) / pairs_ab

    # A cheap first pass in numpy over all pairs, then the exact score (the one the rest uses) only
    # for pairs that may reach the threshold: most candidates fall far below it. The pairs that
    # reach it are kept in arrays, not tuples (a dense corpus accepts nearly all of them).
    matrix = term_matrix(vectors) if len(index) else None
    floor = threshold - SLACK
    if semantic:
        codes: dict = {}
        tongue = np.array([codes.setdefault(lang, len(codes)) for lang in langs], dtype=np.int64)
    taken, scores = array("q"), array("d")
    for start in range(0, len(index), CHUNK):  # a chunk at a time: a dense corpus passes nearly all
        part = index[start : start + CHUNK]
        first = pair_products(matrix, part)
        if semantic:
            near_dense = pair_dense[start : start + CHUNK]
            same = tongue[part[:, 0]] == tongue[part[:, 1]]
            first = np.where(same, (1.0 - weight) * first + weight * near_dense, weight * near_dense + cross_offset)
        for p in (np.flatnonzero(first >= floor) + start).tolist():
            i, j = int(index[p, 0]), int(index[p, 1])
            if not semantic:
                s = cosine(vectors[i], vectors[j])
            elif langs[i] == langs[j]:
                s = (1.0 - weight) * cosine(vectors[i], vectors[j]) + weight * float(pair_dense[p])
            else:
                s = weight * float(pair_dense[p]) + cross_offset
            if s >= threshold:
                taken.append(p)
                scores.append(s)
    del matrix
    accepted = [taken, scores]
    del taken, scores
    seeds = _Seeds(index, accepted, n)  # takes them out of the list: freed as soon as they are read
    # Who an article's cluster is, without a pass over members: a label per article (the smaller
    # side is relabelled on a merge) and the root (earliest member) of each label.
    label = np.arange(n, dtype=np.int32)
    root_of = np.arange(n, dtype=np.int32)
    near: dict = {}  # root -> its neighbouring roots (sorted; stale ids resolved at the next merge)
    limit = None if max_rescored is None else 4 * max(1, max_rescored)
    compact_at = _COMPACT
    counts = [0, 0, 0]  # scored, visited, largest heap

    for a, b, va, vb in seeds.merged_with(heap):
        if len(heap) > compact_at:  # entries of clusters that merged since: they would only be skipped
            counts[2] = max(counts[2], len(heap))
            heap[:] = [e for e in heap if not (absorbed[e[1]] or absorbed[e[2]] or version[e[1]] != e[3] or version[e[2]] != e[4])]
            heapq.heapify(heap)
            compact_at = max(_COMPACT, 2 * len(heap))
        if absorbed[a] or absorbed[b] or version[a] != va or version[b] != vb:
            if va == vb == 0:  # a seed overtaken by merges: its two clusters as they are now
                x, y = sorted((int(root_of[label[a]]), int(root_of[label[b]])))
                if x != y and not _too_wide(_merge_span(span(x), span(y)), window_days):
                    s = score(x, y)
                    if s >= threshold:
                        heapq.heappush(heap, (-s, x, y, version[x], version[y]))
            continue
        if va == vb == 0 and _too_wide(_merge_span(span(a), span(b)), window_days):
            continue  # two singletons too far apart (the story level drops such pairs before)
        # a < b always: the merged cluster keeps the earlier root.
        group = members.setdefault(a, [a])
        other = members.pop(b, None) or [b]
        small, big = (other, a) if len(other) <= len(group) else (group, b)
        root_of[label[big]] = a
        label[small] = label[big]
        group.extend(other)
        group.sort()
        absorbed[b] = 1
        if semantic:
            if a not in dsums:
                dsums[a] = dense[a].astype(np.float64)
            dsums[a] += dsums.pop(b) if b in dsums else dense[b].astype(np.float64)
            tongues[a] = (tongues.get(a) or Counter([langs[a]])) + (tongues.pop(b, None) or Counter([langs[b]]))
            la = by_lang.get(a)
            if la is None:
                la = by_lang[a] = {langs[a]: dict(vectors[a])}
            for lang, sb in (by_lang.pop(b, None) or {langs[b]: vectors[b]}).items():
                sa = la.setdefault(lang, {})
                for t, w in sb.items():
                    sa[t] = sa.get(t, 0.0) + w
        else:
            sa = sums.get(a)
            if sa is None:
                sa = sums[a] = dict(vectors[a])
            for t, w in (sums.pop(b, None) or vectors[b]).items():
                sa[t] = sa.get(t, 0.0) + w
        spans[a] = _merge_span(span(a), span(b))
        spans.pop(b, None)
        version[a] += 1
        # The merged cluster's neighbours: both sides' (a singleton's are its accepted pairs), as
        # current roots; past ``limit`` the earliest are kept, so a cluster never holds a dense corpus.
        both = np.concatenate((near.pop(a) if a in near else seeds.row(a), near.pop(b) if b in near else seeds.row(b)))
        counts[1] += len(both)
        nb = np.unique(root_of[label[both]])
        nb = nb[nb != a]
        near[a] = nb = nb[:limit].copy() if limit is not None and len(nb) > limit else nb
        for c in nb[:max_rescored].tolist():
            if _too_wide(_merge_span(span(a), span(c)), window_days):
                continue
            s = score(a, c)
            if s >= threshold:
                x, y = min(a, c), max(a, c)
                heapq.heappush(heap, (-s, x, y, version[x], version[y]))
    if work is not None:
        work.update(scored=counts[0], visited=counts[1], heap=max(counts[2], len(heap)))
    return [members.get(i) or [i] for i in range(n) if not absorbed[i]]


#: Heap entries past which the stale ones are dropped (then at twice the live ones): a merge pushes
#: up to ``max_rescored`` of them and the next merge of either cluster makes them stale.
_COMPACT = 4096


class _Seeds:
    """The accepted candidate pairs of :func:`average_linkage`: in merge order (score descending,
    then ``i``, ``j``) and as each article's partners (both ways), in flat int32 arrays (24 bytes a
    pair, against some 250 in heap tuples and neighbour sets)."""

    def __init__(self, index, accepted: list, n: int):
        import numpy as np

        taken, scores = accepted.pop(0), accepted.pop(0)
        at = np.frombuffer(taken, dtype=np.int64) if taken else np.zeros(0, dtype=np.int64)
        i, j = index[at, 0].astype(np.int32), index[at, 1].astype(np.int32)
        del at, taken
        score = np.frombuffer(scores, dtype=np.float64) if scores else np.zeros(0)
        del scores
        # Merge order (-score, i, j): when the pairs came sorted (the story level's do), a stable
        # sort by score alone gives it, without lexsort's copies.
        ordered = not np.any((i[1:] < i[:-1]) | ((i[1:] == i[:-1]) & (j[1:] < j[:-1])))
        order = np.argsort(-score, kind="stable") if ordered else np.lexsort((j, i, -score))
        self.score = score[order]
        del score
        self.i, self.j = i[order], j[order]
        del order
        # Each article's partners, both ways, sorted as (article << 32 | partner) in place.
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(i, minlength=n) + np.bincount(j, minlength=n), out=starts[1:])
        key = np.empty(2 * len(i), dtype=np.int64)
        for half, (x, y) in enumerate(((i, j), (j, i))):
            part = key[half * len(i) : (half + 1) * len(i)]
            part[:] = x
            part <<= 32
            part |= y
        del i, j
        key.sort()
        key &= 0xFFFFFFFF
        self.partners, self.starts = key.astype(np.int32), starts

    def row(self, x: int):
        """Article ``x``'s accepted partners."""
        return self.partners[self.starts[x] : self.starts[x + 1]]

    def merged_with(self, heap: list):
        """``(a, b, version a, version b)`` best first, from the seeds (versions 0) and ``heap``
        (tuples ``(-score, a, b, version a, version b)`` pushed while this runs)."""
        total = len(self.score)
        for start in range(0, total, CHUNK):
            part = list(zip((-self.score[start : start + CHUNK]).tolist(), self.i[start : start + CHUNK].tolist(), self.j[start : start + CHUNK].tolist()))
            for s, i, j in part:
                seed = (s, i, j, 0, 0)
                while heap and heap[0] < seed:
                    yield heapq.heappop(heap)[1:]
                yield seed[1:]
        while heap:
            yield heapq.heappop(heap)[1:]


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
