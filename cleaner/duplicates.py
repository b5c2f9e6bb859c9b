"""The duplicate level: near-identical copies of one canonical article.

Signatures go into a :class:`DuplicateIndex`; :meth:`DuplicateIndex.assign` then visits the
articles in canonical order (earliest ``date`` first when known, then input order), queries
an LSH index of the canonical articles seen so far, verifies every candidate with the full
signature, and either attaches the article to its best-scoring canonical or makes it a new
canonical. Only canonicals enter the LSH index, so groups cannot grow by chains of copies of
copies, and the result does not depend on how many processes computed the signatures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .config import DuplicateConfig
from .fingerprints import Fingerprinter, jaccard

if TYPE_CHECKING:
    from datasketch import MinHashLSH


@dataclass(frozen=True)
class Match:
    """``canonical`` is the id this article duplicates (None for a canonical one), ``score`` the Jaccard estimate."""

    canonical: str | None
    score: float | None = None


def canonical_key(order: int, date: str | None) -> tuple:
    """Sort key for choosing canonicals: dated articles by date, then input order."""
    return (0, date, order) if date else (1, "", order)


class DuplicateIndex:
    """Collects signatures (``add``), then groups them (``assign``)."""

    def __init__(self, config: DuplicateConfig = DuplicateConfig()):
        self.config = config
        self.fingerprinter = Fingerprinter(config)
        self._entries: list[tuple[tuple, str, np.ndarray | None]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, doc_id: str, signature: np.ndarray | None, *, date: str | None = None) -> None:
        """Add an article's signature (None for an article without words: never a duplicate)."""
        self._entries.append((canonical_key(len(self._entries), date), doc_id, signature))

    def new_lsh(self) -> "MinHashLSH":
        from datasketch import MinHashLSH

        threshold = max(0.3, self.config.threshold - 0.2)
        return MinHashLSH(threshold=threshold, num_perm=self.config.num_perm)

    def assign(self) -> dict[str, Match]:
        """Every added id -> its :class:`Match`."""
        lsh = self.new_lsh()
        canon: dict[str, np.ndarray] = {}
        rank: dict[str, tuple] = {}
        result: dict[str, Match] = {}
        for key, doc_id, signature in sorted(self._entries, key=lambda e: e[0]):
            if signature is None:
                result[doc_id] = Match(None)
                continue
            best = self.best_match(lsh, canon, rank, signature)
            if best is not None:
                result[doc_id] = best
                continue
            result[doc_id] = Match(None)
            if doc_id not in canon:
                lsh.insert(doc_id, self.fingerprinter.from_signature(signature))
                canon[doc_id], rank[doc_id] = signature, key
        return result

    def best_match(self, lsh: "MinHashLSH", canon: dict[str, np.ndarray], rank: dict[str, tuple], signature: np.ndarray) -> Match | None:
        """The verified canonical with the highest Jaccard estimate (earliest on ties), or None."""
        best: tuple[float, tuple, str] | None = None
        for candidate in lsh.query(self.fingerprinter.from_signature(signature)):
            score = jaccard(signature, canon[candidate])
            if score >= self.config.threshold and (best is None or (-score, rank[candidate]) < (-best[0], best[1])):
                best = (score, rank[candidate], candidate)
        return None if best is None else Match(best[2], round(best[0], 4))
