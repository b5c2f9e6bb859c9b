"""Line templates a site repeats with its slots filled in: furniture no rule names and no exact copy finds.

A site's bio line, byline, breadcrumb, dateline or rights line is the same skeleton in every article,
with a name, a date, a section or a year in its slots. :class:`SiteTemplates` learns those skeletons
from the site's (normalised) articles in one pass; :class:`cleaner.learned.SiteLearning` removes the
lines that fit a learned skeleton under :data:`CODE`.

**Skeletons.** A candidate line is tokenised; e-mail addresses, URLs, handles, numbers and month names
become slots of their kind, each run of capitalised words a *name* slot and each word that is not a
function word a *word* slot, whose constant words are learned: the "By" of "By Jane Smith", the
"Staff Writer" of "Jane Smith, Staff Writer", the "joined the newsroom" of a bio line, while the
reporter's name, the desk or the beat vary. Repeated separator + slot pairs collapse into one
(breadcrumbs of any depth). Three skeletons are counted per line (:func:`skeleton_keys`): with its first
word kept literally (so two families of one shape do not merge), without, and the part before a first
separator (":", "|", "—", "/", ...) followed by a free *text* slot (a headline after "Read more:").

**Which lines.** Only lines that stand where furniture stands are candidates, when learning and when
removing alike: the head block (before the first body paragraph), the tail block (after the last one)
and the :data:`EDGE` first and last lines; never the first line (the title) nor a line inside the body,
whatever its shape. A line that reads like article text (a body paragraph: :func:`cleaner.strip.is_body_line`)
is a candidate only when it carries contact details (an e-mail address, a handle or a URL): a reporter's
bio, not a sentence some articles share.

**Evidence.** A skeleton is learned when it stands in at least :data:`MIN_ARTICLES` distinct articles
of the site and in :data:`MIN_SHARE` of them (each article counted once, so one article's own sentences
are never a template; exact copies of an article are counted once) and keeps at least one constant
word and at least one slot (a line without slots is an exact line, ``REP001``'s). A learned line
standing in the tail that the site's pages follow with two or more headline-like lines (:func:`is_headline`)
in at least 60 % of its articles is a *list marker* ("Related stories", "More from <section>"): the
headline-like lines right after it in the tail are removed too.

**Memory.** At most :data:`MAX_KEYS` skeletons are kept per site, pruned by lossy counting as the exact
line counts are, each with at most :data:`EXAMPLES` example lines and one reference line; the line cache
holds :data:`CACHE` lines per site. A site therefore costs at most a few megabytes while learning,
however many articles it has; what travels on to stripping is only the learned templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .strip import _SENTENCE_END, BODY_MIN_WORDS, is_body_line
from .text import count_words

#: The code template removals carry (described in :mod:`cleaner.codes`).
CODE = "TPL001"
#: Lines of more words than this are never template lines.
MAX_WORDS = 40
#: A template recurs in at least this many distinct articles of its site...
MIN_ARTICLES = 3
#: ... and in at least this share of them.
MIN_SHARE = 0.3
#: A slot's constant words are those of at least this share of the template's lines.
CONSTANT_SHARE = 0.8
#: Lines this near the article's start or end count as standing outside the body (a bio or rights line
#: that reads like a sentence is the article's last "paragraph").
EDGE = 3
#: Skeletons kept per site (lossy counting prunes rare ones; beyond this the rarest are dropped).
MAX_KEYS = 2000
#: Lines whose skeletons are remembered per site while learning, and per site when matching (exact
#: repeats of furniture are common).
CACHE = 128
#: Example lines kept per skeleton (for ``rules learn``).
EXAMPLES = 3
#: Headline-like lines after a list marker have at most this many words.
HEADLINE_MAX_WORDS = 20
#: A list marker ("Related stories", "More from <section>") has at most this many words.
MARKER_MAX_WORDS = 8
#: At most this many headline lines follow a list marker.
MAX_LIST = 15
_BUCKET = 20
#: A line longer than this (characters) has more than MAX_WORDS words in any script; not counted.
_MAX_CHARS = 400

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
#: What a sentence-like template line must carry (see :func:`_template`): an e-mail, a handle or an address.
_CONTACT = re.compile(r"@|https?://|www\.")
_SEPARATORS = frozenset(":|—–»›>/•·-")
_SLOT = {"EMAIL": "email", "URL": "url", "HANDLE": "handle", "NUM": "number", "DATE": "date", "NAME": "name", "TEXT": "text", "W": "word"}


_KEYS = {"EMAIL": "<EMAIL>", "URL": "<URL>", "HANDLE": "<HANDLE>", "NUM": "<NUM>"}
_RUNS = frozenset(("<NAME>", "<NUM>", "<DATE>"))


def elements(line: str) -> list[tuple[str, tuple[str, ...]]]:
    """The line as skeleton elements: (key, literal tokens); key is a literal word or punctuation, or a
    slot kind (``<NAME>``, ``<NUM>``, ...). Runs of capitalised words are one ``<NAME>`` element."""
    out: list[tuple[str, tuple[str, ...]]] = []
    separators = 0
    for match in _TOKEN.finditer(line):
        kind, token = match.lastgroup, match.group()
        if kind == "WORD":
            if token[0].isupper():
                key = "<DATE>" if token.casefold() in _MONTHS else "<NAME>"
            elif token in _MONTHS:
                key = "<DATE>"
            else:
                out.append((token, (token,)))
                continue
        elif kind == "PUNCT":
            separators += token in _SEPARATORS
            out.append((token, (token,)))
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


def skeleton_keys(els: list[tuple[str, tuple[str, ...]]]) -> list[tuple[int, list, bool]]:
    """(key, the elements the key covers, whether a free text slot ends it) for the line's skeletons
    (see the module doc), most specific first. In the skeleton every word that is not a function word
    is a ``<W>`` slot too (a desk, a beat), whose constancy is learned like a name's."""
    full = tuple(k for k, _ in els)
    keys = []
    if els and els[0][0] == "<NAME>":
        keys.append((0, (els[0][1][0], *full), els, False))
    loose = [("<W>", t) if t and k == t[0] and len(k) > 2 and k[0].isalpha() and k.casefold() not in _FUNCTION else (k, t) for k, t in els]
    keys.append((1, tuple(k for k, _ in loose), loose, False))
    for n, (k, _) in enumerate(els[:6]):
        if k.rstrip("+") in _SEPARATORS and 0 < n < len(els) - 1:
            keys.append((2, (*full[: n + 1], "<TEXT>"), els[: n + 1], True))
            break
    out = []
    for n, key, covered, text in keys:
        out.append(((n, *key), covered, text))
    return out


_FUNCTION = frozenset(
    "the and for with from that this our your their his her its are was were has have had not but more "
    "about into over after than all any can will who what when where which how new per via".split()
)


@dataclass
class _Skeleton:
    """Counts for one skeleton of one site: articles, lines, sentence-like lines, articles where a
    headline list follows, and for each name slot how many lines share the first example's first/last words."""

    first: list
    text: bool = False
    articles: int = 0
    lines: int = 0
    follow: int = 0
    bodylike: int = 0
    delta: int = 0
    prefix: dict = field(default_factory=dict)
    suffix: dict = field(default_factory=dict)
    examples: list = field(default_factory=list)

    def __post_init__(self):
        for i, (kind, ref) in enumerate(self.first):
            if kind in ("<NAME>", "<W>") and ref:
                self.prefix[i], self.suffix[i] = [0] * len(ref), [0] * len(ref)

    def add_line(self, els, line: str, bodylike: bool) -> None:
        self.lines += 1
        self.bodylike += bodylike
        if len(self.examples) < EXAMPLES and line not in self.examples:
            self.examples.append(line)
        for i, pre in self.prefix.items():
            ref, tokens = self.first[i][1], els[i][1]
            if ref == tokens:
                for k in range(len(ref)):
                    pre[k] += 1
                continue
            suf = self.suffix[i]
            for k in range(_common(ref, tokens)):
                pre[k] += 1
            for k in range(_common(ref[::-1], tokens[::-1])):
                suf[k] += 1


def _common(a, b) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


@dataclass(frozen=True)
class Template:
    """A learned template: its elements (literal words, or slots with their constant first/last words),
    ``key`` (the skeleton's hash), whether a headline list follows it (``marker``) and example lines."""

    key: tuple
    parts: tuple  # (kind, literal or None, constant prefix tuple, constant suffix tuple)
    text: bool
    marker: bool
    examples: tuple
    articles: int

    def accepts(self, els) -> bool:
        for (kind, literal, pre, suf), (_, tokens) in zip(self.parts, els):
            if kind in ("<NAME>", "<W>") and (tokens[: len(pre)] != pre or (suf and tokens[-len(suf):] != suf)):
                return False
        return True

    def anchor(self) -> str:
        """The template's longest constant word (every line it fits holds it)."""
        words = [w for kind, literal, pre, suf in self.parts for w in ((literal.rstrip("+"),) if literal is not None and not kind.startswith("<") else (*pre, *suf))]
        return max(words, key=len, default="")

    def shown(self) -> str:
        """The skeleton for people: literal words, slots in angle brackets with their constant words."""
        out = []
        for kind, literal, pre, suf in self.parts:
            if literal is not None:
                out.append(literal)
            else:
                out.append(" ".join((*pre, f"<{_SLOT.get(kind.strip('<>+'), 'slot')}>", *suf)).strip())
        if self.text:
            out.append("<text>")
        return " ".join(out)


@dataclass
class SiteTemplates:
    """One site's skeleton counts (``add`` per article), then ``learned(articles)``."""

    articles: int = 0
    skeletons: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict, repr=False)  # line -> its skeleton keys (bounded, FIFO)

    def add(self, lines: list[str]) -> None:
        self.articles += 1
        stripped = [s for s in (line.strip() for line in lines) if s]
        words = _Words(stripped)
        first, last = _bounds(stripped, words)
        seen: set = set()
        followed: set = set()
        bucket = (self.articles - 1) // _BUCKET
        for i, line in enumerate(stripped):
            if i == 0 or (first <= i <= last and EDGE <= i < len(stripped) - EDGE):
                continue  # the title (first line) and lines inside the body: never template lines
            if len(line) > _MAX_CHARS or words[i] > MAX_WORDS:
                continue
            bodylike = is_body_line(line, words[i])
            if bodylike and not _CONTACT.search(line):
                continue  # reads like article text and carries no contact details: never a template line
            keys = self.cache.get(line)
            if keys is None:
                keys = skeleton_keys(elements(line))
                if len(self.cache) >= CACHE:
                    self.cache.pop(next(iter(self.cache)))
                self.cache[line] = keys
            head_list = i > last and words[i] <= MARKER_MAX_WORDS and i + 2 < len(stripped) and is_headline(stripped[i + 1], words[i + 1]) and is_headline(stripped[i + 2], words[i + 2])
            for key, covered, text in keys:
                state = self.skeletons.get(key)
                if state is None:
                    state = self.skeletons[key] = _Skeleton(first=list(covered), text=text, delta=bucket)
                state.add_line(covered, line, bodylike)
                if key not in seen:
                    seen.add(key)
                    state.articles += 1
                if head_list and key not in followed:
                    followed.add(key)
                    state.follow += 1
        if self.articles % _BUCKET == 0 or len(self.skeletons) > 2 * MAX_KEYS:
            self._prune()

    def _prune(self) -> None:
        limit = self.articles // _BUCKET
        for key in [k for k, s in self.skeletons.items() if s.articles + s.delta <= limit]:
            del self.skeletons[key]
        if len(self.skeletons) > MAX_KEYS:
            keep = sorted(self.skeletons, key=lambda k: self.skeletons[k].articles, reverse=True)[:MAX_KEYS]
            self.skeletons = {k: self.skeletons[k] for k in keep}

    def learned(self, min_articles: int = MIN_ARTICLES, min_share: float = MIN_SHARE) -> dict[tuple, Template]:
        need = max(min_articles, min_share * self.articles)
        out, shown = {}, set()
        for key in sorted(self.skeletons, key=lambda k: k[0]):  # the most specific skeleton of a line first
            s = self.skeletons[key]
            if s.articles + s.delta < need:  # lossy counting: the count, plus what pruning may have missed
                continue
            template = _template(key, s)
            if template is not None and template.shown() not in shown:
                out[key] = template
                shown.add(template.shown())
        return out


class _Words:
    """Word counts of lines, counted when first asked for."""

    def __init__(self, lines: list[str]):
        self.lines, self.counts = lines, {}

    def __getitem__(self, i: int) -> int:
        n = self.counts.get(i)
        if n is None:
            n = self.counts[i] = count_words(self.lines[i])
        return n


def _bounds(lines: list[str], words) -> tuple[int, int]:
    """The first and last body line (as :func:`cleaner.strip.layout` finds them; (len, -1) when none),
    counting the words of only the lines it looks at."""
    def body(i: int) -> bool:
        return _SENTENCE_END.search(lines[i]) is not None and (len(lines[i]) > _MAX_CHARS or words[i] >= BODY_MIN_WORDS)

    first = next((i for i in range(len(lines)) if body(i)), len(lines))
    if first == len(lines):
        return first, -1
    return first, next(i for i in range(len(lines) - 1, first - 1, -1) if body(i))


def _template(key: tuple, s: _Skeleton) -> Template | None:
    parts, constant = [], False
    for i, (kind, tokens) in enumerate(s.first):
        if kind in ("<NAME>", "<W>"):
            pre = _constant(s.prefix.get(i), s.lines, tokens)
            suf = _constant(s.suffix.get(i), s.lines, tokens[::-1])[::-1]
            if len(pre) == len(tokens):
                suf = ()
            constant |= any(len(t) > 1 and t.isalpha() for t in pre + suf)
            parts.append((kind, " ".join(tokens) if len(pre) == len(tokens) else None, pre, suf))
        elif kind.startswith("<") and kind.endswith((">", ">+")):
            parts.append((kind, None, (), ()))
        else:
            literal = kind.rstrip("+") if len(kind) > 1 else kind
            constant |= len(literal) > 1 and any(c.isalpha() for c in literal)
            parts.append((kind, literal if not kind.endswith("+") else literal + "+", (), ()))
    slots = {kind.strip("<>+") for kind, literal, _, _ in parts if literal is None}
    marker = 5 * s.follow >= 3 * s.articles
    if not constant or not (slots or s.text or marker):
        return None  # no constant word, or no slot (an exact line, REP001's, unless it heads lists)
    if 2 * s.bodylike > s.lines and not slots & {"EMAIL", "HANDLE", "URL"}:
        return None  # a line that reads like article text is furniture only when it carries contact details
    return Template(key, tuple(parts), s.text, marker, tuple(s.examples), s.articles)


def _constant(counts, lines: int, tokens) -> tuple:
    if not counts:
        return ()
    n = 0
    while n < len(counts) and counts[n] >= CONSTANT_SHARE * lines:
        n += 1
    return tuple(tokens[:n])


def is_headline(line: str, words: int | None = None) -> bool:
    """A line that reads like a headline in a list: a few words, no sentence ending it (a question may)."""
    words = count_words(line) if words is None else words
    return 2 <= words <= HEADLINE_MAX_WORDS and not line.rstrip().endswith((".", ",", ";", ":"))

