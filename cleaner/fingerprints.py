"""Word shingles and MinHash signatures for the duplicate level.

>>> shingles("The US struck, the US said.", 2)
['the us', 'us struck', 'struck the', 'the us', 'us said']
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from .config import DuplicateConfig

if TYPE_CHECKING:  # datasketch is imported where it is used: it loads scipy, 0.3 s of start-up
    from datasketch import MinHash

#: datasketch's permutation scheme; signatures of different schemes never compare.
SCHEME = "affine32"
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_]+")


def words(text: str) -> list[str]:
    """Casefolded word tokens; each CJK character is a token of its own."""
    return _TOKEN.findall(text.casefold())


def shingles(text: str, size: int) -> list[str]:
    """Word ``size``-grams of ``text`` (one shingle of all words when the text is shorter)."""
    tokens = words(text)
    if len(tokens) <= size:
        return [" ".join(tokens)] if tokens else []
    return [" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)]


class Fingerprinter:
    """Computes MinHash signatures with one fixed set of permutations (made once)."""

    def __init__(self, config: DuplicateConfig = DuplicateConfig()):
        from datasketch import MinHash

        self.config = config
        self._minhash = MinHash
        self._template = MinHash(num_perm=config.num_perm, seed=config.seed, scheme=SCHEME)

    def minhash(self, text: str) -> "MinHash | None":
        """The MinHash of the text's shingle set, or None when it has no words."""
        grams = shingles(text, self.config.shingle)
        if not grams:
            return None
        m = self._minhash(num_perm=self.config.num_perm, seed=self.config.seed, permutations=self._template.permutations, scheme=SCHEME)
        m.update_batch([g.encode("utf-8") for g in set(grams)])
        return m

    def signature(self, text: str) -> np.ndarray | None:
        """The signature as an array of ``num_perm`` unsigned 32-bit values (None without words)."""
        m = self.minhash(text)
        return None if m is None else m.hashvalues.astype(np.uint32)

    def from_signature(self, signature: np.ndarray) -> "MinHash":
        return self._minhash(
            num_perm=self.config.num_perm,
            seed=self.config.seed,
            hashvalues=signature,
            permutations=self._template.permutations,
            scheme=SCHEME,
        )


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)
