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
and the :data:`EDGE` first and the :data:`TAIL_EDGE` last lines (when removing: the :data:`EDGE` last
lines still kept, see :meth:`cleaner.learned.SiteLearning.extend`); never the first line (the title)
nor a line inside the body, whatever its shape. Before a line is tokenised it passes a cheap gate
(:meth:`SiteTemplates._passes`): another article of the site had a line sharing its first, last or
longest word.

**Evidence.** A skeleton is learned when it stands in at least :data:`MIN_ARTICLES` distinct articles
of the site and in :data:`MIN_SHARE` of them (each article counted once, so one article's own sentences
are never a template; exact copies of an article are counted once) and keeps at least one constant
word and at least one slot (a line without slots is an exact line, ``REP001``'s). A skeleton of lines
that read like article text (:func:`cleaner.strip.is_body_line`) is learned only with contact details
(an e-mail address, a handle or a URL) or when it is mostly constant (:func:`_mostly_constant`) with no
word slot filled from the article's own title; only such a template fits a sentence-like line. A
learned line that the site's pages follow with two or more headline-like lines (:func:`is_headline`)
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

from .skeletons import _NONE, Words, _gate_keys, _mostly_constant, elements, is_headline, skeleton_keys
from .strip import _SENTENCE_END, BODY_MIN_WORDS, is_body_line

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
#: Lines this near the article's end are counted while learning: furniture that reads like a sentence
#: may have more furniture after it (a list, a rights line); it is removed only once what follows it is.
TAIL_EDGE = 8
#: Skeletons kept per site (lossy counting prunes rare ones; beyond this the rarest are dropped).
MAX_KEYS = 2000
#: Lines whose skeletons are remembered per site while learning, and per site when matching (exact
#: repeats of furniture are common).
CACHE = 128
#: Example lines kept per skeleton (for ``rules learn``).
EXAMPLES = 3
#: A list marker ("Related stories", "More from <section>") has at most this many words.
MARKER_MAX_WORDS = 8
#: At most this many headline lines follow a list marker.
MAX_LIST = 15
_BUCKET = 20
#: Gate keys kept per site at most (see :meth:`SiteTemplates._passes`).
_GATE = 8 * MAX_KEYS
#: Values remembered per word slot of sentence-like lines (to see whether a value comes again).
_VALUES = 16
#: A line longer than this (characters) has more than MAX_WORDS words in any script; not counted.
_MAX_CHARS = 400

#: What a sentence-like template line must carry (see :func:`_template`): an e-mail, a handle or an address.
_CONTACT = re.compile(r"@|https?://|www\.")
_SLOT = {"EMAIL": "email", "URL": "url", "HANDLE": "handle", "NUM": "number", "DATE": "date", "NAME": "name", "TEXT": "text", "W": "word"}

class _Title(str):
    """An article's title words, case folded, in one string (a frozenset took ~2 KB an article); ``in`` as for the set."""

    __slots__ = ()

    @classmethod
    def of(cls, line: str) -> "_Title":
        return cls(" " + " ".join(line.casefold().split()) + " ")

    def __contains__(self, word: str) -> bool:
        return bool(word) and word.split() == [word] and str.__contains__(self, f" {word} ")


@dataclass
class _Skeleton:
    """Counts for one skeleton of one site: articles, lines, sentence-like lines, articles where a
    headline list follows, and for each name slot how many lines share the first example's first/last words."""

    first: tuple
    text: bool = False
    articles: int = 0
    lines: int = 0
    follow: int = 0
    bodylike: int = 0
    delta: int = 0
    last: int = -1  # the last article counted
    followed: int = -1  # the last article counted in ``follow``
    prefix: dict = field(default_factory=dict)
    suffix: dict = field(default_factory=dict)
    examples: list = field(default_factory=list)
    words: dict = field(default_factory=dict)  # word slot -> up to _VALUES values seen, in sentence-like lines
    repeated: set = field(default_factory=set)  # word slots of sentence-like lines one of whose values came again
    titled: set = field(default_factory=set)  # word slots of sentence-like lines filled once with a word of the title

    def __post_init__(self):
        for i, (kind, ref) in enumerate(self.first):
            if kind in ("<NAME>", "<W>") and ref:
                self.prefix[i], self.suffix[i] = [0] * len(ref), [0] * len(ref)

    def add_line(self, els, line: str, bodylike: bool, title: frozenset = frozenset()) -> None:
        self.lines += 1
        self.bodylike += bodylike
        if bodylike:
            for i, (kind, tokens) in enumerate(els):
                if kind == "<W>" and i not in self.titled and tokens and tokens[0].casefold() in title:
                    self.titled.add(i)
                if kind == "<W>" and i not in self.repeated:
                    seen = self.words.setdefault(i, set())
                    if tokens in seen:
                        self.repeated.add(i)
                    elif len(seen) < _VALUES:
                        seen.add(tokens)
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
    sentence: bool = False  # learned from lines that read like article text (see _template)

    def accepts(self, els) -> bool:
        for (kind, literal, pre, suf), (_, tokens) in zip(self.parts, els):
            if kind in ("<NAME>", "<W>") and (tokens[: len(pre)] != pre or (suf and tokens[-len(suf):] != suf)):
                return False
        return True

    def to_json(self) -> dict:
        """The template as JSON values (what the corpus index stores; :meth:`from_json` reads it back)."""
        return {
            "key": list(self.key),
            "parts": [[kind, literal, list(pre), list(suf)] for kind, literal, pre, suf in self.parts],
            "text": self.text, "marker": self.marker, "examples": list(self.examples), "articles": self.articles,
            "sentence": self.sentence,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Template":
        parts = tuple((kind, literal, tuple(pre), tuple(suf)) for kind, literal, pre, suf in data["parts"])
        return cls(tuple(data["key"]), parts, bool(data["text"]), bool(data["marker"]), tuple(data["examples"]), int(data["articles"]), bool(data.get("sentence")))

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
    pending: dict = field(default_factory=dict, repr=False)  # skeletons seen in one article only: key -> its first line
    gate: dict = field(default_factory=dict, repr=False)  # gate key -> (article, waiting line id or None once open, bucket)
    waiting: dict = field(default_factory=dict, repr=False)  # waiting line id -> what _count needs
    _waiting_id: int = field(default=0, repr=False)

    def add(self, lines: list[str], layout: tuple | None = None) -> None:
        """Count an article's lines. ``layout``: what :func:`article_layout` gives for them, computed ahead."""
        self.articles += 1
        stripped, counts, first, last = layout or article_layout(lines)
        words = Words(stripped, counts)
        bucket = (self.articles - 1) // _BUCKET
        title = None  # the words of the article's title (first line), for sentence-like lines
        for i, line in enumerate(stripped):
            if i == 0 or (first <= i <= last and EDGE <= i < len(stripped) - TAIL_EDGE):
                continue  # the title (first line) and lines inside the body: never template lines
            if len(line) > _MAX_CHARS or words[i] > MAX_WORDS:
                continue
            bodylike = is_body_line(line, words[i])  # reads like article text: a template only if mostly constant
            head_list = words[i] <= MARKER_MAX_WORDS and i + 2 < len(stripped) and is_headline(stripped[i + 1], words[i + 1]) and is_headline(stripped[i + 2], words[i + 2])
            if bodylike and title is None:
                title = _Title.of(stripped[0])
            entry = (line, bodylike, head_list, self.articles, bucket, title if bodylike else _NONE)
            if _CONTACT.search(line) is None and not self._passes(line, entry):
                continue  # waits until another article shares a word of it (then it is counted)
            self._count(*entry)
        if self.articles % _BUCKET == 0 or len(self.skeletons) > 2 * MAX_KEYS or len(self.pending) > 4 * MAX_KEYS or len(self.gate) > _GATE:
            self._prune()

    def _passes(self, line: str, entry: tuple) -> bool:
        """The cheap gate before a line is tokenised and counted: whether another article had a line
        with its first two words, its last two or its longest word (digits as 0, case folded). If not,
        the line waits (``entry``), and is counted when a later article's line opens one of its keys:
        a template stands in several articles, and each of its lines shares constant words with the
        others, so nothing a template needs is lost, while most of an article's own lines wait forever."""
        hit = False
        waiting = None
        for key in _gate_keys(line, entry[1]):
            found = self.gate.get(key)
            if found is None:
                if waiting is None:
                    waiting = self._waiting_id = self._waiting_id + 1
                    self.waiting[waiting] = entry
                self.gate[key] = (entry[3], waiting, entry[4])
            elif found[0] != entry[3]:
                hit = True
                if found[1] is not None:
                    self.gate[key] = (0, None, entry[4])  # open: later lines with this key pass at once
                    earlier = self.waiting.pop(found[1], None)
                    if earlier is not None:
                        self._count(*earlier)
        if hit and waiting is not None:
            self.waiting.pop(waiting, None)
        return hit

    def _count(self, line: str, bodylike: bool, head_list: bool, article: int, bucket: int, title: frozenset = frozenset()) -> None:
        """Count one line of article number ``article`` under each of its skeletons (``title``: the
        words of the article's title, for a sentence-like line)."""
        keys = self.cache.get(line)
        if keys is None:
            keys = skeleton_keys(elements(line))
            if len(self.cache) >= CACHE:
                self.cache.pop(next(iter(self.cache)))
            self.cache[line] = keys
        for key, covered, text in keys:
            if text and bodylike:
                continue  # a sentence-like line is never a template with a free text slot (see _template)
            state = self.skeletons.get(key)
            if state is None:
                waiting = self.pending.get(key)
                if waiting is None or waiting[6] == article:  # seen in one article so far: kept cheaply
                    if waiting is None:
                        self.pending[key] = (covered, line, bodylike, text, bucket, head_list, article, title)
                    elif head_list and not waiting[5]:
                        self.pending[key] = (*waiting[:5], True, article, waiting[7])
                    continue
                del self.pending[key]
                first_covered, first_line, first_bodylike, _, delta, first_list, first_article, first_title = waiting
                state = self.skeletons[key] = _Skeleton(first=first_covered, text=text, delta=delta)
                state.add_line(first_covered, first_line, first_bodylike, first_title)
                state.articles, state.last = 1, first_article
                if first_list:
                    state.follow, state.followed = 1, first_article
            state.add_line(covered, line, bodylike, title)
            if state.last != article:
                state.last = article
                state.articles += 1
            if head_list and state.followed != article:
                state.followed = article
                state.follow += 1

    def _prune(self) -> None:
        limit = self.articles // _BUCKET
        # a skeleton seen in one article counts 1 (lossy counting, as the others); so does a waiting line
        self.pending = {k: v for k, v in self.pending.items() if 1 + v[4] > limit}
        self.waiting = {k: v for k, v in self.waiting.items() if 1 + v[4] > limit}
        self.gate = {k: v for k, v in self.gate.items() if v[1] is None or v[1] in self.waiting}
        if len(self.gate) > _GATE:
            self.gate = dict(list(self.gate.items())[-_GATE // 2:])  # the newest
        if len(self.pending) > 4 * MAX_KEYS:
            self.pending = dict(list(self.pending.items())[-2 * MAX_KEYS:])  # the newest
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


def article_layout(lines: list[str]) -> tuple[list[str], dict[int, int], int, int]:
    """What :meth:`SiteTemplates.add` reads before it counts (a pure function, so it may run in another
    process): the non-blank lines stripped, word counts (line -> words), the first and last body line."""
    stripped = [s for s in (line.strip() for line in lines) if s]
    words = Words(stripped)
    first, last = _bounds(stripped, words)
    looked_at = (i for i, line in enumerate(stripped) if i and not (first <= i <= last and EDGE <= i < len(stripped) - TAIL_EDGE) and len(line) <= _MAX_CHARS)
    return stripped, words.fill(looked_at), first, last


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
            parts.append((kind, " ".join(tokens) if tokens and len(pre) == len(tokens) else None, pre, suf))  # a collapsed (repeated) slot has no tokens
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
    sentence = 2 * s.bodylike > s.lines
    if sentence and not slots & {"EMAIL", "HANDLE", "URL"}:
        # a line that reads like article text is furniture only with contact details, or when it is mostly
        # constant words and each word slot draws on a few values (a desk, a section): a word that differs
        # in every article is the article's own
        free = [i for i, (kind, literal, _, _) in enumerate(parts) if kind == "<W>" and literal is None]
        if not _mostly_constant(parts, s.first, s.text) or any(i not in s.repeated and i in s.titled for i in free):
            return None
    return Template(key, tuple(parts), s.text, marker, tuple(s.examples), s.articles, sentence)


def _constant(counts, lines: int, tokens) -> tuple:
    if not counts:
        return ()
    n = 0
    while n < len(counts) and counts[n] >= CONSTANT_SHARE * lines:
        n += 1
    return tuple(tokens[:n])
