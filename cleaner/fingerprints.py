"""What the duplicate level keeps of an article: a :class:`Fingerprint`, and how two are compared.

Two articles are **duplicates** when one is the other up to edits of up to about a fifth of its
tokens (typos and OCR slips, dropped, added or changed words and sentences, a new headline), different
site furniture and encoding damage; a truncated copy (the first part of an article, ending in "..." or
"Read more") is a duplicate of the full article. Different articles about one event, and rewrites
that reuse a story's paragraphs in another order with other sentences, are not duplicates (the story
level groups them). The measure of "one is the other up to edits" is :func:`alignment`: the share of
tokens that line up, in order, between the shorter text and the longer one, or the first part of it.

A fingerprint holds, per article (``docs/duplicates.md`` gives the bytes):

* ``signature``: MinHash (datasketch, ``num_perm`` values) of the set of word ``shingle``-grams of
  the whole text: LSH finds candidates whose shingle sets overlap enough. Word bigrams, not the
  classic 5-grams: one edited word breaks two bigrams but five 5-grams, so a copy with 15-20 % of
  its words edited here and there keeps a bigram Jaccard of 0.44 or more (median 0.55) where its
  5-gram Jaccard falls as low as 0.11 (median 0.25);
* ``lead``: MinHash (the first ``lead_perm`` permutations) of the shingles of the first ``lead``
  tokens, which a truncated copy shares with the full article although their whole-text sets differ;
* ``tokens``: 32-bit hashes of the text's tokens in order, for :func:`alignment`; a text of more
  than ``verify_tokens`` tokens keeps a content-defined sample of them (the tokens whose hash starts
  with ``step`` zero bits), so memory and comparison time are bounded and both texts of a pair are
  sampled alike.

>>> words("The US struck, the US said.")
['the', 'us', 'struck', 'the', 'us', 'said']
>>> fp = Fingerprinter()
>>> a = fp.signature("The US struck two militia sites in Syria and Iraq early on Monday, officials said.")
>>> b = fp.signature("The U.S. struck two militia sites in Syria and Iraq early Monday, officials said.")
>>> round(alignment(a, b).whole, 2)
0.87
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from .config import DuplicateConfig


#: datasketch's permutation scheme; signatures of different schemes never compare.
SCHEME = "affine32"
#: How shingles and token hashes are made (part of what an index of fingerprints depends on).
HASHING = "crc32-bigram-1"
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_TOKEN = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")  # a CJK character, or a run of other letters and digits
_MIX = np.uint64(0x9E3779B1)  # odd multiplier of the polynomial that folds token hashes into an n-gram hash
_LOW32 = np.uint64(0xFFFFFFFF)
_HEADER = struct.Struct("<4sIIBII")  # magic, signature values, lead values, step, tokens kept, tokens in the text
_MAGIC = b"CFP1"


def words(text: str) -> list[str]:
    """Casefolded word tokens; each CJK character is a token of its own (also right after a Latin word).

    >>> words("iPhone手机")
    ['iphone', '手', '机']
    """
    return _TOKEN.findall(text.casefold())


def token_hashes(tokens: list[str]) -> np.ndarray:
    """A 32-bit hash (CRC-32 of the UTF-8) of each token, as uint64 for the arithmetic below."""
    table = {t: zlib.crc32(t.encode("utf-8")) for t in set(tokens)}  # a word recurs: hash it once
    return np.fromiter(map(table.__getitem__, tokens), dtype=np.uint64, count=len(tokens))


def shingle_hashes(hashes: np.ndarray, size: int) -> np.ndarray:
    """The distinct 32-bit hashes of the ``size``-grams of a token-hash sequence (of all of it when shorter)."""
    n = len(hashes) - size + 1
    if n <= 0:
        n, size = 1, len(hashes)
    out = hashes[:n].copy()
    for j in range(1, size):
        out = (out * _MIX + hashes[j : j + n]) & _LOW32
    return np.unique(out)


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's ``affine32`` permutations for a seed (``a`` odd, ``b``; uint32), drawn as
    ``MinHash`` draws them, without importing datasketch and scipy (0.45 s of a check's start-up).
    The duplicate and story levels compute MinHash values with them; tests compare with datasketch."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    return a, gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)


def premix(hashes: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer over an array of 32-bit hashes (a new uint32 array): the
    pre-mix datasketch's ``affine32`` scheme applies once before its permutations."""
    h = hashes.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """What grouping keeps of one article: ``signature`` and ``lead`` (uint32 MinHash values), the
    token sample ``tokens`` (uint32 hashes in text order: every token when ``step`` is 0, else only
    those whose hash starts with ``step`` zero bits) and ``length``, the number of tokens."""

    signature: np.ndarray
    lead: np.ndarray
    tokens: np.ndarray
    step: int
    length: int

    def sample(self, step: int) -> np.ndarray:
        """The tokens at sampling ``step`` (>= this fingerprint's): a subsequence of ``tokens``."""
        if step <= self.step:
            return self.tokens
        return self.tokens[(self.tokens >> np.uint32(32 - step)) == 0]

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays (what memory and an index hold per article, besides small fields)."""
        return self.signature.nbytes + self.lead.nbytes + self.tokens.nbytes

    def to_bytes(self) -> bytes:
        """A compact serialisation (for the corpus index); :meth:`from_bytes` reads it back."""
        head = _HEADER.pack(_MAGIC, len(self.signature), len(self.lead), self.step, len(self.tokens), self.length)
        return head + b"".join(np.ascontiguousarray(a, dtype="<u4").tobytes() for a in (self.signature, self.lead, self.tokens))

    @classmethod
    def from_bytes(cls, data: bytes) -> "Fingerprint":
        """The fingerprint :meth:`to_bytes` wrote; ValueError for anything else."""
        if len(data) < _HEADER.size or data[:4] != _MAGIC:
            raise ValueError("not a cleaner fingerprint")
        _, perm, lead, step, count, length = _HEADER.unpack_from(data)
        if len(data) != _HEADER.size + 4 * (perm + lead + count):
            raise ValueError("truncated cleaner fingerprint")
        values = np.frombuffer(data, dtype="<u4", offset=_HEADER.size).astype(np.uint32)
        return cls(values[:perm], values[perm : perm + lead], values[perm + lead :], step, length)


class Fingerprinter:
    """Computes fingerprints with one fixed set of MinHash permutations (made once).

    The lead signature uses the first ``lead_perm`` of the ``num_perm`` permutations, so both come
    out of one pass: the lead's shingles first, then the rest of the text's.
    """

    def __init__(self, config: DuplicateConfig = DuplicateConfig()):
        self.config = config
        self._a, self._b = permutations(config.num_perm, config.seed)

    def minhash(self, shingles: np.ndarray) -> np.ndarray:
        """MinHash values (uint32, ``num_perm``) of a set of 32-bit shingle hashes, as datasketch's
        ``affine32`` scheme makes them (:func:`premix`, then ``a * h + b`` mod 2**32)."""
        return (premix(shingles)[:, None] * self._a + self._b).min(axis=0)

    def signature(self, text: str) -> Fingerprint | None:
        """The text's :class:`Fingerprint`, or None when it has no words (never a duplicate)."""
        hashes = token_hashes(words(text))
        if not len(hashes):
            return None
        config = self.config
        head = max(config.lead, config.shingle)
        values = self.minhash(shingle_hashes(hashes[:head], config.shingle))
        lead = values[: config.lead_size].copy()
        if len(hashes) > head:  # the shingles that start after the lead's
            values = np.minimum(values, self.minhash(shingle_hashes(hashes[head - config.shingle + 1 :], config.shingle)))
        tokens, step = hashes.astype(np.uint32), 0
        while len(tokens) > config.verify_tokens and step < 32:
            step += 1
            tokens = tokens[(tokens >> np.uint32(32 - step)) == 0]
        tokens = tokens[: config.verify_tokens]  # still longer only for one word (hashing to 0) repeated
        return Fingerprint(values, lead, tokens, step, len(hashes))



def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two MinHash value arrays."""
    return float(np.count_nonzero(a == b)) / len(a)


@dataclass(frozen=True)
class Alignment:
    """How two token sequences line up: with S the shorter (of ``shorter`` tokens) and L the longer,
    ``whole`` is ``LCS(S, L) / len(L)`` and ``first_part`` the best ``LCS(S, L[:k]) / k`` over the
    first k = 1.0, 1.1, 1.2 and 1.3 times ``shorter`` tokens of L (how well S is the first part of L).
    LCS is the longest common subsequence: the tokens that align in order."""

    whole: float
    first_part: float
    shorter: int


def alignment(a: Fingerprint, b: Fingerprint) -> Alignment:
    """How much of one text the other is, up to edits (see :class:`Alignment`).

    An edit of one token costs at most one aligned token, so a copy with a fifth of its tokens
    edited has ``whole`` about 0.8, and a truncated copy has ``first_part`` 1.0; paragraphs moved
    to another order align only in part. Both token samples are taken at the coarser step of the
    two (``shorter`` counts the shorter text's tokens, not its sample). The LCS is computed with
    the bit-parallel algorithm of Allison and Dix (1986): L's token positions are bits of one
    integer, updated once per token of S; ``LCS(S, L[:k])`` is then the number of zero bits among
    the lowest k.

    >>> f = Fingerprinter().signature
    >>> alignment(f("one two three four five"), f("one two three four five six seven eight nine ten"))
    Alignment(whole=0.5, first_part=1.0, shorter=5)
    >>> alignment(f("six seven eight nine ten one two three four five"), f("one two three four five six seven eight nine ten"))
    Alignment(whole=0.5, first_part=0.5, shorter=10)
    """
    step = max(a.step, b.step)
    short, long = sorted((a.sample(step), b.sample(step)), key=len)
    shorter = min(a.length, b.length)
    m, n = len(short), len(long)
    if m == 0:
        return Alignment(0.0, 0.0, shorter)
    if m == n and np.array_equal(short, long):
        return Alignment(1.0, 1.0, shorter)
    masks: dict[int, int] = {}  # token -> the bits of its positions in the longer text
    for i, token in enumerate(long.tolist()):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << n) - 1
    v = full
    for token in short.tolist():
        mask = masks.get(token)
        if mask is not None:
            v = ((v + (v & mask)) | (v & ~mask)) & full
    windows = {min(n, m + (m * j + 9) // 10) for j in range(4)}
    first = max((k - (v & ((1 << k) - 1)).bit_count()) / k for k in windows)
    return Alignment((n - v.bit_count()) / n, first, shorter)
