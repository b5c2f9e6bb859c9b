"""Average-linkage clustering of sparse unit vectors over candidate pairs: how stories are formed.

Two clusters merge only when the mean cosine over all their cross pairs reaches ``threshold``
(computed exactly from sums of member vectors: for unit vectors, ``sum_a . sum_b / (|a| |b|)`` is the
mean cross-pair cosine), best pair first, and only when every dated member stays within
``window_days``. Similarity is not transitive, so a chain A~B~C does not pull A and C together.
Only candidate pairs (and clusters that contain them) are ever compared.

>>> v = [{"a": 1.0}, {"a": 0.8, "b": 0.6}, {"b": 1.0}]
>>> average_linkage(v, [(0, 1), (1, 2)], [None, None, None], threshold=0.7, window_days=0)
[[0, 1], [2]]
"""

from __future__ import annotations

import heapq
from typing import Sequence

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
) -> list[list[int]]:
    """Clusters of ``vectors`` (unit, sparse) as sorted member lists, ordered by first member.

    ``pairs`` (``i < j``) are the candidate pairs that may seed a merge; ``days`` the members' dates
    (days since the epoch, or None). Deterministic: ties go to the earlier pair.
    """
    n = len(vectors)
    members = {i: [i] for i in range(n)}
    sums: dict[int, dict[str, float]] = {i: dict(vectors[i]) for i in range(n)}
    span = {i: (days[i], days[i]) for i in range(n)}
    neighbours: dict[int, set[int]] = {i: set() for i in range(n)}
    heap: list[tuple[float, int, int, int, int]] = []
    version = [0] * n

    for i, j in pairs:
        s = cosine(vectors[i], vectors[j])
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
        for c in sorted(nb):
            if _too_wide(_merge_span(span[a], span[c]), window_days):
                continue
            s = cosine(sa, sums[c]) / (len(members[a]) * len(members[c]))
            if s >= threshold:
                x, y = min(a, c), max(a, c)
                heapq.heappush(heap, (-s, x, y, version[x], version[y]))
    return [members[root] for root in sorted(members)]
