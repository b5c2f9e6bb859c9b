"""Story level: group different outlets' articles about the same event.

Stages, each explicit:

1. ``add``: tokenise, guess the language if not given, map each word to its term (its first
   ``term_chars`` characters, :func:`cleaner.terms.term_form`: inflected forms meet; e-mail and web
   addresses and telephone numbers left out, :func:`cleaner.featurizer.without_contacts`), count
   document frequencies, drop the terms of long sentences an earlier article already carried word
   for word (template: paywall forms, press-wire footers, promo blocks; see
   ``repeated_sentences``), and keep only a small per-article record (the ``candidate_terms`` most
   salient term counts, the language, the date as days since the epoch) plus one 64-bit key per
   long sentence seen. Texts are never kept. With an encoder (``encoder``, :mod:`cleaner.semantic`)
   the title and lead are encoded too, in batches, and only the vector is kept.
2. ``assign``: weigh terms by sublinear tf times a blended idf (corpus document frequencies with
   the wordfreq background as ``prior_docs`` pseudo-documents), keep the ``top_terms`` best as a
   unit vector per article; MinHash the ``lsh_terms`` best (:func:`minhashes`, all articles at
   once) and look them up in LSH buckets for candidate pairs (:mod:`cleaner.candidates`: at most 64
   an article, none between dated articles outside the window); verify candidates by cosine; then merge clusters by **average linkage**: two stories merge
   only when the mean cosine over all their cross pairs reaches ``threshold`` (computed exactly
   from sums of member vectors; :func:`cleaner.clustering.average_linkage`), and only when every
   dated member stays within ``window_days``. Similarity is not transitive, so a chain A~B~C does
   not pull A and C together. With an encoder, each article's ``semantic_neighbours`` nearest
   neighbours by the encoder are candidates too (this is how articles in two languages meet), and
   the score of two articles in one language is ``(1 - semantic_weight) * term cosine +
   semantic_weight * encoder cosine``, compared with ``semantic_threshold``; two articles in
   different languages (whose terms are not comparable) reach that threshold exactly when their
   encoder cosine reaches ``cross_threshold``. The encoder's nearest neighbours are exact, found
   block by block (bounded memory; time grows with the square of the corpus, far below the
   encoding itself at 10,000 articles).
3. ``explain``: members, their cosine to the story centroid, pairwise scores, shared terms.

The state (:meth:`StoryIndex.to_state`) is plain dicts, lists, floats and strings.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from array import array
from collections import Counter

from .candidates import CANDIDATES_PER_ARTICLE, candidate_pairs  # noqa: F401  (the cap: re-exported for tests)
from .clustering import average_linkage, mean_pair_score
from .vectors import PackedVectors
from .config import StoryConfig
from .errors import ConfigError
from .heap import trim
from .featurizer import Featurizer, Prepared, StoryFeatures, parse_day  # noqa: F401  (re-exported: index, tests)
from .lsh import KeySet, minhashes  # noqa: F401  (minhashes: tests)
from .terms import DocFrequencies, cosine, idf, term_weights


def story_id(first_member: str) -> str:
    """Stable story id from the id of its earliest member (input order)."""
    return "s-" + hashlib.sha1(first_member.encode("utf-8")).hexdigest()[:12]


class StoryIndex:
    """Collect articles with :meth:`add`, then :meth:`assign` story ids.

    ``encoder``: an :class:`cleaner.semantic.Encoder` to use instead of the one ``config.encoder``
    names (which is loaded at the first :meth:`add`). ``semantic`` tells whether the encoder's
    signal is on: it is when an encoder is configured or given.

    ``keep_counts=False`` (a run's index, assigned once): the term counts, document frequencies and
    the featurizer's caches are released once the vectors are made (about 1 KB an article), so the
    candidates and clusters do not need their memory on top; the index then takes no more articles
    and has no state to save (:meth:`add` and :meth:`to_state` raise), while :meth:`assign`,
    :meth:`score`, :meth:`vector` and :meth:`explain` work as before.
    """

    def __init__(self, config: StoryConfig = StoryConfig(), *, encoder=None, keep_counts: bool = True):
        self.config = config
        self.keep_counts = keep_counts
        self.df = DocFrequencies()
        self._ids: list[str] = []
        self._pos: dict[str, int] = {}
        # per article, its kept term counts packed as (term id, count) pairs; ids in self._terms. An
        # array each, made at its size: small blocks that settle in the holes earlier stages left
        # (one flat array, copied as it grows, left 36 MB of unusable heap at 20,000 articles)
        self._counts: list[array | None] | None = []
        self._term_ids: dict[str, int] | None = {}
        self._terms: list[str] = []
        self._langs: list[str | None] = []
        self._days: list[float | None] = []
        self.featurizer = Featurizer(config)
        self.leads = None  # the encoder's vectors (cleaner.semantic.Leads), in semantic mode
        if encoder is not None or config.encoder != "none":
            from .semantic import Leads

            self.leads = Leads(config, encoder)
        self._vectors: PackedVectors | None = None
        self._stories: dict[str, list[int]] | None = None
        self._story_of: dict[str, str] | None = None

    @property
    def semantic(self) -> bool:
        """Whether the encoder's signal is on (an encoder configured or given)."""
        return self.leads is not None

    @property
    def threshold(self) -> float:
        """The merge threshold in force: ``semantic_threshold`` with an encoder, else ``threshold``."""
        return self.config.semantic_threshold if self.semantic else self.config.threshold

    @property
    def cross_offset(self) -> float:
        """Added to ``semantic_weight * encoder cosine``, the score of two articles in different
        languages (their terms are not comparable), so that the pair reaches :attr:`threshold`
        exactly when its encoder cosine reaches ``cross_threshold``."""
        return self.config.semantic_threshold - self.config.semantic_weight * self.config.cross_threshold

    # ------------------------------------------------------------------ add

    def add(self, doc_id: str, text: str, *, lang: str | None = None, date: str | None = None, title: str | None = None, prepared: Prepared | None = None) -> None:
        """Add one cleaned article. Adding an id twice replaces nothing: it is an error.

        ``title`` is only read by the encoder (title and lead, ``encoder_chars`` in all).
        ``prepared``: :meth:`Featurizer.prepare` of this text, language and date, made ahead
        (elsewhere, by a featurizer of the same configuration); the result is the same.
        """
        if doc_id in self._pos:
            raise ConfigError(f"story index already has a document {doc_id!r}; ids must be unique")
        self._check_counts("add articles")
        if prepared is None:
            features = self.featurizer.features(text, lang, date)
        else:
            features = self.featurizer.complete(prepared, text)
        self.df.add(features.terms)
        self._record(doc_id, features.counts, features.lang, features.day)
        if self.leads is not None:
            self.leads.add(text, title)

    def _record(self, doc_id: str, counts: dict[str, int], lang: str | None, day: float | None) -> None:
        self._pos[doc_id] = len(self._ids)
        self._ids.append(doc_id)
        ids, terms = self._term_ids, self._terms
        flat = []
        for t, n in counts.items():
            number = ids.get(t)
            if number is None:
                number = ids[t] = len(terms)
                terms.append(t)
            flat += (number, n)
        self._counts.append(array("I", flat))  # made from a list: no room to grow
        self._langs.append(lang)
        self._days.append(day)
        self._vectors = self._stories = self._story_of = None

    def __len__(self) -> int:
        return len(self._ids)

    # ------------------------------------------------------------------ vectors

    def _counts_of(self, i: int) -> dict[str, int]:
        """Article ``i``'s kept term counts, in the order they were added."""
        packed, terms = self._counts[i], self._terms
        return {terms[packed[k]]: packed[k + 1] for k in range(0, len(packed), 2)}

    def _check_counts(self, doing: str) -> None:
        if self._counts is None:
            raise ConfigError(f"cannot {doing}: this story index released its term counts when it made its vectors (keep_counts=False)")

    def _ensure_vectors(self) -> PackedVectors:
        if self._vectors is None:
            cfg, df, docs = self.config, self.df.df, self.df.docs
            caches: dict[str | None, dict[str, float]] = {}
            room = sum(min(cfg.top_terms, len(packed) // 2) for packed in self._counts)
            vectors = PackedVectors(self._terms, room=room)  # allocated once: no copies as it fills
            release = not self.keep_counts
            if release:
                self.featurizer.release(keep_background=True)  # its word caches are done with
            for i, lang in enumerate(self._langs):
                counts = self._counts_of(i)
                if release:
                    self._counts[i] = None  # read for the last time
                cache = caches.get(lang)
                if cache is None:
                    cache = caches[lang] = {}
                idfs = {}
                for t in counts:
                    v = cache.get(t)
                    if v is None:
                        v = cache[t] = idf(df.get(t, 0), docs, self.featurizer.background_p(t, lang), cfg.prior_docs)
                    idfs[t] = v
                vectors.append(term_weights(counts, idfs, cfg.top_terms), self._term_ids)
            vectors.trim()
            self._vectors = vectors
            if release:
                # Only the vectors are read from here on (assign, score, explain): the counts, the
                # document frequencies and the background go, before the candidates and clusters
                # need their memory.
                del caches
                self._counts = self._term_ids = None
                self.df = DocFrequencies(self.df.docs)
                self.featurizer.release()
                trim()
        return self._vectors

    def vector(self, doc_id: str) -> dict[str, float]:
        """The article's unit term vector (top ``top_terms`` terms)."""
        return self._ensure_vectors()[self._index(doc_id)]

    def _index(self, doc_id: str) -> int:
        try:
            return self._pos[doc_id]
        except KeyError:
            raise ConfigError(f"story index has no document {doc_id!r}; add() it first") from None

    def _apart(self, i: int, j: int) -> bool:
        w = self.config.window_days
        a, b = self._days[i], self._days[j]
        return bool(w) and a is not None and b is not None and abs(a - b) > w

    def score(self, id_a: str, id_b: str) -> float:
        """Verification similarity, the one compared with :attr:`threshold`; 0 outside the date window.

        The cosine of the two term vectors; with an encoder, the combined score (module docstring).
        """
        i, j = self._index(id_a), self._index(id_b)
        if self._apart(i, j):
            return 0.0
        vectors = self._ensure_vectors()
        lexical = cosine(vectors[i], vectors[j])
        if not self.semantic:
            return lexical
        dense = self.leads.matrix()
        return self._combined(lexical, float(dense[i] @ dense[j]), self._langs[i] != self._langs[j])

    def _combined(self, lexical: float, semantic: float, languages_differ: bool) -> float:
        w = self.config.semantic_weight
        return w * semantic + self.cross_offset if languages_differ else (1.0 - w) * lexical + w * semantic

    # ------------------------------------------------------------------ candidates

    def _candidate_pairs(self):
        """The candidate pairs (:func:`cleaner.candidates.candidate_pairs`) of the articles added."""
        return candidate_pairs(self._ensure_vectors(), self._days, self.config, self.leads.matrix() if self.semantic else None)

    # ------------------------------------------------------------------ clustering

    def assign(self) -> dict[str, str]:
        """Every added id -> story id. Deterministic; ties broken by input order."""
        if self._story_of is None:
            self._cluster()
        return dict(self._story_of)

    def _semantic_args(self) -> dict:
        """The semantic part of the score, as :mod:`cleaner.clustering` takes it (nothing without an encoder)."""
        if not self.semantic:
            return {}
        return {"dense": self.leads.matrix(), "weight": self.config.semantic_weight, "langs": self._langs, "cross_offset": self.cross_offset}

    def _cluster(self) -> None:
        vectors = self._ensure_vectors()
        pairs = self._candidate_pairs()  # dated pairs outside the window already left out
        groups = average_linkage(vectors, pairs, self._days, threshold=self.threshold, window_days=self.config.window_days, max_rescored=self.config.max_candidates, **self._semantic_args())
        self._stories = {}
        self._story_of = {}
        for idx in groups:
            sid = story_id(self._ids[idx[0]])
            self._stories[sid] = idx
            for i in idx:
                self._story_of[self._ids[i]] = sid

    # ------------------------------------------------------------------ explain

    def explain(self, story_id: str, *, terms: int = 12, max_pairs: int = 45) -> dict:
        """Why these articles are one story: members, centroid and pairwise scores, shared terms.

        ``cohesion`` is the mean pairwise score (the average-linkage score compared with
        ``threshold``); ``shared_terms`` lists terms carried by at least two members, by their
        weight in the centroid, with how many members carry each; a term is shown as the first
        word seen with its form. With an encoder, each pair also shows its ``lexical`` (term) and
        ``semantic`` (encoder) cosines.
        """
        self.assign()
        if story_id not in self._stories:
            raise ConfigError(f"no story {story_id!r}; call assign() and use one of its ids")
        idx = self._stories[story_id]
        vectors = self._ensure_vectors()
        total: dict[str, float] = {}
        carriers: Counter[str] = Counter()
        for i in idx:
            for t, w in vectors[i].items():
                total[t] = total.get(t, 0.0) + w
                carriers[t] += 1
        norm = math.sqrt(sum(w * w for w in total.values())) or 1.0
        centroid = {t: w / norm for t, w in total.items()}
        pairs = []
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                if len(pairs) >= max_pairs:
                    break
                i, j = idx[a], idx[b]
                pair = {"a": self._ids[i], "b": self._ids[j], "score": round(self.score(self._ids[i], self._ids[j]), 4)}
                if self.semantic:
                    pair["lexical"] = round(cosine(vectors[i], vectors[j]), 4)
                    pair["semantic"] = round(float(self.leads.matrix()[i] @ self.leads.matrix()[j]), 4)
                pairs.append(pair)
        shared = [t for t in centroid if carriers[t] >= 2]
        shared.sort(key=lambda t: (-centroid[t], t))
        shown = self.featurizer.shown
        return {
            "story": story_id,
            "size": len(idx),
            "cohesion": mean_pair_score(vectors, idx, **self._semantic_args()) if len(idx) > 1 else 1.0,
            "threshold": self.threshold,
            "members": [
                {
                    "id": self._ids[i],
                    "lang": self._langs[i],
                    "centroid_score": round(cosine(vectors[i], centroid), 4),
                }
                for i in idx
            ],
            "pairs": pairs,
            "shared_terms": [
                {"term": shown.get(t, t), "weight": round(centroid[t], 4), "members": carriers[t]} for t in shared[:terms]
            ],
        }

    # ------------------------------------------------------------------ state

    def to_state(self) -> dict:
        """Plain, JSON-able state: config, corpus document frequencies, one small record per article
        (with an encoder, its vector too), and the words that terms are shown as."""
        self._check_counts("save its state")
        counts = [self._counts_of(i) for i in range(len(self._ids))]
        kept = set().union(*counts) if counts else set()
        state = {
            "config": dataclasses.asdict(self.config),
            "df": self.df.to_state(),
            "docs": [
                {"id": d, "terms": c, "lang": l, "day": day}
                for d, c, l, day in zip(self._ids, counts, self._langs, self._days)
            ],
            "sentences": sorted(self.featurizer.sentences),
            "shown": {t: w for t, w in self.featurizer.shown.items() if t in kept and t != w},
        }
        if self.semantic:
            state["vectors"] = self.leads.matrix().tolist()
        return state

    @classmethod
    def from_state(cls, state: dict) -> StoryIndex:
        """The index :meth:`to_state` describes. A state without vectors is scored by terms alone,
        whatever its config says about an encoder (articles added later are not encoded)."""
        index = cls(StoryConfig(**state["config"]))
        index.df = DocFrequencies.from_state(state["df"])
        for doc in state["docs"]:
            counts = {str(t): int(n) for t, n in doc["terms"].items()}
            index._record(doc["id"], counts, doc["lang"], doc["day"])
        index.featurizer.sentences = KeySet(int(k) for k in state.get("sentences", ()))
        index.featurizer.shown.update({str(t): str(w) for t, w in state.get("shown", {}).items()})
        if "vectors" in state:
            index.leads.restore(state["vectors"])
        else:
            index.leads = None
        return index
