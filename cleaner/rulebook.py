"""Rule packs: loading, validating, selecting and matching declarative boilerplate rules.

A rule pack is a TOML file with a ``[pack]`` table (``name``, ``description``) and
``[[rules]]`` entries. The keys of a rule (see README, "Rule files"):

===============  ========  ==================================================================
key              required  meaning
===============  ========  ==================================================================
code             yes       stable code, 2-5 capitals and 3 digits (``NAV001``)
name             yes       kebab-case name (``previous-next-article``)
description      yes       what it removes and why that is boilerplate
pattern          yes       Python regular expression, searched in the stripped line
must_match       yes       lines the rule must match (at least one)
must_not_match   yes       lines it must not match (at least one)
case_sensitive   no        default false
where            no        ``anywhere`` (default), ``head`` (before the first body paragraph)
                           or ``tail`` (after the last body paragraph)
action           no        ``line`` (default), ``rest`` (the line and everything after it) or ``cut``
                           (the match and the rest of its line; what stands before it is kept)
max_words        no        the line may have at most this many words (:func:`~cleaner.text.count_words`);
                           for a ``cut`` rule, the part it would take (else it takes nothing)
with_next        no        also remove up to N following short lines (captions)
with_previous    no        also remove up to N preceding short lines
sites            no        only for articles of these sites (``site`` field or ``url`` host)
===============  ========  ==================================================================

Every search of a pattern in a line is bounded: a pattern that backtracks catastrophically (such as
``^(\\w+\\s?)+$`` on an ordinary sentence) is stopped after :data:`BUDGET` seconds of CPU time, reported
once on standard error naming the rule and the line, and counts as not matching there.
``rules test`` also tries every pattern on a few :data:`PROBES` lines and fails the ones that run out.
"""

from __future__ import annotations

import functools
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from threading import get_ident
from typing import Any, Iterable

from .codes import all_codes, check_selection
from .errors import RuleError
from .prefilter import fold, required_literals
from .text import count_words
from .watchdog import BUDGET, MAIN_THREAD, THREAD_BUDGET, WATCHDOG, RuleTimeout, fallback

CODE = re.compile(r"^[A-Z]{2,5}[0-9]{3}$")
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
WHERE = ("anywhere", "head", "tail")
ACTIONS = ("line", "rest", "cut")

_REQUIRED = {"code": str, "name": str, "description": str, "pattern": str, "must_match": list, "must_not_match": list}
_OPTIONAL = {"case_sensitive": bool, "where": str, "action": str, "max_words": int, "with_next": int, "with_previous": int, "sites": list}


def builtin_rules_dir() -> Path:
    """Where the shipped packs are: inside the installed package, or ``rules/`` of a checkout."""
    installed = Path(__file__).resolve().parent / "rules"
    return installed if installed.is_dir() else installed.parent.parent / "rules"


#: Lines ``rules test`` tries every pattern on: patterns that backtrack catastrophically run out of
#: :data:`BUDGET` on lines like these (a long run of words, letters or digits that then fails).
PROBES = ("The council approved the new budget on Tuesday after a long debate about school funding, officials said!",
          "a" * 64 + "!", "1" * 64 + "!", "word " * 24 + "!")


#: Codes of the rules whose running out of budget has been reported (once per rule and process).
_REPORTED: set[str] = set()


def _report_timeout(rule: "Rule", line: str) -> None:
    """Say once per rule (and process) that a search ran out of budget, naming the rule and the line."""
    if rule.code in _REPORTED or _REPORTED.add(rule.code):
        return
    shown, main = (line if len(line) <= 80 else line[:79] + "…"), get_ident() == MAIN_THREAD
    budget = f"{BUDGET * 1000:.0f} ms" if main else f"{THREAD_BUDGET * 1000:.0f} ms (wall clock, in a thread)"
    sys.stderr.write(f"warning: rule {rule.code} ({rule.source}): pattern ran out of its {budget} budget on the line {shown!r}; "
                     "counted as not matching there (and wherever else it runs out). It backtracks catastrophically: "
                     "rewrite it (`cleaner rules test` tries it on probe lines)\n")


@dataclass(frozen=True)
class Rule:
    """One boilerplate rule; see the module docstring for the fields."""

    code: str
    name: str
    description: str
    pattern: str
    must_match: tuple[str, ...]
    must_not_match: tuple[str, ...]
    case_sensitive: bool = False
    where: str = "anywhere"
    action: str = "line"
    max_words: int | None = None
    with_next: int = 0
    with_previous: int = 0
    sites: tuple[str, ...] = ()
    pack: str = ""
    source: str = ""
    regex: re.Pattern[str] = field(default=re.compile(""), compare=False, repr=False)
    #: :func:`cleaner.prefilter.required_literals` of the pattern: a line with none of them cannot match.
    literals: frozenset[str] | None = field(default=None, compare=False, repr=False)

    def matches(self, line: str, words: int | None = None, *, screened: bool = False) -> bool:
        """Whether the (stripped) line matches, ignoring position and site (``screened``: max_words and
        literals already checked, by :class:`~cleaner.prefilter.RulePlan`); a search that runs out of
        :data:`BUDGET` counts as no match, reported once per rule on stderr."""
        try:  # the whole body: the watchdog may stop this call anywhere in it
            if not screened:
                if self.line_cap is not None and (words if words is not None else count_words(line)) > self.line_cap:
                    return False
                if self.literals is not None and not any(s in fold(line) for s in self.literals):
                    return False
            if WATCHDOG.armed and get_ident() == MAIN_THREAD:  # the common case, kept short
                return self.regex.search(line) is not None
            return self.search(line)
        except RuleTimeout:
            _report_timeout(self, line)
            return False

    def search(self, line: str) -> bool:
        """Whether the pattern is found in ``line``; raises :class:`RuleTimeout` after :data:`BUDGET`."""
        return self.start(line) is not None

    def start(self, line: str) -> int | None:
        """Where the pattern is first found in ``line`` (None: nowhere); raises :class:`RuleTimeout`."""
        if WATCHDOG.ready():
            found = self.regex.search(line)
        else:
            try:
                found = fallback(self.pattern, self.case_sensitive).search(line, timeout=THREAD_BUDGET)
            except TimeoutError:
                raise RuleTimeout() from None
        return None if found is None else found.start()

    def takes(self, line: str) -> bool:
        """Whether the rule removes something of the (stripped) line, position and site aside: it
        matches, and a cut rule has something to cut. What the examples are checked against."""
        return self.matches(line) and self.cuts_something(line)

    def cuts_something(self, line: str) -> bool:
        """For a line the pattern matches: whether the rule takes anything of it (a cut rule may not)."""
        return self.action != "cut" or self.cut_at(line) < len(line)

    @property
    def line_cap(self) -> int | None:
        """The most words a line may have for the rule to apply (a cut rule caps what it takes instead)."""
        return None if self.action == "cut" else self.max_words

    def cut_at(self, line: str) -> int:
        """Where a ``cut`` rule's removal starts in ``line``: the start of the match, or 0 when only
        blanks stand before it. It takes nothing (``len(line)``) when the pattern is not found, the
        search runs out of budget, or what it would take has more than ``max_words`` words: a wall
        glued *before* the article's text (one extractor's paragraphs run together) must not take
        the article with it."""
        try:
            start = self.start(line)
        except RuleTimeout:
            _report_timeout(self, line)
            start = None
        if start is None or (self.max_words is not None and count_words(line[start:]) > self.max_words):
            return len(line)
        return start if line[:start].strip() else 0

    def applies_to(self, site: str | None) -> bool:
        return not self.sites or (site is not None and any(site == s or site.endswith("." + s) for s in self.sites))


# The searches the watchdog may stop when they run out of budget.
WATCHDOG.watch(Rule.matches, Rule.search, Rule.start)


@dataclass(frozen=True)
class ExampleFailure:
    """A rule example that did not behave as declared (``expected``: whether it should match), or a
    line (an example or one of the :data:`PROBES`) on which the search ran out of budget (``timed_out``)."""

    code: str
    source: str
    example: str
    expected: bool | None
    timed_out: bool = False

    def __str__(self) -> str:
        if self.timed_out:
            budget = f"{BUDGET * 1000:.0f} ms budget"
            return f"{self.source}: {self.code}: pattern ran out of its {budget} on {self.example!r}: it backtracks catastrophically (nested repeats such as (\\w+\\s?)+); rewrite it"
        verb = "should match but does not" if self.expected else "should not match but does"
        return f"{self.source}: {self.code}: example {verb}: {self.example!r}"


def _check_type(path: str, code: str | None, key: str, value: Any, kind: type) -> None:
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise RuleError(path, code, f"{key!r} must be a {kind.__name__}, not {type(value).__name__}")


def parse_rule(entry: Any, path: str, pack: str) -> Rule:
    """Validate one ``[[rules]]`` table and compile it; raises :class:`RuleError`."""
    if not isinstance(entry, dict):
        raise RuleError(path, None, "each [[rules]] entry must be a table")
    code = entry.get("code") if isinstance(entry.get("code"), str) else None
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        known = ", ".join(sorted({*_REQUIRED, *_OPTIONAL}))
        raise RuleError(path, code, f"unknown key {unknown[0]!r} (known keys: {known})")
    for key, kind in _REQUIRED.items():
        if key not in entry:
            raise RuleError(path, code, f"missing required key {key!r}")
        _check_type(path, code, key, entry[key], kind)
    for key, kind in _OPTIONAL.items():
        if key in entry:
            _check_type(path, code, key, entry[key], kind)
    if not CODE.match(entry["code"]):
        raise RuleError(path, code, "code must be 2-5 capital letters and 3 digits, like NAV001")
    if not NAME.match(entry["name"]):
        raise RuleError(path, code, f"name {entry['name']!r} must be kebab-case, like previous-next-article")
    if not entry["description"].strip():
        raise RuleError(path, code, "description is empty")
    where = entry.get("where", "anywhere")
    if where not in WHERE:
        raise RuleError(path, code, f"where must be one of {', '.join(WHERE)}, not {where!r}")
    action = entry.get("action", "line")
    if action not in ACTIONS:
        raise RuleError(path, code, f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    for key in ("must_match", "must_not_match", "sites"):
        values = entry.get(key, [])
        if key != "sites" and not values:
            raise RuleError(path, code, f"{key!r} needs at least one example line")
        if not all(isinstance(v, str) for v in values):
            raise RuleError(path, code, f"{key!r} must be a list of strings")
    for key in ("max_words", "with_next", "with_previous"):
        if entry.get(key, 0) < 0:
            raise RuleError(path, code, f"{key!r} must not be negative")
    if action == "cut" and (entry.get("with_next") or entry.get("with_previous")):
        raise RuleError(path, code, 'action = "cut" removes the end of one line: it takes no with_next or with_previous')
    flags = 0 if entry.get("case_sensitive", False) else re.IGNORECASE
    try:
        regex = re.compile(entry["pattern"], flags)
    except re.error as exc:
        raise RuleError(path, code, f"invalid pattern {entry['pattern']!r}: {exc}") from None
    return Rule(
        code=entry["code"],
        name=entry["name"],
        description=entry["description"].strip(),
        pattern=entry["pattern"],
        must_match=tuple(entry["must_match"]),
        must_not_match=tuple(entry["must_not_match"]),
        case_sensitive=entry.get("case_sensitive", False),
        where=where,
        action=action,
        max_words=entry.get("max_words"),
        with_next=entry.get("with_next", 0),
        with_previous=entry.get("with_previous", 0),
        sites=tuple(entry.get("sites", ())),
        pack=pack,
        source=path,
        regex=regex,
        literals=required_literals(entry["pattern"], flags),
    )


def load_pack(path: Path) -> tuple[str, str, list[Rule]]:
    """Load one pack file: its name, description and rules; raises :class:`RuleError`."""
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleError(where, None, "rule file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(where, None, f"cannot read rule file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(where, None, f"not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"pack", "rules"})
    if unknown:
        raise RuleError(where, None, f"unknown top-level key {unknown[0]!r} (expected [pack] and [[rules]])")
    pack = data.get("pack")
    if not isinstance(pack, dict) or not isinstance(pack.get("name"), str):
        raise RuleError(where, None, "missing [pack] table with a 'name'")
    extra = sorted(set(pack) - {"name", "description"})
    if extra:
        raise RuleError(where, None, f"unknown key {extra[0]!r} in [pack] (known: name, description)")
    rules = data.get("rules", [])
    if not isinstance(rules, list):
        raise RuleError(where, None, "'rules' must be an array of tables ([[rules]])")
    return pack["name"], str(pack.get("description", "")), [parse_rule(r, where, pack["name"]) for r in rules]


@functools.cache
def _shipped_pack(path: Path) -> tuple[Rule, ...]:
    """A shipped pack's (frozen) rules, parsed and compiled once per process (about 20 ms)."""
    return tuple(load_pack(path)[2])


class Rulebook:
    """An ordered, validated collection of rules (``Rulebook.load()`` for the usual set)."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules: tuple[Rule, ...] = tuple(rules)
        seen: dict[str, Rule] = {}
        for rule in self.rules:
            if rule.code in seen:
                raise RuleError(rule.source, rule.code, f"code already used in {seen[rule.code].source}")
            seen[rule.code] = rule
        self._by_code = seen

    @classmethod
    def load(cls, paths: Iterable[str | Path] = (), *, builtin: bool = True) -> "Rulebook":
        """The built-in packs (unless ``builtin=False``) followed by the given files or folders."""
        files: list[Path] = []
        if builtin:
            files.extend(sorted(builtin_rules_dir().glob("*.toml")))
        for p in paths:
            p = Path(p)
            files.extend(sorted(p.glob("*.toml")) if p.is_dir() else [p])
        rules: list[Rule] = []
        for f in files:
            rules.extend(_shipped_pack(f) if f.parent == builtin_rules_dir() else load_pack(f)[2])
        return cls(rules)

    @classmethod
    def configured(cls, strip) -> "Rulebook":
        """The rules a :class:`~cleaner.config.StripConfig` asks for: its packs, then its selection.

        A ``select`` or ``ignore`` entry that matches no code of these packs nor a built-in code is
        refused (:class:`~cleaner.errors.ConfigError`, with the closest codes suggested).
        """
        book = cls.load(strip.rules, builtin=strip.builtin_rules)
        check_selection(strip.select, strip.ignore, [c.code for c in all_codes(book)])
        return book.select(strip.select, strip.ignore)

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self):
        return iter(self.rules)

    def get(self, code: str) -> Rule | None:
        return self._by_code.get(code)

    def select(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> "Rulebook":
        """Only rules whose code starts with a ``select`` prefix (all if empty), minus ``ignore``."""
        select, ignore = tuple(select), tuple(ignore)
        return Rulebook(r for r in self.rules if (not select or r.code.startswith(select)) and not r.code.startswith(ignore))

    def test(self) -> list[ExampleFailure]:
        """Run every rule's examples and :data:`PROBES`; the failures (empty when all behave)."""
        failures = []
        for rule in self.rules:
            lines = [(e, True) for e in rule.must_match] + [(e, False) for e in rule.must_not_match] + [(p, None) for p in PROBES]
            for line, expected in lines:
                fits = expected is None or rule.line_cap is None or count_words(line.strip()) <= rule.line_cap
                try:
                    found = fits and rule.search(line.strip()) and (expected is None or rule.cuts_something(line.strip()))
                except RuleTimeout:
                    failures.append(ExampleFailure(rule.code, rule.source, line, expected, timed_out=True))
                    break  # one timeout says it; the next lines would each take the budget again
                if expected is not None and found != expected:
                    failures.append(ExampleFailure(rule.code, rule.source, line, expected))
        return failures
