"""Line skeletons: a line as elements (literal words and punctuation, or slots of a kind), its skeleton
keys, and the cheap gate keys tried before a line is tokenised. :mod:`cleaner.templates` counts and
learns the skeletons; see its documentation for what each skeleton means."""

from __future__ import annotations

import re

from .text import count_words

#: Headline-like lines after a list marker have at most this many words.
HEADLINE_MAX_WORDS = 20

_DIGITS = re.compile(r"\d")
_NONE: frozenset = frozenset()


def _gate_keys(line: str, bodylike: bool) -> tuple[str, ...]:
    """A line's first word, its last and its longest if that has at least 5 letters (digits as 0, case
    folded); for a line that reads like article text, whose first and last words recur anyway, the
    first two words and the last two instead."""
    split = line.split()
    n = 2 if bodylike else 1
    first, last = " ".join(split[:n]).casefold(), " ".join(split[-n:]).casefold()
    if _DIGITS.search(first) or _DIGITS.search(last):
        first, last = _DIGITS.sub("0", first), _DIGITS.sub("0", last)
    longest = max(split, key=len)
    if len(longest) >= 5 and longest.isalpha():
        return ("<" + first, ">" + last, "=" + longest.casefold())
    return ("<" + first, ">" + last)


_TOKEN = re.compile(
    r"(?P<EMAIL>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)|(?P<URL>https?://\S+|www\.\S+)|(?P<HANDLE>@\w+)"
    r"|(?P<NUM>[^\W\d]*\d(?:[\w'’.:/-]*\w)?)|(?P<WORD>\w+(?:['’.-]\w+)*)|(?P<PUNCT>[^\w\s])"
)
_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre "
    "januar februar märz juni juli oktober dezember "
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre "
    "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre "
    "janeiro fevereiro março maio junho julho setembro outubro novembro dezembro "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)
_SEPARATORS = frozenset(":|—–»›>/•·-")


_KEYS = {"EMAIL": "<EMAIL>", "URL": "<URL>", "HANDLE": "<HANDLE>", "NUM": "<NUM>"}
_RUNS = frozenset(("<NAME>", "<NUM>", "<DATE>"))


#: Lines with none of these (and no digit) hold only words and punctuation: tokenised by :data:`_PLAIN`.
_SPECIAL = re.compile(r"[@\d]|://|www\.")
_PLAIN = re.compile(r"\w+(?:['’.-]\w+)*|[^\w\s]")
_WORD_CHAR = re.compile(r"\w")


_LITERAL: dict[str, tuple] = {}  # token -> its literal element (token, (token,)): shared, not made again
_SLOT_W: dict[str, tuple] = {}  # word -> its loose element ("<W>", (word,))
_MEMO = 20_000


def _literal(token: str) -> tuple:
    element = (token, (token,))
    if len(_LITERAL) < _MEMO:
        _LITERAL[token] = element
    return element


def _slot_w(word: str, tokens: tuple) -> tuple:
    element = ("<W>", tokens)
    if len(_SLOT_W) < _MEMO:
        _SLOT_W[word] = element
    return element


def elements(line: str) -> list[tuple[str, tuple[str, ...]]]:
    """The line as skeleton elements: (key, literal tokens); key is a literal word or punctuation, or a
    slot kind (``<NAME>``, ``<NUM>``, ...). Runs of capitalised words are one ``<NAME>`` element."""
    out: list[tuple[str, tuple[str, ...]]] = []
    separators = 0
    if _SPECIAL.search(line) is None:  # words and punctuation only: the common case, tokenised faster
        for token in _PLAIN.findall(line):
            if len(token) > 1 or _WORD_CHAR.match(token):
                if token[0].isupper():
                    key = "<DATE>" if token.casefold() in _MONTHS else "<NAME>"
                elif token in _MONTHS:
                    key = "<DATE>"
                else:
                    out.append(_LITERAL.get(token) or _literal(token))
                    continue
                if out and out[-1][0] == key:  # a run of names (or dates)
                    out[-1] = (key, out[-1][1] + (token,))
                else:
                    out.append((key, (token,)))
            else:
                separators += token in _SEPARATORS
                out.append(_LITERAL.get(token) or _literal(token))
    else:
        for match in _TOKEN.finditer(line):
            kind, token = match.lastgroup, match.group()
            if kind == "WORD":
                if token[0].isupper():
                    key = "<DATE>" if token.casefold() in _MONTHS else "<NAME>"
                elif token in _MONTHS:
                    key = "<DATE>"
                else:
                    out.append(_LITERAL.get(token) or _literal(token))
                    continue
            elif kind == "PUNCT":
                separators += token in _SEPARATORS
                out.append(_LITERAL.get(token) or _literal(token))
                continue
            else:
                key = _KEYS[kind]
            if out and out[-1][0] == key and key in _RUNS:
                out[-1] = (key, out[-1][1] + (token,))
            else:
                out.append((key, (token,)))
    if separators < 2:
        return out
    # breadcrumbs: "A > B > C > D" -> "A (> B)+": collapse repeated (separator, slot) pairs
    collapsed: list[tuple[str, tuple[str, ...]]] = []
    for el in out:
        if (
            len(collapsed) >= 3 and el[0].startswith("<") and collapsed[-1][0] in _SEPARATORS
            and (collapsed[-1][0], el[0]) == (collapsed[-3][0].rstrip("+"), collapsed[-2][0])
        ):
            sep = collapsed.pop()[0]
            collapsed[-1] = (collapsed[-1][0], ())  # a repeated slot: no constant words
            collapsed[-2] = (sep + "+", (sep,))
            continue
        collapsed.append(el)
    return collapsed


_LOOSE: dict[str, bool] = {}  # literal word -> whether it is a <W> slot in the loose skeleton (memo)


def _loose(word: str) -> bool:
    found = _LOOSE.get(word)
    if found is None:
        found = len(word) > 2 and word[0].isalpha() and word.casefold() not in _FUNCTION
        if len(_LOOSE) < 100_000:
            _LOOSE[word] = found
    return found


def skeleton_keys(els: list[tuple[str, tuple[str, ...]]]) -> list[tuple[int, list, bool]]:
    """(key, the elements the key covers, whether a free text slot ends it) for the line's skeletons
    (see the module doc), most specific first. In the skeleton every word that is not a function word
    is a ``<W>`` slot too (a desk, a beat), whose constancy is learned like a name's."""
    els = tuple(els)  # tuples only: what is kept while learning is then invisible to the garbage collector
    full = [k for k, _ in els]
    out = []
    if els and full[0] == "<NAME>":
        out.append(((0, els[0][1][0], *full), els, False))
    loose, keys = [], [1]
    memo = _LOOSE.get
    for el in els:
        k, t = el
        if not t or k != t[0]:
            loose.append(el)
            keys.append(k)
            continue
        w = memo(k)
        if w is None:
            w = _loose(k)
        if w:
            loose.append(_SLOT_W.get(k) or _slot_w(k, t))
            keys.append("<W>")
        else:
            loose.append(el)
            keys.append(k)
    out.append((tuple(keys), tuple(loose), False))
    for n, k in enumerate(full[:6]):
        if 0 < n < len(els) - 1 and k.rstrip("+") in _SEPARATORS:
            out.append(((2, *full[: n + 1], "<TEXT>"), els[: n + 1], True))
            break
    return tuple(out)


_FUNCTION = frozenset(
    "the and for with from that this our your their his her its are was were has have had not but more "
    "about into over after than all any can will who what when where which how new per via".split()
)


#: A template of sentence-like lines without contact details keeps at least this share of its words
#: constant, and at least :data:`MIN_CONSTANT_WORDS` constant words that are not function words.
CONSTANT_WORDS_SHARE = 0.6
MIN_CONSTANT_WORDS = 3


def _mostly_constant(parts, first, text: bool) -> bool:
    """Whether a template's constant words are most of its reference line's words (a fixed sentence
    with a date, a number or a name in it), not a shape that unrelated sentences share."""
    if text:
        return False  # a free text slot: anything may follow
    constant = slotted = content = 0
    for (kind, literal, pre, suf), (_, tokens) in zip(parts, first):
        words = [t for t in tokens if t[:1].isalnum()]
        if literal is not None and not kind.startswith("<"):
            kept = [literal] if literal[:1].isalnum() else []
        elif literal is not None:
            kept = literal.split()
        else:
            kept = [*pre, *suf]
            slotted += max(len(words) - len(kept), 1 if kind.startswith("<") else 0)
        constant += len(kept)
        content += sum(1 for w in kept if len(w) > 2 and w.isalpha() and w.casefold() not in _FUNCTION)
    return content >= MIN_CONSTANT_WORDS and constant >= CONSTANT_WORDS_SHARE * (constant + slotted)


def is_headline(line: str, words: int | None = None) -> bool:
    """A line that reads like a headline in a list: a few words, no sentence ending it (a question may)."""
    words = count_words(line) if words is None else words
    return 2 <= words <= HEADLINE_MAX_WORDS and not line.rstrip().endswith((".", ",", ";", ":"))


class Words:
    """Word counts of lines (:func:`~cleaner.text.count_words`), counted when first asked for
    (``counts``: those counted already, line number -> words)."""

    def __init__(self, lines: list[str], counts: dict[int, int] | None = None):
        self.lines, self.counts = lines, {} if counts is None else counts

    def __getitem__(self, i: int) -> int:
        if (n := self.counts.get(i)) is None:
            n = self.counts[i] = count_words(self.lines[i])
        return n

    def fill(self, numbers) -> dict[int, int]:
        """Count the lines ``numbers`` now; the counts."""
        for i in numbers:
            self[i]  # noqa: B018 - counted into self.counts
        return self.counts
