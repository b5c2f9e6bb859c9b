"""Story level: group different outlets' articles about the same event.

Stages, each explicit:

1. ``add``: tokenise, guess the language if not given, count document frequencies, drop the tokens
   of long sentences an earlier article already carried word for word (template: paywall forms,
   press-wire footers, promo blocks; see ``repeated_sentences``), and keep only a small
   per-article record (the ``candidate_terms`` most salient term counts, the language, the date as
   days since the epoch) plus one 64-bit key per long sentence seen. Texts are never kept.
2. ``assign``: weigh terms by sublinear tf times a blended idf (corpus document frequencies with
   the wordfreq background as ``prior_docs`` pseudo-documents), keep the ``top_terms`` best as a
   unit vector per article; MinHash the ``lsh_terms`` best and query an LSH index for candidate
   pairs; verify candidates by cosine; then merge clusters by **average linkage**: two stories merge
   only when the mean cosine over all their cross pairs reaches ``threshold`` (computed exactly
   from sums of member vectors; :func:`cleaner.clustering.average_linkage`), and only when every
   dated member stays within ``window_days``. Similarity is not transitive, so a chain A~B~C does
   not pull A and C together.
3. ``explain``: members, their cosine to the story centroid, pairwise scores, shared terms.

The state (:meth:`StoryIndex.to_state`) is plain dicts, lists, floats and strings.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass

from .clustering import average_linkage
from .config import StoryConfig
from .errors import ConfigError
from .terms import (
    Background,
    DocFrequencies,
    LanguageGuesser,
    cosine,
    idf,
    term_weights,
    tokenize,
)


def story_id(first_member: str) -> str:
    """Stable story id from the id of its earliest member (input order)."""
    return "s-" + hashlib.sha1(first_member.encode("utf-8")).hexdigest()[:12]


def parse_day(date: str | None) -> float | None:
    """An ISO 8601 or RFC 2822 date or datetime -> days since the epoch (naive times are UTC).

    ``None`` stays ``None``; a date :func:`cleaner.documents.parse_date` cannot read is a
    :class:`~cleaner.errors.ConfigError` (readers report such a record before it gets here).

    >>> parse_day("1970-01-02"), parse_day("1970-01-01T12:00:00Z"), parse_day("Fri, 02 Jan 1970 00:00:00 GMT")
    (1.0, 0.5, 1.0)
    """
    from .documents import parse_date

    if not date:
        return None
    try:
        return parse_date(date).timestamp() / 86400.0
    except ValueError as exc:
        raise ConfigError(f"story date: {exc}") from None


@dataclass(frozen=True)
class StoryFeatures:
    """What the story level keeps of one article.

    ``terms``: every token's count (for corpus document frequencies); ``counts``: at most
    ``candidate_terms`` of them, the most salient, repeated template sentences left out.
    """

    lang: str | None
    day: float | None
    terms: Counter
    counts: dict[str, int]


class Featurizer:
    """Turns a cleaned article into :class:`StoryFeatures`, keeping its caches between articles.

    With ``remember=True`` it remembers long sentences, so that a sentence an earlier article
    already carried (see :meth:`_repeated`) does not count for a later one; articles must then
    come in input order, in one process.
    """

    def __init__(self, config: StoryConfig, *, remember: bool = True):
        self.config = config
        self.remember = remember and config.repeated_sentences > 0
        self.sentences: set[int] = set()
        self._background = Background(doc_length=config.doc_length, wordlist=config.wordlist)
        self._guesser = LanguageGuesser()
        self._bgp: dict[str | None, dict[str, float]] = {}  # lang -> term -> background doc probability

    def background_p(self, term: str, lang: str | None) -> float:
        bgp = self._bgp.setdefault(lang, {})
        p = bgp.get(term)
        if p is None:
            p = bgp[term] = self._background.doc_probability(term, lang)
        return p

    def _salience_key(self, lang: str | None):
        """Sort key, most salient first: (1 + log tf) * -log p(background); ties by term."""
        bgp, log = self._bgp.setdefault(lang, {}), math.log
        return lambda item: ((1.0 + log(item[1])) * log(bgp[item[0]]), item[0])

    def features(self, text: str, lang: str | None = None, date: str | None = None) -> StoryFeatures:
        lang = lang or self._guesser.guess(text)
        terms = Counter(tokenize(text, lang))
        counts = terms
        if self.remember:
            repeated = self._repeated(text, lang)
            if repeated:
                counts = terms - repeated
        bgp = self._bgp.setdefault(lang, {})
        doc_probability = self._background.doc_probability
        for t in counts:
            if t not in bgp:
                bgp[t] = doc_probability(t, lang)
        keep = self.config.candidate_terms
        if len(counts) > keep:
            counts = dict(sorted(counts.items(), key=self._salience_key(lang))[:keep])
        else:
            counts = dict(counts)
        return StoryFeatures(lang, parse_day(date), terms, counts)

    def top(self, features: StoryFeatures, n: int) -> list[str]:
        """The ``n`` most salient of an article's kept terms."""
        return [t for t, _ in heapq.nsmallest(n, features.counts.items(), key=self._salience_key(features.lang))]

    def _repeated(self, text: str, lang: str | None) -> Counter:
        """Tokens of this article's sentences that an earlier article already carried word for word.

        A long sentence shared verbatim by two canonical articles is template (a paywall form, a
        press-wire footer, a promo block) far more often than shared reporting: near-copies are the
        duplicate level's business. The first article keeps the sentence, later ones drop it, so it
        never adds to their similarity. Sentences (split at ``.!?`` before a space, and at line
        ends) are matched exactly, as the normaliser left them, and their words counted by spaces:
        scripts written without spaces are left alone. Only repeated sentences are tokenised.
        """
        seen, minimum = self.sentences, self.config.repeated_sentences - 1
        repeated: list[str] = []
        total = shared = 0
        for sentence in _SENTENCE_RE.split(text):
            spaces = sentence.count(" ")
            total += spaces + 1
            if spaces < minimum:
                continue
            raw = sentence.strip().encode("utf-8")
            key = zlib.crc32(raw) << 32 | zlib.adler32(raw)  # 64 bits: no collisions at millions of sentences
            if key in seen:
                repeated.append(sentence)
                shared += spaces + 1
            else:
                seen.add(key)
        # Mostly an earlier article: a copy, not a page with some template in it; keep it whole.
        if not repeated or shared > self.config.repeated_share * total:
            return Counter()
        return Counter(tokenize("\n".join(repeated), lang))

class StoryIndex:
    """Collect articles with :meth:`add`, then :meth:`assign` story ids."""

    def __init__(self, config: StoryConfig = StoryConfig()):
        self.config = config
        self.df = DocFrequencies()
        self._ids: list[str] = []
        self._pos: dict[str, int] = {}
        self._counts: list[dict[str, int]] = []
        self._langs: list[str | None] = []
        self._days: list[float | None] = []
        self.featurizer = Featurizer(config)
        self._vectors: list[dict[str, float]] | None = None
        self._stories: dict[str, list[int]] | None = None
        self._story_of: dict[str, str] | None = None

    # ------------------------------------------------------------------ add

    def add(self, doc_id: str, text: str, *, lang: str | None = None, date: str | None = None) -> None:
        """Add one cleaned article. Adding an id twice replaces nothing: it is an error."""
        if doc_id in self._pos:
            raise ConfigError(f"story index already has a document {doc_id!r}; ids must be unique")
        features = self.featurizer.features(text, lang, date)
        self.df.add(features.terms)
        self._record(doc_id, features.counts, features.lang, features.day)

    def _record(self, doc_id: str, counts: dict[str, int], lang: str | None, day: float | None) -> None:
        self._pos[doc_id] = len(self._ids)
        self._ids.append(doc_id)
        self._counts.append(counts)
        self._langs.append(lang)
        self._days.append(day)
        self._vectors = self._stories = self._story_of = None

    def __len__(self) -> int:
        return len(self._ids)

    # ------------------------------------------------------------------ vectors

    def _ensure_vectors(self) -> list[dict[str, float]]:
        if self._vectors is None:
            cfg, df, docs = self.config, self.df.df, self.df.docs
            caches: dict[str | None, dict[str, float]] = {}
            vectors = []
            for counts, lang in zip(self._counts, self._langs):
                cache = caches.get(lang)
                if cache is None:
                    cache = caches[lang] = {}
                idfs = {}
                for t in counts:
                    v = cache.get(t)
                    if v is None:
                        v = cache[t] = idf(df.get(t, 0), docs, self.featurizer.background_p(t, lang), cfg.prior_docs)
                    idfs[t] = v
                vectors.append(term_weights(counts, idfs, cfg.top_terms))
            self._vectors = vectors
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
        """Verification similarity: cosine of the two term vectors; 0 outside the date window."""
        i, j = self._index(id_a), self._index(id_b)
        if self._apart(i, j):
            return 0.0
        vectors = self._ensure_vectors()
        return cosine(vectors[i], vectors[j])

    # ------------------------------------------------------------------ candidates

    def _candidate_pairs(self) -> list[tuple[int, int]]:
        from datasketch import MinHash, MinHashLSH

        cfg = self.config
        vectors = self._ensure_vectors()
        template = MinHash(num_perm=cfg.num_perm, seed=cfg.seed)
        lsh = MinHashLSH(num_perm=cfg.num_perm, params=(cfg.bands, cfg.num_perm // cfg.bands))
        pairs: set[tuple[int, int]] = set()
        for i, vec in enumerate(vectors):
            if not vec:
                continue
            terms = sorted(vec, key=lambda t: (-vec[t], t))[: cfg.lsh_terms]
            m = MinHash(
                num_perm=cfg.num_perm, seed=cfg.seed, permutations=template.permutations, scheme=template.scheme
            )
            m.update_batch([t.encode("utf-8") for t in terms])
            for j in lsh.query(m):
                pairs.add((j, i))
            lsh.insert(i, m, check_duplication=False)
        return sorted(pairs)

    # ------------------------------------------------------------------ clustering

    def assign(self) -> dict[str, str]:
        """Every added id -> story id. Deterministic; ties broken by input order."""
        if self._story_of is None:
            self._cluster()
        return dict(self._story_of)

    def _cluster(self) -> None:
        vectors = self._ensure_vectors()
        pairs = [(i, j) for i, j in self._candidate_pairs() if not self._apart(i, j)]
        groups = average_linkage(vectors, pairs, self._days, threshold=self.config.threshold, window_days=self.config.window_days)
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

        ``cohesion`` is the mean pairwise cosine (the average-linkage score compared with
        ``threshold``); ``shared_terms`` lists terms carried by at least two members, by their
        weight in the centroid, with how many members carry each.
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
        pair_sum = (sum(w * w for w in total.values()) - len(idx)) / 2.0
        n_pairs = len(idx) * (len(idx) - 1) // 2
        pairs = []
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                if len(pairs) >= max_pairs:
                    break
                i, j = idx[a], idx[b]
                pairs.append({"a": self._ids[i], "b": self._ids[j], "score": round(cosine(vectors[i], vectors[j]), 4)})
        shared = [t for t in centroid if carriers[t] >= 2]
        shared.sort(key=lambda t: (-centroid[t], t))
        return {
            "story": story_id,
            "size": len(idx),
            "cohesion": round(pair_sum / n_pairs, 4) if n_pairs else 1.0,
            "threshold": self.config.threshold,
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
                {"term": t, "weight": round(centroid[t], 4), "members": carriers[t]} for t in shared[:terms]
            ],
        }

    # ------------------------------------------------------------------ state

    def to_state(self) -> dict:
        """Plain, JSON-able state: config, corpus document frequencies, one small record per article."""
        return {
            "config": dataclasses.asdict(self.config),
            "df": self.df.to_state(),
            "docs": [
                {"id": d, "terms": c, "lang": l, "day": day}
                for d, c, l, day in zip(self._ids, self._counts, self._langs, self._days)
            ],
            "sentences": sorted(self.featurizer.sentences),
        }

    @classmethod
    def from_state(cls, state: dict) -> StoryIndex:
        index = cls(StoryConfig(**state["config"]))
        index.df = DocFrequencies.from_state(state["df"])
        for doc in state["docs"]:
            counts = {str(t): int(n) for t, n in doc["terms"].items()}
            index._record(doc["id"], counts, doc["lang"], doc["day"])
        index.featurizer.sentences = {int(k) for k in state.get("sentences", ())}
        return index


_SENTENCE_RE = re.compile(r"[.!?]\s|\n")
