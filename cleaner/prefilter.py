"""Literal prefilters for rule patterns: a cheap test that a line *cannot* match, before the regex runs.

Most lines of an article match no rule, and most rules name words (``newsletter``, ``copyright``,
``past performance``) that a line must contain somewhere for the pattern to match. From the parsed
pattern (``re``'s own parser) :func:`required_literals` derives a set of strings such that **every**
match of the pattern contains at least one of them; a line that contains none of them (after
:func:`fold`) cannot match, so the regex is not run on it. The derivation only ever over-approximates
what a pattern can match (a node it does not understand imposes nothing), so the prefilter never
changes a result, only the time: a rule with no literal (``^\\w+$``) simply has no prefilter.
:class:`LiteralScan` finds, in one pass over a line, which rules' literals it holds, and
:class:`RulePlan` combines that with each rule's ``max_words``, ``where`` and ``sites`` into the
rules worth trying on the line, in rulebook order.

Case: lines and literals are compared after :func:`fold`, which lowercases ASCII letters and maps the
four non-ASCII characters that ``re.IGNORECASE`` matches to an ASCII letter (``İ ı ſ K``, found by
trying every code point; ``tests/test_prefilter.py`` tries them again). A literal character is
lowercased too, unless ``re`` equates it with more than its case pair (``ſ``, ``µ``, Greek final
sigma...: those impose nothing), so folding serves case-sensitive and case-insensitive rules alike.

>>> sorted(required_literals(r"\\bsign up for (?:our|the) newsletter\\b"))
['sign up for our newsletter', 'sign up for the newsletter']
>>> required_literals(r"^\\w+$") is None
True
"""

from __future__ import annotations

import itertools
import re
from re import _constants as C  # noqa: N812 - the parser's opcodes
from re import _casefix, _parser
from typing import Iterator

#: Bounds on the exact sets a node may expand to (strings, and characters per string).
MAX_SET = 32
MAX_LENGTH = 40
#: A prefilter whose shortest literal is shorter than this is not worth testing.
MIN_LITERAL = 1
#: With at most this many rules with literals left for a line (a long paragraph, which most rules'
#: ``max_words`` exclude), their literals are tested one by one instead of scanning for all of them.
FEW_RULES = 4


def fold(line: str) -> str:
    """The line as prefilters compare it: lowercased, with the four characters above mapped."""
    if line.isascii():
        return line.lower()
    if "\u0130" in line:  # before lower(), which makes it i and a combining dot
        line = line.replace("\u0130", "i")
    folded = line.lower()  # the Kelvin sign becomes k
    if "\u0131" in folded:
        folded = folded.replace("\u0131", "i")
    if "\u017f" in folded:
        folded = folded.replace("\u017f", "s")
    return folded


def _char(code: int) -> str | None:
    """A pattern's literal character as folded, or None when case rules make it unsafe to test: a
    character ``re.IGNORECASE`` equates with another one beyond its simple case pair (``_casefix``)."""
    ch = chr(code)
    if code < 128:
        return ch.lower()
    low = ch.lower()
    if len(low) != 1 or ord(low) in _casefix._EXTRA_CASES or ch in _CASEFIX_TARGETS:
        return None
    return low


#: Characters ``re.IGNORECASE`` equates with a character other than their case pair.
_CASEFIX_TARGETS = frozenset(chr(c) for values in _casefix._EXTRA_CASES.values() for c in values) | frozenset("\u0130\u0131\u017f\u212a")


class _Info:
    """What a node can match: ``exact``, a superset of the strings it matches (None: too many), and
    ``need``, an OR-set of strings one of which every match contains (None: nothing known)."""

    __slots__ = ("exact", "need")

    def __init__(self, exact: frozenset[str] | None = None, need: frozenset[str] | None = None):
        self.exact, self.need = exact, need

    def required(self) -> frozenset[str] | None:
        """The best OR-set this node guarantees (its exact strings, when they are all non-empty)."""
        if self.exact is not None and "" not in self.exact:
            return _better(self.exact, self.need)
        return self.need


def _score(strings: frozenset[str] | None) -> tuple[int, int]:
    if not strings or "" in strings:
        return (-1, 0)
    return (min(len(s) for s in strings), -len(strings))


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    return a if _score(a) >= _score(b) else b


def _product(a: frozenset[str], b: frozenset[str]) -> frozenset[str] | None:
    if len(a) * len(b) > MAX_SET:
        return None
    joined = frozenset(x + y for x, y in itertools.product(a, b))
    return joined if all(len(s) <= MAX_LENGTH for s in joined) else None


def _sequence(items) -> _Info:
    """A concatenation: runs of exact nodes are multiplied out; the best run or node's need wins."""
    run: frozenset[str] | None = frozenset({""})
    best: frozenset[str] | None = None
    all_exact = True
    for op, av in items:
        info = _node(op, av)
        if info.exact is not None:
            joined = _product(run, info.exact)
            if joined is None:  # too many: keep what the run guarantees so far and start again
                best, run, all_exact = _better(best, run), info.exact, False
            else:
                run = joined
        else:
            best, run, all_exact = _better(_better(best, run), info.need), frozenset({""}), False
    if all_exact:
        return _Info(run, None)
    return _Info(None, _better(best, run))


def _node(op, av) -> _Info:
    if op is C.LITERAL:
        ch = _char(av)
        return _Info(frozenset({ch})) if ch is not None else _Info()
    if op is C.IN:
        chars = set()
        for item_op, item_av in av:
            ch = _char(item_av) if item_op is C.LITERAL else None
            if ch is None:  # a range, a category, a negation: too many characters
                return _Info()
            chars.add(ch)
        return _Info(frozenset(chars)) if len(chars) <= MAX_SET else _Info()
    if op in (C.AT, C.ASSERT_NOT):  # zero width: matches the empty string wherever it holds
        return _Info(frozenset({""}))
    if op is C.ASSERT:  # a lookaround: its text must be in the line, though not in the match
        return _Info(None, _sequence(av[1]).required())
    if op is C.SUBPATTERN:
        return _sequence(av[3])
    if op is C.ATOMIC_GROUP:
        return _sequence(av)
    if op is C.BRANCH:
        infos = [_sequence(branch) for branch in av[1]]
        exact = None
        if all(i.exact is not None for i in infos):
            exact = frozenset().union(*(i.exact for i in infos))
            exact = exact if len(exact) <= MAX_SET else None
        needs = [i.required() for i in infos]
        need = None if any(n is None or "" in n for n in needs) else frozenset().union(*needs)
        return _Info(exact, need)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, high, sub = av
        inner = _sequence(sub)
        if high == 1 and inner.exact is not None:  # x? or x
            return _Info(inner.exact | ({""} if low == 0 else set()))
        return _Info(None, inner.required() if low >= 1 else None)
    return _Info()  # ANY, NOT_LITERAL, group references, conditionals...


def required_literals(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Folded strings one of which every match of ``pattern`` contains, or None when there is no
    useful set (a literal shorter than :data:`MIN_LITERAL`, or none at all)."""
    need = _sequence(_parser.parse(pattern, flags)).required()
    if not need or "" in need or min(len(s) for s in need) < MIN_LITERAL:
        return None
    # A literal that contains another is redundant: the shorter one is in every line the longer is.
    kept = [s for s in need if not any(t != s and t in s for t in need)]
    return frozenset(kept)


def may_match(literals: frozenset[str] | None, folded: str) -> bool:
    """Whether a line (folded) may match a pattern with these :func:`required_literals`."""
    return literals is None or any(s in folded for s in literals)


class LiteralScan:
    """Which of many literal sets a line may satisfy, in one regex pass instead of one test per set.

    The literals of every set go into one trie-shaped pattern inside a lookahead, so ``finditer``
    reports, at each position of the folded line, the *longest* literal that starts there; the
    literals that start there too are its prefixes, so each literal's bit mask already includes
    the sets of its literal prefixes. ``scan(folded)`` is the OR of the masks found, plus the sets
    that have no literals (always candidates): bit ``i`` set means set ``i`` may be satisfied.
    """

    def __init__(self, sets: list[frozenset[str] | None]):
        self.always = 0
        owners: dict[str, int] = {}
        for i, literals in enumerate(sets):
            if literals is None:
                self.always |= 1 << i
                continue
            for s in literals:
                owners[s] = owners.get(s, 0) | 1 << i
        self.masks = {s: 0 for s in owners}
        for s in owners:  # a literal found means its literal prefixes are found too
            for end in range(1, len(s) + 1):
                self.masks[s] |= owners.get(s[:end], 0)
        self.pattern = re.compile(f"(?=({_trie(sorted(owners))}))", re.DOTALL) if owners else None

    def scan(self, folded: str) -> int:
        if self.pattern is None:
            return self.always
        mask, masks = self.always, self.masks
        for found in self.pattern.finditer(folded):
            mask |= masks[found.group(1)]
        return mask


def _trie(words: list[str]) -> str:
    """A regex matching the longest of ``words`` at a position (greedy, longer branches tried first)."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


class RulePlan:
    """Rules (in order) prepared to be tried on many lines: only the rules that may match a line are
    tried, from bit masks of the rules whose literals it holds (:class:`LiteralScan`), whose
    ``max_words`` it fits, whose ``where`` its position allows and whose ``sites`` its article is
    from. The order and the result are those of trying every rule in turn."""

    def __init__(self, rules):
        self.rules = tuple(rules)
        self.scanner = LiteralScan([r.literals for r in self.rules])
        caps = [r.line_cap for r in self.rules if r.line_cap is not None]
        self.cap = max(caps, default=0) + 1
        self.by_words = [self._mask(lambda r, w=w: r.line_cap is None or r.line_cap >= w) for w in range(self.cap + 1)]
        self.by_position = {p: self._mask(lambda r, p=p: r.where in ("anywhere", p)) for p in ("head", "body", "tail")}
        self._sites: dict[str | None, int] = {}

    def _mask(self, keep) -> int:
        return sum(1 << i for i, rule in enumerate(self.rules) if keep(rule))

    def site_mask(self, site: str | None) -> int:
        if site not in self._sites:
            if len(self._sites) > 4096:
                self._sites.clear()
            self._sites[site] = self._mask(lambda r: r.applies_to(site))
        return self._sites[site]

    def candidates(self, folded: str, words: int, position: str, site_mask: int) -> Iterator:
        """The rules, in order, that may match a line (a superset of those that do)."""
        mask = site_mask & self.by_position[position] & self.by_words[min(words, self.cap)]
        scanned = (mask & ~self.scanner.always).bit_count() > FEW_RULES
        if scanned:
            mask &= self.scanner.scan(folded)
        rules = self.rules
        while mask:
            low = mask & -mask
            rule = rules[low.bit_length() - 1]
            mask ^= low
            if scanned or rule.literals is None or any(s in folded for s in rule.literals):
                yield rule
