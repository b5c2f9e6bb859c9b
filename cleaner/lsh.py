"""LSH for the duplicate and story levels: buckets over band keys known in advance
(:class:`FixedBuckets`), an exact compact set of 64-bit keys (:class:`KeySet`), and the MinHash
values of many term lists at once (:func:`minhash_matrix`).

Both levels visit their articles in a fixed order; an article looks up the earlier articles that
share one of its band keys, then may join those buckets itself. Since every article's keys are
computed before the visit, the buckets are laid out once: only keys two or more articles have get
slots (a corpus of distinct articles needs almost none), so memory is a few bytes per band and
article, however the keys fall.
"""

from __future__ import annotations

import hashlib
from array import array

import numpy as np

from .fingerprints import permutations, premix


class FixedBuckets:
    """LSH buckets whose possible members are known in advance (every article's band keys are):
    each band key that two or more articles have is a group with a fixed number of slots, filled
    in the order articles :meth:`join`; a key only one article has takes no memory, and no time.
    Articles are numbered by their row in ``keys``. Per article this holds 4 bytes a band (its
    group numbers) and 4 bytes a slot, against a dict entry, a key object and a list per band
    and article in a dict of buckets (85-160 bytes a band, measured with tracemalloc).

    >>> import numpy as np
    >>> b = FixedBuckets(np.array([[1, 7], [2, 7], [1, 8]], dtype=np.uint32))
    >>> b.row(0), b.row(1), b.row(2)
    ([0, 1], [1], [0])
    >>> b.join(b.row(0), 0); b.join(b.row(1), 1)
    >>> [list(b.members(g)) for g in b.row(2)]
    [[0]]
    """

    def __init__(self, keys):
        """``keys``: one row per article, one column per band (uint32; a band of several rows is
        several columns per band: ``(articles, bands, rows)``)."""
        n, bands = keys.shape[0], keys.shape[1]
        self.group = np.full((n, bands), -1, dtype=np.int32)
        sizes = []
        total = 0
        for band in range(bands):
            column = keys[:, band]
            _, inverse, counts = np.unique(column, return_inverse=True, return_counts=True, axis=0 if column.ndim > 1 else None)
            inverse = inverse.reshape(-1)
            shared = counts >= 2
            numbers = np.full(len(counts), -1, dtype=np.int64)
            numbers[shared] = total + np.arange(int(shared.sum()))
            self.group[:, band] = numbers[inverse]
            sizes.append(counts[shared])
            total += int(shared.sum())
        sizes = np.concatenate(sizes) if sizes else np.zeros(0, dtype=np.int64)
        self.offsets = array("q", np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64).tobytes()) if total else array("q")
        self.filled = array("i", bytes(4 * total))
        self.slots = array("i", bytes(4 * int(sizes.sum())))
        self.any = self.group.max(axis=1) >= 0 if n else np.zeros(0, dtype=bool)

    def row(self, i: int) -> list[int]:
        """Article ``i``'s groups (bands whose key it shares with no one are left out)."""
        return [g for g in self.group[i].tolist() if g >= 0]

    def members(self, g: int):
        """The articles that joined group ``g``, in the order they joined."""
        off = self.offsets[g]
        return self.slots[off : off + self.filled[g]]

    def join(self, groups: list[int], i: int) -> None:
        slots, filled, offsets = self.slots, self.filled, self.offsets
        for g in groups:
            slots[offsets[g] + filled[g]] = i
            filled[g] += 1


class KeySet:
    """An exact set of 64-bit keys that stays small: the newest keys in a Python set (some 70 bytes
    a key), the older ones merged into one sorted numpy array (8 bytes a key) whenever the set
    reaches ``recent`` keys. Iterates in no particular order; compares equal to a set with the
    same keys.

    >>> s = KeySet(recent=2); s.update([5, 1, 9]); 9 in s, 1 in s, 4 in s, len(s), sorted(s)
    (True, True, False, 3, [1, 5, 9])
    """

    def __init__(self, keys=(), *, recent: int = 1 << 16):
        self._limit = recent
        self._recent: set[int] = set()
        self._old = np.zeros(0, dtype=np.uint64)
        self.update(keys)

    def __contains__(self, key: int) -> bool:
        if key in self._recent:
            return True
        old = self._old
        if not len(old):
            return False
        # as uint64: a Python int below 2^63 would be taken as int64, and the search then converts
        # the whole array to float64 at every lookup (1.9 ms at 3M keys, against 2 us) and, rounded,
        # misses keys that are there
        at = int(old.searchsorted(np.uint64(key)))
        return at < len(old) and int(old[at]) == key

    def add(self, key: int) -> None:
        if key in self:
            return
        self._recent.add(key)
        if len(self._recent) >= self._limit:
            fresh = np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent))
            self._old = np.sort(np.concatenate((self._old, fresh)), kind="stable")
            self._recent = set()

    def update(self, keys) -> None:
        for key in keys:
            self.add(int(key))

    def __len__(self) -> int:
        return len(self._recent) + len(self._old)

    def __iter__(self):
        yield from self._old.tolist()
        yield from self._recent

    def __eq__(self, other) -> bool:
        if isinstance(other, (KeySet, set, frozenset)):
            return len(self) == len(other) and all(k in other for k in self)
        return NotImplemented


def minhashes(term_lists: list[list[str]], num_perm: int, seed: int) -> list[list[int] | None]:
    """Each term list's MinHash values (None for an empty list): :func:`minhash_matrix` as lists."""
    matrix, full = minhash_matrix(term_lists, num_perm, seed)
    out: list[list[int] | None] = [None] * len(term_lists)
    for i in full.tolist():
        out[i] = matrix[i].tolist()
    return out


def minhash_matrix(term_lists, num_perm: int, seed: int):
    """All term lists' MinHash values at once with numpy: a ``(lists, num_perm)`` uint32 matrix
    and the indices of the lists that have terms (the other rows are zero).

    Bit for bit what ``datasketch.MinHash(num_perm, seed).update_batch(terms encoded as UTF-8)``
    gives (datasketch 2's default ``affine32`` scheme: SHA-1's first 4 bytes, the MurmurHash3
    finalizer, then ``a * h + b`` modulo 2^32), without a Python object per article or term; each
    distinct term is hashed once.
    """
    a, b = permutations(num_perm, seed)
    codes: dict[str, int] = {}
    flat = array("I")
    starts = array("q")
    for terms in term_lists:
        starts.append(len(flat))
        for t in terms:
            h = codes.get(t)
            if h is None:
                h = codes[t] = int.from_bytes(hashlib.sha1(t.encode("utf-8")).digest()[:4], "little")
            flat.append(h)
    starts.append(len(flat))  # bounds[i], bounds[i + 1]: where list i's hashes start and end
    bounds = np.frombuffer(starts, dtype=np.int64)
    matrix = np.zeros((len(term_lists), num_perm), dtype=np.uint32)
    full = np.flatnonzero(np.diff(bounds))
    if not len(flat):
        return matrix, full
    hv = premix(np.frombuffer(flat, dtype=np.uint32))
    budget = max(1, (1 << 20) // num_perm)  # hashes permuted at once: ~4 MB of uint32 at a time
    ends = bounds[full + 1]  # where each list with terms ends: non-decreasing
    lo = 0
    while lo < len(full):
        first = int(bounds[full[lo]])
        hi = max(lo + 1, int(np.searchsorted(ends, first + budget, side="right")))  # whole lists, within the budget
        rows = full[lo:hi]
        last = int(ends[hi - 1])
        with np.errstate(over="ignore"):
            phv = hv[first:last, None] * a + b  # uint32: the wraparound is the modulo
        matrix[rows] = np.minimum.reduceat(phv, bounds[rows] - first, axis=0)
        lo = hi
    return matrix, full
