"""The story level's candidate pairs: the articles worth scoring against each other.

Each article's ``lsh_terms`` best terms are MinHashed (:func:`cleaner.lsh.minhash_matrix`, all at
once) and banded into :class:`cleaner.lsh.FixedBuckets`; an article's candidates are the earlier
articles it shares a band with, at most :data:`CANDIDATES_PER_ARTICLE` of them (those sharing the
most bands). Two dated articles more than ``window_days`` apart are never a pair, so they are never
gathered. With an encoder's vectors, each article's ``semantic_neighbours`` nearest neighbours are
candidates too (how articles in two languages meet).
"""

from __future__ import annotations

import heapq
from array import array

import numpy as np

from .config import StoryConfig
from .lsh import FixedBuckets, minhash_matrix
from .vectors import PackedVectors

#: Candidate pairs an article makes with earlier ones, at most: those sharing the most LSH bands of
#: their best terms (on the benchmark corpora an article has 10 on average, 49 at the 99th
#: percentile). Without it a corpus of random words (nothing shares much, everything shares a
#: little) gave thousands of pairs an article, and 4 GB of pairs at 20,000 articles.
CANDIDATES_PER_ARTICLE = 64


def candidate_pairs(vectors: PackedVectors, days, config: StoryConfig, dense=None):
    """The candidate pairs ``(i, j)``, ``i < j``, as a sorted ``(pairs, 2)`` int32 array (int64 past
    2^31 articles). ``days``: each article's date in days (None: undated, never too far apart);
    ``dense``: the encoder's unit vectors, one row per article, or None.

    Memory: 8 bytes a pair while gathering (an array sorted in place), 16 at the peak, when it is
    split into the pair array. (Pairs outside the window were once gathered and dropped after: 40
    bytes a pair at once, some 600 MB at 200,000 articles spread over two years.)
    """
    cfg = config
    n = len(vectors)
    window = cfg.window_days
    codes = array("q")  # each pair as j * n + i
    # Each article's best terms (a vector's keys are in weight order, ties by term: term_weights).
    matrix, full = minhash_matrix(vectors.heads(cfg.lsh_terms), cfg.num_perm, cfg.seed)
    rows = cfg.num_perm // cfg.bands
    keys = matrix[full, : cfg.bands * rows]
    del matrix
    groups = FixedBuckets(keys.reshape(len(full), cfg.bands, rows) if rows > 1 else keys)
    del keys
    for row, i in enumerate(full.tolist()):
        if not groups.any[row]:  # no band key it shares with any article: no candidates, no bucket
            continue
        mine = groups.row(row)
        shared: dict[int, int] = {}  # earlier article -> bands it shares with this one
        for g in mine:
            for j in groups.members(g):
                shared[j] = shared.get(j, 0) + 1
        found = shared.keys()
        if len(shared) > CANDIDATES_PER_ARTICLE:  # the most similar best-term sets, earliest on ties
            found = heapq.nsmallest(CANDIDATES_PER_ARTICLE, shared, key=lambda j: (-shared[j], j))
        day = days[i] if window else None
        if day is None:
            codes.extend(j * n + i for j in found)
        else:  # the cap first, then the window: the pairs a later filter would have kept
            codes.extend(j * n + i for j in found if days[j] is None or abs(days[j] - day) <= window)
        if len(shared) < cfg.max_candidates:  # bounded buckets: see StoryConfig.max_candidates
            groups.join(mine, i)
    del groups
    # Each pair once (an article's earlier partners are distinct), sorted where it was gathered.
    flat = np.frombuffer(codes, dtype=np.int64) if codes else np.zeros(0, dtype=np.int64)
    if dense is not None and n > 1:
        from .semantic import nearest_neighbours  # the optional encoder's module: only in its mode

        lo, hi, _ = nearest_neighbours(dense, cfg.semantic_neighbours)
        if window:
            day = np.array([np.nan if d is None else d for d in days], dtype=np.float64)
            near = ~(np.abs(day[lo] - day[hi]) > window)  # undated: never apart
            lo, hi = lo[near], hi[near]
        flat = np.unique(np.concatenate((flat, lo.astype(np.int64) * n + hi)))  # a neighbour may be a band pair too
    else:
        flat.sort()
    pairs = np.empty((len(flat), 2), dtype=np.int32 if n < 1 << 31 else np.int64)
    np.floor_divide(flat, max(n, 1), out=pairs[:, 0])
    np.remainder(flat, max(n, 1), out=pairs[:, 1])
    return pairs
