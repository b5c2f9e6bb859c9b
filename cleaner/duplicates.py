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

1. finds **candidates** among the canonical articles seen so far: MinHash LSH (:class:`Buckets`,
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
fingerprints. Memory per article is its fingerprint (at most 2.7 KB of arrays at the defaults),
plus, per canonical, one bucket entry per band (50 at the defaults, about 4 KB in all).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable

from .config import DuplicateConfig
from .fingerprints import Fingerprint, Fingerprinter, alignment, jaccard


@dataclass(frozen=True)
class Match:
    """``canonical`` is the id this article duplicates (None for a canonical one), ``score`` its alignment."""

    canonical: str | None
    score: float | None = None


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


class Buckets:
    """LSH buckets over MinHash values cut into ``bands`` slices of ``rows`` values: two value arrays
    share a bucket when one of their slices is equal, exactly as in datasketch's ``MinHashLSH`` with
    the same ``(bands, rows)``. Kept compactly: one dict for all bands, whose key is the slice's bits
    (exact, no hash collision) with the band number, and whose value is the slot of the one article
    in that bucket or a list of slots. Measured (tracemalloc, 5,000 canonicals, 42 bands of 3 rows):
    about 85 bytes per band and article with the key, against 300 in ``MinHashLSH``'s storage
    (a bytes key, a set of ids and a reverse list per band)."""

    def __init__(self, bands: int, rows: int):
        self.bands, self.rows = bands, rows
        self._shift = max(1, (bands - 1).bit_length())  # bits of the band number below the slice's
        self._table: dict[int, int | list[int]] = {}

    def keys(self, values) -> list[int]:
        """The bucket key of each band of ``values`` (uint32 MinHash values)."""
        raw, width = values[: self.bands * self.rows].astype("<u4").tobytes(), 4 * self.rows
        shift = self._shift
        return [int.from_bytes(raw[band * width : (band + 1) * width], "little") << shift | band for band in range(self.bands)]

    def query(self, keys: list[int]) -> set[int]:
        """The slots of everything sharing a bucket with these keys."""
        found: set[int] = set()
        table = self._table
        for key in keys:
            hit = table.get(key)
            if hit is None:
                continue
            if type(hit) is list:
                found.update(hit)
            else:
                found.add(hit)
        return found

    def insert(self, keys: list[int], slot: int) -> None:
        table = self._table
        for key in keys:
            hit = table.get(key)
            if hit is None:
                table[key] = slot
            elif type(hit) is list:
                hit.append(slot)
            else:
                table[key] = [hit, slot]


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

    def assign(self) -> dict[str, Match]:
        """Every added id -> its :class:`Match`."""
        whole, leads = Buckets(*self.banding()), Buckets(*self.banding(lead=True))
        canon: list[tuple[str, Fingerprint, tuple]] = []  # the canonicals in the buckets, by slot
        seen: set[str] = set()
        result: dict[str, Match] = {}
        for key, doc_id, packed in sorted(self._entries, key=lambda e: e[0]):
            if packed is None:
                result[doc_id] = Match(None)
                continue
            fp = Fingerprint.from_bytes(packed)
            keys, lead_keys = whole.keys(fp.signature), leads.keys(fp.lead)
            candidates = whole.query(keys) | leads.query(lead_keys)
            best = self.best(fp, (canon[slot] for slot in candidates))
            result[doc_id] = best or Match(None)
            if best is None and doc_id not in seen and len(candidates) < self.config.max_candidates:
                # a canonical that already meets max_candidates others stays out of the buckets: no
                # bucket grows past that size, so no query costs more than bands * max_candidates
                whole.insert(keys, len(canon))
                leads.insert(lead_keys, len(canon))
                canon.append((doc_id, fp, key))
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
