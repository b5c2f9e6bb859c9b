"""The duplicate level: copies of one canonical article, as syndication and republishing make them.

Two articles are **duplicates** when one is the other up to edits of up to about a fifth of its
tokens, different site furniture and encoding damage; a truncated copy (the first part of an
article, ending in "..." or "Read more") is a duplicate of the full article. Different articles
about one event, and rewrites that reuse a story's paragraphs in another order with other
sentences, are not duplicates: the story level groups them. docs/duplicates.md has the
measurements behind each choice.

Fingerprints (:mod:`cleaner.fingerprints`) go into a :class:`DuplicateIndex`;
:meth:`DuplicateIndex.assign` then visits the articles in canonical order (earliest ``date``
first when known, then input order). Each article

1. finds **candidates** among the canonical articles seen so far: MinHash LSH (:class:`cleaner.lsh.FixedBuckets`,
   banded as datasketch's MinHashLSH optimises it) over the word-bigram signatures, tuned for a Jaccard of ``candidate_threshold`` (0.25; a copy with a fifth of its
   words edited keeps about 0.45), and over the lead signatures (its first ``lead`` tokens, which a
   truncated copy shares); a candidate whose estimated Jaccard is below both thresholds is dropped;
2. **verifies** candidates the way an editor compares two texts, from the most similar signature
   (at most ``max_verified`` of them): :func:`~cleaner.fingerprints.alignment` gives the share of
   tokens that line up in order; the two are duplicates when it is at least ``threshold`` over the
   whole of the longer text, or (a truncated copy, at least ``lead`` tokens long) at least
   ``truncated_threshold`` over the first part of the longer;
3. joins the first candidate that verifies, or becomes a canonical itself.

Only canonicals enter the LSH indexes, so a copy of a copy points at the same canonical and
groups cannot grow by chains; the result does not depend on how many processes computed the
fingerprints. Memory per article is its fingerprint, kept as bytes (at most 2.7 KB at the defaults) and
decoded only while it is compared, plus 4 bytes per band (50 at the defaults) and, per canonical,
4 bytes per band whose key another article shares.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable

from .config import DuplicateConfig
from .fingerprints import Fingerprint, Fingerprinter, alignment, jaccard
from .lsh import FixedBuckets


@dataclass(frozen=True)
class Match:
    """``canonical`` is the id this article duplicates (None for a canonical one), ``score`` its alignment."""

    canonical: str | None
    score: float | None = None


#: Canonicals whose fingerprints stay decoded while :meth:`DuplicateIndex.assign` visits (the ones
#: compared last; a group of copies compares with the same few canonicals again and again).
DECODED = 1024
#: The match of every canonical article (one shared object: a result holds one per article).
CANONICAL = Match(None)


def canonical_key(order: int, date: str | None) -> tuple:
    """Sort key for choosing canonicals: dated articles by date, then input order."""
    return (0, date, order) if date else (1, "", order)


#: datasketch's optimum for the default settings (threshold, permutations) -> (bands, rows), so that
#: a ``cleaner check`` need not import datasketch and scipy (0.45 s) to learn it; a test compares.
KNOWN_PARAMS = {(0.25, 128): (42, 3), (0.5, 32): (8, 4)}


@functools.cache
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """datasketch's optimal (bands, rows) for a Jaccard ``threshold``, as ``MinHashLSH`` chooses them:
    a numerical integration, done once per process and setting (the defaults are known)."""
    if (threshold, num_perm) in KNOWN_PARAMS:
        return KNOWN_PARAMS[threshold, num_perm]
    from datasketch import MinHashLSH

    tuned = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return tuned.b, tuned.r


class DuplicateIndex:
    """Collects fingerprints (``add``), then groups them (``assign``)."""

    def __init__(self, config: DuplicateConfig = DuplicateConfig()):
        self.config = config
        self.fingerprinter = Fingerprinter(config)
        # fingerprints kept as their compact bytes (Fingerprint.to_bytes) until assign: three numpy
        # arrays and a dataclass cost some 500 bytes more per article than the values they hold
        self._entries: list[tuple[tuple, str, bytes | None]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, doc_id: str, fingerprint: Fingerprint | None, *, date: str | None = None) -> None:
        """Add an article's fingerprint (None for an article without words: never a duplicate)."""
        packed = None if fingerprint is None else fingerprint.to_bytes()
        self._entries.append((canonical_key(len(self._entries), date), doc_id, packed))

    def banding(self, lead: bool = False) -> tuple[int, int]:
        """(bands, rows) of the LSH for signatures, tuned by datasketch for a Jaccard of
        ``candidate_threshold`` (``lead=True``: for lead signatures and ``lead_threshold``)."""
        config = self.config
        return lsh_params(config.lead_threshold, config.lead_size) if lead else lsh_params(config.candidate_threshold, config.num_perm)

    def assign(self, *, copies_only: bool = False) -> dict[str, Match]:
        """Every added id -> its :class:`Match` (``copies_only``: only the ids that copy another; a
        run keeps that much per article, not an entry for every canonical)."""
        import numpy as np

        (bands, rows), (lead_bands, lead_rows) = self.banding(), self.banding(lead=True)
        order = sorted(range(len(self._entries)), key=lambda k: self._entries[k][0])
        result: dict[str, Match] = {}
        visited = []  # entries with words, in canonical order; an article's number is its row here
        for k in order:
            if self._entries[k][2] is None:
                if not copies_only:
                    result[self._entries[k][1]] = CANONICAL
            else:
                visited.append(k)
        # every article's band keys first (the buckets are laid out once: see cleaner.lsh), then
        # the visit, decoding a fingerprint from its bytes only when it is compared
        whole_keys = np.empty((len(visited), bands, rows), dtype=np.uint32)
        lead_keys = np.empty((len(visited), lead_bands, lead_rows), dtype=np.uint32)
        for row, k in enumerate(visited):
            fp = Fingerprint.from_bytes(self._entries[k][2])
            whole_keys[row] = fp.signature[: bands * rows].reshape(bands, rows)
            lead_keys[row] = fp.lead[: lead_bands * lead_rows].reshape(lead_bands, lead_rows)
        whole = FixedBuckets(whole_keys if rows > 1 else whole_keys[:, :, 0])
        leads = FixedBuckets(lead_keys if lead_rows > 1 else lead_keys[:, :, 0])
        del whole_keys, lead_keys
        entries = self._entries
        seen: set[str] = set()

        decoded: dict[int, tuple[str, Fingerprint, tuple]] = {}  # the canonicals compared lately

        def canonical(row: int) -> tuple[str, Fingerprint, tuple]:
            found = decoded.get(row)
            if found is None:
                key, doc_id, packed = entries[visited[row]]
                if len(decoded) >= DECODED:
                    del decoded[next(iter(decoded))]
                found = decoded[row] = (doc_id, Fingerprint.from_bytes(packed), key)
            return found

        for row, k in enumerate(visited):
            key, doc_id, packed = entries[k]
            mine, mine_lead = whole.row(row), leads.row(row)
            candidates: set[int] = set()
            for g in mine:
                candidates.update(whole.members(g))
            for g in mine_lead:
                candidates.update(leads.members(g))
            best = self.best(Fingerprint.from_bytes(packed), (canonical(r) for r in candidates)) if candidates else None
            if best is not None or not copies_only:
                result[doc_id] = best or CANONICAL
            if best is None and doc_id not in seen and len(candidates) < self.config.max_candidates:
                # a canonical that already meets max_candidates others stays out of the buckets: no
                # bucket grows past that size, so no query costs more than bands * max_candidates
                whole.join(mine, row)
                leads.join(mine_lead, row)
                seen.add(doc_id)
        return result

    def best(self, fp: Fingerprint, candidates: Iterable[tuple[str, Fingerprint, tuple]]) -> Match | None:
        """The first candidate ``(id, fingerprint, canonical key)`` that verifies, trying at most
        ``max_verified`` of them from the highest estimated Jaccard (signature, then lead; the
        earliest on ties), or None. Candidates below both thresholds are not tried. The corpus
        index verifies its candidates with this too."""
        config = self.config
        ranked = []
        for candidate, other, rank in candidates:
            similar, lead = jaccard(fp.signature, other.signature), jaccard(fp.lead, other.lead)
            if similar >= config.candidate_threshold or lead >= config.lead_threshold:
                ranked.append((-similar, -lead, rank, candidate, other))
        for *_, candidate, other in sorted(ranked, key=lambda r: r[:3])[: config.max_verified]:
            score = self.verify(fp, other)
            if score is not None:
                return Match(candidate, round(score, 4))
        return None

    def verify(self, a: Fingerprint, b: Fingerprint) -> float | None:
        """The alignment score when ``a`` and ``b`` are duplicates, else None: the whole texts align
        at ``threshold`` (the score is then that alignment), or the shorter, a truncated copy of at
        least ``lead`` tokens, aligns with the first part of the longer at ``truncated_threshold``."""
        config = self.config
        found = alignment(a, b)
        if found.whole >= config.threshold:
            return found.whole
        if found.shorter >= config.lead and found.first_part >= config.truncated_threshold:
            return found.first_part
        return None
