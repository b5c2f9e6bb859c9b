"""Terms for the story level: tokens, a cheap language guess, and term rarity.

Three small pieces, each an explicit object so no answer depends on hidden module state:

- :func:`tokenize` turns text into casefolded Unicode ``\\w`` words, with Chinese/Japanese runs
  split into character bigrams (no segmenter needed); :func:`term_form` maps a word to the term it
  counts under (its first few characters: inflected forms and most compound heads meet there).
- :func:`language_code` turns a ``lang`` field (``en-US``, ``EN``, ``eng``) into a language code,
  and anything that is not a language tag (``english``, ``x``) into None, so that it is guessed.
- :class:`LanguageGuesser` guesses a language from the script and, for alphabets shared by several
  languages, from the share of tokens found in each candidate's 300 most common words.
  Word lists are loaded lazily, only for the candidates of the script seen, and kept on the instance.
- :class:`Background` gives each term a background document probability from ``wordfreq``
  (works on a corpus of two articles); :class:`DocFrequencies` counts document frequencies in the
  corpus being processed (mergeable, plain dicts); :func:`idf` blends the two: the background acts as
  ``prior_docs`` pseudo-documents, so a small corpus leans on the background and a large one on itself.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

# Han ideographs, Hiragana, Katakana (incl. phonetic extensions), CJK compatibility ideographs.
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[^\W{_CJK}]+")
_CJK_RE = re.compile(rf"[{_CJK}]")
_KANA_RE = re.compile("[\u3040-\u30ff\u31f0-\u31ff]")
# Arabic harakat, superscript alef and tatweel: wordfreq drops them too, and they are not \w.
_ABJAD_MARKS = dict.fromkeys(
    [*range(0x064B, 0x0660), 0x0670, 0x0640, *range(0x0591, 0x05C8)], None
)

_ABJAD_RE = re.compile("[\u0591-\u05c7\u0640\u064b-\u065f\u0670]")


def _fold(word: str, lang: str | None) -> str:
    if lang in ("tr", "az"):
        word = word.replace("İ", "i").replace("I", "ı")
    return word.casefold().replace("\u0307", "")


def tokenize(text: str, lang: str | None = None) -> list[str]:
    """Casefolded word tokens; CJK runs become overlapping character bigrams.

    Pure digits and one-letter words are dropped: they say little about which event a text is about.

    >>> tokenize("Pentagon spokesman John Kirby said 5 strikes hit")
    ['pentagon', 'spokesman', 'john', 'kirby', 'said', 'strikes', 'hit']
    >>> tokenize("美国空袭叙利亚")
    ['美国', '国空', '空袭', '袭叙', '叙利', '利亚']
    >>> tokenize("İSTANBUL'da", "tr")
    ['istanbul', 'da']
    """
    text = unicodedata.normalize("NFC", text)
    if _ABJAD_RE.search(text):
        text = text.translate(_ABJAD_MARKS)
    text = _fold(text, lang)
    runs = _TOKEN_RE.findall(text)
    if not _CJK_RE.search(text):
        return [run for run in runs if len(run) > 1 and not run.isdigit()]
    out: list[str] = []
    for run in runs:
        if len(run) > 1:
            if run[0] >= "\u3040" and _CJK_RE.match(run):
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
            elif not run.isdigit():
                out.append(run)
        elif run >= "\u3040" and _CJK_RE.match(run):
            out.append(run)
    return out


# Arabic light stemming (after Larkey et al.'s "light10"): the article and the conjunctions and
# prepositions written onto a word, and the commonest suffixes. Longest first; a stem keeps >= 2 letters.
_ARABIC_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و")
_ARABIC_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")


def _arabic_stem(word: str) -> str:
    for p in _ARABIC_PREFIXES:
        if word.startswith(p) and len(word) - len(p) >= 2:
            word = word[len(p) :]
            break
    for x in _ARABIC_SUFFIXES:
        if word.endswith(x) and len(word) - len(x) >= 2:
            return word[: -len(x)]
    return word


def term_form(token: str, lang: str | None, chars: int) -> str:
    """The term a :func:`tokenize` token counts under: its first ``chars`` characters.

    Truncation is a light stemmer for every alphabet at once: inflected forms (German ``Grünen`` /
    ``grüne``, Polish ``dymisja`` / ``dymisję`` / ``dymisji``, Spanish plurals) and derivations meet
    in one term, and so do a German compound and its first part. Measured on the SemEval pairs it
    raised the AUC of every inflected language (docs/story-benchmark.md); 5 characters did best.
    Arabic first loses its clitic prefixes and commonest suffixes (the article ``ال`` would
    otherwise be most of every term). CJK bigrams and ``chars=0`` leave the token as it is.

    >>> [term_form(t, "de", 5) for t in ("grünen", "grüne", "kabuga", "us")]
    ['grüne', 'grüne', 'kabug', 'us']
    >>> term_form("والحكومة", "ar", 5), term_form("美国", "zh", 5)
    ('حكوم', '美国')
    """
    if not chars or token[0] >= "\u3040" and _CJK_RE.match(token):
        return token
    if lang == "ar":
        token = _arabic_stem(token)
    return token[:chars]


# ---------------------------------------------------------------- language guess


def language_code(tag: object) -> str | None:
    """The language of a BCP 47 tag as langcodes standardises it, or None for anything else.

    Region and script are dropped, case is ignored and deprecated or three-letter codes are
    mapped (``iw`` -> ``he``, ``eng`` -> ``en``). A value that is not a valid tag (a language
    name such as ``english``, ``x``, ``und``, a private-use tag) gives None, and the story
    level then guesses the language from the text, as for an article without a ``lang``.

    >>> [language_code(t) for t in ("en-US", "EN", "iw", "eng", "english", "x", "français", "und", 7)]
    ['en', 'en', 'he', 'en', None, None, None, None, None]
    """
    if not isinstance(tag, str):
        return None
    import langcodes

    try:
        language = langcodes.Language.get(tag.strip())
    except ValueError:  # langcodes.LanguageTagError: not a tag at all
        return None
    code = language.language
    if not code or "-" in code or not language.is_valid():  # und, x-private, unregistered codes
        return None
    return code


_SCRIPT_CANDIDATES: dict[str, tuple[str, ...]] = {
    "latin": ("en", "de", "es", "fr", "it", "pl", "tr", "pt", "nl"),
    "cyrillic": ("ru", "uk", "bg"),
    "arabic": ("ar", "fa"),
}


def _script(ch: str) -> str:
    o = ord(ch)
    if o < 0x250:
        return "latin"
    if 0x400 <= o < 0x530:
        return "cyrillic"
    if 0x600 <= o < 0x700 or 0x750 <= o < 0x780:
        return "arabic"
    if _KANA_RE.match(ch):
        return "kana"
    if _CJK_RE.match(ch):
        return "han"
    return "other"


def main_script(sample: str) -> tuple[str | None, Counter]:
    """The script most of the letters of ``sample`` are in (None: no letter), and the letters per
    script. An ASCII sample is Latin: its letters are not looked at one by one (their counts are
    then left out, as only Han and Kana text reads them)."""
    if sample.isascii():
        return ("latin" if any(map(str.isalpha, sample)) else None), Counter()
    scripts = Counter(_script(ch) for ch in sample if ch.isalpha())
    return (scripts.most_common(1)[0][0] if scripts else None), scripts


@dataclass
class LanguageGuesser:
    """Cheap language guess: script first, then top-300 word share among that script's candidates.

    ``candidates`` maps a script (``latin``, ``cyrillic``, ``arabic``) to the languages considered.
    Only the candidates of a script actually seen are loaded (``wordfreq`` small lists, a few ms each).

    >>> LanguageGuesser().guess("Die Regierung hat am Montag beschlossen, dass die Schulen offen bleiben.")
    'de'
    >>> LanguageGuesser().guess("美国周一空袭了叙利亚和伊拉克的民兵设施。")
    'zh'
    """

    candidates: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(_SCRIPT_CANDIDATES))
    sample_chars: int = 3000
    _top: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def _top_words(self, lang: str) -> frozenset[str]:
        if lang not in self._top:
            import wordfreq

            self._top[lang] = frozenset(wordfreq.top_n_list(lang, 300, wordlist="small"))
        return self._top[lang]

    def guess(self, text: str) -> str | None:
        sample = text[: self.sample_chars]
        script, scripts = main_script(sample)
        if script is None:
            return None
        if script in ("han", "kana"):
            return "ja" if scripts["kana"] > 0.1 * (scripts["han"] + scripts["kana"]) else "zh"
        langs = self.candidates.get(script)
        if not langs:
            return None
        tokens = tokenize(sample)[:400]
        if not tokens:
            return langs[0]
        best, best_share = langs[0], -1.0
        for lang in langs:
            top = self._top_words(lang)
            share = sum(tok in top for tok in tokens) / len(tokens)
            if share > best_share:  # ties keep the earlier candidate
                best, best_share = lang, share
        return best


# ---------------------------------------------------------------- term rarity

#: Frequency given to a word the background has never seen (zipf 1).
UNSEEN_FREQUENCY = 1e-8


@dataclass
class Background:
    """Background document probabilities from ``wordfreq``, loaded lazily per language.

    ``wordlist="small"`` (wordfreq's list of words down to zipf 3, a few ms to load per language;
    ``"best"`` is ten times larger and slower to load, and gave the same story AUC).
    ``doc_probability(term, lang)`` estimates the chance that an article of ``doc_length`` tokens
    contains the term: ``1 - exp(-doc_length * word_frequency)``. With ``term_chars``, terms are
    :func:`term_form` forms, and a form's frequency is the sum of its words' frequencies. Unknown languages fall back to
    an unseen-word probability for every term (the corpus then decides on its own).
    CJK bigrams that are not wordfreq words are estimated from their two characters.
    """

    doc_length: float = 400.0
    wordlist: str = "small"
    term_chars: int = 0
    _freqs: dict[str, dict[str, float]] = field(default_factory=dict, repr=False)

    def _dict(self, lang: str | None) -> dict[str, float]:
        key = lang or ""
        if key not in self._freqs:
            import wordfreq

            try:
                freqs = wordfreq.get_frequency_dict(key, wordlist=self.wordlist) if key else {}
            except (LookupError, ValueError):  # a language wordfreq lacks, or not a language tag at all
                freqs = {}
            if self.term_chars:
                # A term stands for every word that has its form: it is as common as all of them.
                forms: dict[str, float] = {}
                get, chars = forms.get, self.term_chars
                for word, f in freqs.items():
                    # term_form, inlined for the common case (a load is ~10^5 words).
                    term = word[:chars] if lang != "ar" and word[:1] < "\u3040" else term_form(word, lang, chars)
                    forms[term] = get(term, 0.0) + f
                freqs = forms
            # wordfreq keeps every list it decoded and every dict it built (about 8 MB a language);
            # only this one is used from here on
            wordfreq.get_frequency_dict.cache_clear()
            wordfreq.get_frequency_list.cache_clear()
            self._freqs[key] = freqs
        return self._freqs[key]

    def frequency(self, term: str, lang: str | None) -> float:
        freqs = self._dict(lang)
        if term.isdigit():
            # As wordfreq does: the frequency of numbers of this many digits, times the share of these
            # digits among them (years and small numbers are common, 737 is not).
            from wordfreq.numbers import digit_freq, smash_numbers

            shape = term_form(smash_numbers(term), lang, self.term_chars)
            return max(freqs.get(shape, 0.0) * digit_freq(term), UNSEEN_FREQUENCY)
        f = freqs.get(term)
        if f is None and len(term) == 2 and _CJK_RE.match(term):
            # Not a word, so most likely a bigram across a word boundary: as common as its more
            # common character (a particle such as 的 or 了 makes it near-worthless).
            f = max(freqs.get(term[0], UNSEEN_FREQUENCY), freqs.get(term[1], UNSEEN_FREQUENCY))
        return max(f or 0.0, UNSEEN_FREQUENCY)

    def doc_probability(self, term: str, lang: str | None) -> float:
        return -math.expm1(-self.doc_length * self.frequency(term, lang))


@dataclass
class DocFrequencies:
    """Document frequencies of the corpus being processed: plain, mergeable, serialisable.

    >>> a = DocFrequencies(); a.add(["x", "y", "x"]); b = DocFrequencies(); b.add(["x"])
    >>> a.merge(b); (a.docs, a.df["x"], a.df["y"])
    (2, 2, 1)
    """

    docs: int = 0
    df: dict[str, int] = field(default_factory=Counter)

    def add(self, terms) -> None:
        self.docs += 1
        df = self.df
        if isinstance(terms, dict):  # a Counter: its keys are distinct already
            if type(df) is Counter:
                df.update(terms.keys())  # counted in C
                return
            terms = terms.keys()
        else:
            terms = set(terms)
        for t in terms:
            df[t] = df.get(t, 0) + 1

    def merge(self, other: DocFrequencies) -> None:
        self.docs += other.docs
        for t, n in other.df.items():
            self.df[t] = self.df.get(t, 0) + n

    def to_state(self) -> dict:
        return {"docs": self.docs, "df": dict(self.df)}

    @classmethod
    def from_state(cls, state: dict) -> DocFrequencies:
        return cls(docs=int(state["docs"]), df=Counter({str(k): int(v) for k, v in state["df"].items()}))


def idf(df: int, docs: int, background_p: float, prior_docs: float) -> float:
    """Blended inverse document frequency: the background counts as ``prior_docs`` pseudo-documents.

    >>> round(idf(2, 2, 4e-6, 1000.0), 2)   # a name shared by the only two articles
    6.21
    >>> round(idf(2, 2, 1.0, 1000.0), 2)    # "the"
    0.0
    """
    return max(0.0, math.log((docs + prior_docs) / (df + prior_docs * background_p)))


def term_weights(counts: dict[str, int], idfs: dict[str, float], top: int) -> dict[str, float]:
    """Top ``top`` terms by sublinear tf * idf, L2-normalised. Ties by term for determinism."""
    scored = [(t, (1.0 + math.log(n)) * idfs[t]) for t, n in counts.items()]
    scored = [x for x in scored if x[1] > 0.0]
    scored.sort(key=lambda x: (-x[1], x[0]))
    scored = scored[:top]
    norm = math.sqrt(sum(w * w for _, w in scored)) or 1.0
    return {t: w / norm for t, w in scored}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Dot product of two sparse vectors (already unit length, so this is their cosine)."""
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[t] for t, w in a.items() if t in b)
