"""Sparse unit term vectors, packed, and the products of pairs of them in numpy.

:func:`pair_products` is the cheap first pass of :func:`cleaner.clustering.average_linkage`: equal to
:func:`cleaner.terms.cosine` up to rounding, for many pairs at once, a bounded chunk at a time.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

class PackedVectors:
    """The unit term vectors of all articles, packed: term ids and float64 weights in two flat
    arrays, rows in input order (about 12 bytes a term, against some 60 in a dict of floats).
    ``vectors[i]`` is article ``i``'s vector as a dict, terms in weight order."""

    def __init__(self, terms: list[str], *, room: int = 0):
        """``room``: terms to allocate for at once (an upper bound of what will be appended), so
        that the arrays are never copied to a larger place as they grow; the rest is given back
        when the vectors are first read as a matrix (:meth:`trim`)."""
        self.terms = terms  # id -> term (shared with the index's vocabulary)
        self.starts = array("q", [0])
        self.ids = array("I", bytes(4 * room))
        self.weights = array("d", bytes(8 * room))
        self._fill = 0  # terms appended (the arrays may hold room for more)

    def append(self, vector: dict[str, float], ids: dict[str, int]) -> None:
        at, k = self._fill, len(vector)
        if at + k > len(self.ids):
            self.trim()
            self.ids.extend(ids[t] for t in vector)
            self.weights.extend(vector.values())
        else:  # into the room made: same length, copied in place
            self.ids[at : at + k] = array("I", [ids[t] for t in vector])
            self.weights[at : at + k] = array("d", vector.values())
        self._fill = at + k
        self.starts.append(self._fill)

    def trim(self) -> None:
        """Give back the room not used (if any: an array a matrix views cannot be resized at all)."""
        if len(self.ids) > self._fill:
            del self.ids[self._fill :]
            del self.weights[self._fill :]

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, i: int) -> dict[str, float]:
        lo, hi = self.starts[i], self.starts[i + 1]
        terms = self.terms
        return {terms[t]: w for t, w in zip(self.ids[lo:hi], self.weights[lo:hi])}

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def heads(self, k: int) -> list[list[str]]:
        """Each vector's first ``k`` terms (its best ones)."""
        terms, ids, starts = self.terms, self.ids, self.starts
        return [[terms[t] for t in ids[starts[i] : min(starts[i] + k, starts[i + 1])]] for i in range(len(self))]

    def csr(self):
        """The vectors as a scipy CSR matrix, one row each, a column per term id."""
        import numpy as np
        from scipy.sparse import csr_matrix

        self.trim()
        # The term ids as int32 in place (a vocabulary stays far below 2^31 terms): scipy keeps
        # int32 indices without a copy, where int64 ones cost two (cast, then cut back to int32).
        ids = np.frombuffer(self.ids, dtype=np.int32) if len(self.terms) < 1 << 31 else np.frombuffer(self.ids, dtype=np.uint32).astype(np.int64)
        return csr_matrix((np.frombuffer(self.weights, dtype=np.float64), ids, np.frombuffer(self.starts, dtype=np.int64)), shape=(len(self), max(1, len(self.terms))))


def pair_dots(dense, index):
    """The dot product of each pair's two dense rows, a chunk of pairs at a time (a row copy per
    pair and side would otherwise cost 4 KB a pair at once)."""
    import numpy as np

    out = np.empty(len(index))
    for start in range(0, len(index), CHUNK):
        part = index[start : start + CHUNK]
        out[start : start + len(part)] = np.einsum("ij,ij->i", dense[part[:, 0]], dense[part[:, 1]])
    return out


#: Rounding error allowed between :func:`pair_products` and :func:`cleaner.terms.cosine` (both sum at
#: most ``top_terms`` products of unit-vector weights; the error is ~1e-16).
SLACK = 1e-9


def term_matrix(vectors: Sequence[dict[str, float]]):
    """The vectors as a scipy CSR matrix, a row each (a column per term)."""
    import numpy as np
    from scipy.sparse import csr_matrix

    if isinstance(vectors, PackedVectors):  # they carry their matrix
        return vectors.csr()
    columns: dict[str, int] = {}
    setdefault = columns.setdefault
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for vec in vectors:
        indices.extend([setdefault(t, len(columns)) for t in vec])
        data.extend(vec.values())
        indptr.append(len(indices))
    return csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr)), shape=(len(vectors), max(1, len(columns))))


def pair_products(matrix, pairs):
    """The cosine of each pair's two rows of ``matrix`` (:func:`term_matrix`: unit vectors), float64.

    Equal to :func:`cleaner.terms.cosine` up to rounding (the products are summed in another order).

    >>> pair_products(term_matrix([{"a": 0.6, "b": 0.8}, {"b": 1.0}, {}]), [(0, 1), (1, 2)]).round(6).tolist()
    [0.8, 0.0]
    """
    import numpy as np

    index = np.asarray(pairs, dtype=np.int64)
    out = np.empty(len(index))
    for start in range(0, len(index), CHUNK):  # in chunks: the row copies cost ~400 bytes a pair
        part = index[start : start + CHUNK]
        out[start : start + len(part)] = np.asarray(matrix[part[:, 0]].multiply(matrix[part[:, 1]]).sum(axis=1)).ravel()
    return out


#: Pairs :func:`pair_products` scores at once (memory: about 400 bytes a pair while it does).
CHUNK = 8192
