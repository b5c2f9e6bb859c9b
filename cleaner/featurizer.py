"""What the story level keeps of one article: its terms, counted, template sentences left out.

:class:`Featurizer` turns a cleaned article into :class:`StoryFeatures` (language, day, term
counts); :class:`cleaner.stories.StoryIndex` and the corpus index (:mod:`cleaner.index`) both use it,
so that an article gets the same record wherever it is made.
"""

from __future__ import annotations

import heapq
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass

from .config import StoryConfig
from .errors import ConfigError
from .lsh import KeySet
from .terms import Background, LanguageGuesser, term_form, tokenize


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


@dataclass(frozen=True)
class Prepared:
    """:meth:`Featurizer.prepare`'s part of an article's features (picklable).

    ``counts``: the most salient terms if no sentence turns out repeated; ``sentences``: the long
    sentences' (number, key), then (-1, words in the article); ``shown``: (form, first word) pairs
    the preparing featurizer made for this article.
    """

    lang: str | None
    day: float | None
    terms: Counter
    counts: dict[str, int]
    sentences: tuple
    shown: list


class Featurizer:
    """Turns a cleaned article into :class:`StoryFeatures`, keeping its caches between articles.

    With ``remember=True`` it remembers long sentences, so that a sentence an earlier article
    already carried (see :meth:`_repeated`) does not count for a later one; articles must then
    come in input order, in one process. ``shown`` maps each term to the first word seen with that
    form, for people to read (``explain``).
    """

    def __init__(self, config: StoryConfig, *, remember: bool = True):
        self.config = config
        self.remember = remember and config.repeated_sentences > 0
        self.sentences = KeySet()  # 64-bit keys of the long sentences seen (cleaner.lsh.KeySet)
        self.shown: dict[str, str] = {}
        self._background = self._new_background()
        self._guesser = LanguageGuesser()
        self._bgp: dict[str | None, dict[str, float]] = {}  # lang -> term -> background doc probability
        self._forms: dict[str | None, dict[str, str]] = {}  # lang -> token -> term
        self._fresh: list[tuple[str, str]] | None = None  # (form, token) made during prepare()

    def terms(self, text: str, lang: str | None) -> list[str]:
        """The text's terms: each :func:`~cleaner.terms.tokenize` token's :func:`~cleaner.terms.term_form`,
        then its numbers of two digits or more (a count, an age, a score: measured on the SemEval
        pairs they lower false merges between related events; common ones such as years weigh little).
        Contact details (e-mail addresses, web addresses, telephone numbers) are left out first: they
        name an outlet or a press office, not an event, and two of its articles on different events
        share them (a police press office's address, a photographer's mail).
        """
        text = without_contacts(text)
        tokens = tokenize(text, lang)
        numbers = _NUMBER_RE.findall(text)
        if not self.config.term_chars:
            return tokens + numbers
        forms = self._forms.setdefault(lang, {})
        get = forms.get
        return [get(t) or self._new_form(t, lang, forms) for t in tokens] + numbers

    def term_counts(self, text: str, lang: str | None) -> Counter:
        """``Counter(self.terms(text, lang))``: the same counts in the same order."""
        text = without_contacts(text)
        tokens = tokenize(text, lang)
        if self.config.term_chars:
            forms = self._forms.setdefault(lang, {})
            get = forms.get
            tokens = [get(t) or self._new_form(t, lang, forms) for t in tokens]
        counts = Counter(tokens)
        counts.update(_NUMBER_RE.findall(text))
        return counts

    def _new_form(self, token: str, lang: str | None, forms: dict[str, str]) -> str:
        if len(forms) >= CACHE_TERMS:  # a cache: a corpus's distinct words grow without end
            forms.clear()
        form = forms[token] = term_form(token, lang, self.config.term_chars)
        self.shown.setdefault(form, token)
        if self._fresh is not None:
            self._fresh.append((form, token))
        return form

    def release(self, *, keep_background: bool = False) -> None:
        """Forget the word caches (and, unless ``keep_background``, the background and the long
        sentences seen): for an index that takes no more articles. Only ``shown`` stays."""
        self._forms = {}
        if not keep_background:
            self._bgp = {}
            self._background = self._new_background()
            self.sentences = KeySet()

    def _new_background(self) -> Background:
        cfg = self.config
        return Background(doc_length=cfg.doc_length, wordlist=cfg.wordlist, term_chars=cfg.term_chars)

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
        """The article's :class:`StoryFeatures` (with ``remember``: articles in input order)."""
        return self.complete(self.prepare(text, lang, date), text)

    def prepare(self, text: str, lang: str | None = None, date: str | None = None) -> Prepared:
        """The part of :meth:`features` that needs nothing earlier articles left: it may run in
        another process, on its own featurizer, and :meth:`complete` then finishes it here, in
        input order. The ``shown`` forms it found first go along in ``Prepared.shown``."""
        fresh = self._fresh = []
        try:
            lang = lang or self._guesser.guess(text)
            terms = self.term_counts(text, lang)
        finally:
            self._fresh = None
        sentences = self._sentence_keys(text) if self.remember else ()
        return Prepared(lang, parse_day(date), terms, self._selected(terms, lang), sentences, fresh)

    def complete(self, prepared: Prepared, text: str) -> StoryFeatures:
        """:meth:`prepare`'s result finished with what this featurizer remembers (the sentences
        earlier articles carried), as :meth:`features` gives it."""
        for form, token in prepared.shown:
            self.shown.setdefault(form, token)
        counts = prepared.counts
        if self.remember:
            repeated = self._repeated(prepared.sentences, text, prepared.lang)
            if repeated:
                counts = self._selected(prepared.terms - repeated, prepared.lang)
        return StoryFeatures(prepared.lang, prepared.day, prepared.terms, counts)

    def _selected(self, counts: Counter, lang: str | None) -> dict[str, int]:
        """At most ``candidate_terms`` of the counts, the most salient."""
        bgp = self._bgp.setdefault(lang, {})
        if len(bgp) >= CACHE_TERMS:
            bgp.clear()
        doc_probability = self._background.doc_probability
        for t in counts:
            if t not in bgp:
                bgp[t] = doc_probability(t, lang)
        keep = self.config.candidate_terms
        if len(counts) > keep:
            return dict(sorted(counts.items(), key=self._salience_key(lang))[:keep])
        return dict(counts)

    def top(self, features: StoryFeatures, n: int) -> list[str]:
        """The ``n`` most salient of an article's kept terms."""
        return [t for t, _ in heapq.nsmallest(n, features.counts.items(), key=self._salience_key(features.lang))]

    def _sentence_keys(self, text: str) -> tuple[tuple[int, int], ...]:
        """(number, key) of each long sentence (split at ``.!?`` before a space, and at line ends;
        at least ``repeated_sentences`` words counted by spaces), then (-1, the article's words)."""
        minimum = self.config.repeated_sentences - 1
        keys = []
        total = 0
        for number, sentence in enumerate(_SENTENCE_RE.split(text)):
            spaces = sentence.count(" ")
            total += spaces + 1
            if spaces >= minimum:
                raw = sentence.strip().encode("utf-8")
                keys.append((number, zlib.crc32(raw) << 32 | zlib.adler32(raw)))  # 64 bits: no collisions at millions of sentences
        keys.append((-1, total))
        return tuple(keys)

    def _repeated(self, sentences: tuple[tuple[int, int], ...], text: str, lang: str | None) -> Counter:
        """Terms of this article's sentences that an earlier article already carried word for word.

        A long sentence shared verbatim by two canonical articles is template (a paywall form, a
        press-wire footer, a promo block) far more often than shared reporting: near-copies are the
        duplicate level's business. The first article keeps the sentence, later ones drop it, so it
        never adds to their similarity. Sentences (``sentences``, from :meth:`_sentence_keys`) are
        matched exactly, as the normaliser left them, and their words counted by spaces: scripts
        written without spaces are left alone. Only repeated sentences are tokenised.
        """
        seen = self.sentences
        repeated: list[int] = []
        for number, key in sentences[:-1]:
            if key in seen:
                repeated.append(number)
            else:
                seen.add(key)
        if not repeated:
            return Counter()
        parts = _SENTENCE_RE.split(text)
        shared = sum(parts[n].count(" ") + 1 for n in repeated)
        # Mostly an earlier article: a copy, not a page with some template in it; keep it whole.
        if shared > self.config.repeated_share * sentences[-1][1]:
            return Counter()
        return self.term_counts("\n".join(parts[n] for n in repeated), lang)


#: Words and terms the featurizer remembers per language (their terms; their background
#: probabilities), at most: both are caches, forgotten at once when full (about 10 MB each).
CACHE_TERMS = 1 << 16

_SENTENCE_RE = re.compile(r"[.!?]\s|\n")
# E-mail and web addresses, and what may be a telephone number: digits in groups with a "+", "-",
# "/" or "(" among them, 7 digits or more in all, and no group that reads as a year (checked by
# _phone), as "07231 186-1111" or "+49 (0)30 1234567"; "16/05/2020" and "1990-2020" stay.
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+")
_PHONE_RE = re.compile(r"\d[\d \-/()]{5,}\d(?!\w)")  # starts at a digit: the cheap scan
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _phone(match: re.Match) -> str:
    s, start, text = match.group(), match.start(), match.string
    before = text[start - 1 : start]
    if before.isalnum():  # the end of a word or a longer number: not a number of its own
        return s
    plus = before == "+" or (before == "(" and text[start - 2 : start - 1] == "+")
    if not plus and (sum(c.isdigit() for c in s) < 7 or not any(c in s for c in "-/(") or _YEAR_RE.search(s)):
        return s
    return " "


def without_contacts(text: str) -> str:
    """The text with its e-mail addresses, web addresses and telephone numbers replaced by spaces.

    >>> without_contacts("Tel. 07231 186-1111, pforzheim.pp@polizei.bwl.de, www.presseportal.de; 1990-2020")
    'Tel.  ,  ,   1990-2020'
    """
    if "@" in text:
        text = _EMAIL_RE.sub(" ", text)
    if "://" in text or "www." in text:
        text = _URL_RE.sub(" ", text)
    return _PHONE_RE.sub(_phone, text)


# Two digits or more, not part of a word or of a decimal ("3.14", "1,5"); the look-behind sits after
# the first digit so that the scan only stops at digits (twice as fast as putting it first).
_NUMBER_RE = re.compile(r"\d(?<![\w.,]\d)\d+(?!\w)")
