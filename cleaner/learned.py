"""What per-site learning hands to stripping: a site's exact repeated lines and its line templates, and
the learned templates written as reviewable rules (``cleaner rules learn``).

:class:`SiteLearning` is what :func:`cleaner.strip.find_removals` receives as ``learned`` for an
article's site: a frozenset of exact line keys (:mod:`cleaner.learn`, ``REP001``) that also carries the
site's templates (:mod:`cleaner.templates`, ``TPL001``) and applies them (:meth:`SiteLearning.extend`).
"""

from __future__ import annotations

import json
import re

from .strip import is_body_line, layout
from .templates import _CONTACT, CACHE, CODE, EDGE, MAX_LIST, MAX_WORDS, Template, elements, is_headline, skeleton_keys


class SiteLearning(frozenset):
    """What was learned for one site: the keys of its exact repeated lines (the frozenset itself, see
    :func:`cleaner.learn.line_key`) and its ``templates`` (skeleton key -> :class:`Template`).

    :func:`cleaner.strip.find_removals` calls :meth:`extend` after the rules and exact lines."""

    def __new__(cls, keys=(), templates=None):
        self = super().__new__(cls, keys)
        self.templates = dict(templates or {})
        # a line fits a template only if it holds the template's longest constant word: a cheap test first
        self.anchors = frozenset(t.anchor() for t in self.templates.values())
        self.cache = {}
        return self

    def __reduce__(self):
        return (SiteLearning, (frozenset(self), self.templates))

    def match(self, line: str) -> Template | None:
        """The learned template ``line`` fits, if any."""
        if not self.templates or not any(a in line for a in self.anchors):
            return None
        if line in self.cache:
            return self.cache[line]
        found = None
        for key, covered, _ in skeleton_keys(elements(line)):
            template = self.templates.get(key)
            if template is not None and template.accepts(covered):
                found = template
                break
        if len(self.cache) >= CACHE:
            self.cache.pop(next(iter(self.cache)))
        self.cache[line] = found
        return found

    def extend(self, stripped: list[str], words: list[int], removed: dict[int, str]) -> None:
        """Add to ``removed`` (line index -> code) the lines a template fits, and the headline lists that
        follow a removed list marker."""
        if not self.templates:
            return
        nonblank = [i for i, s in enumerate(stripped) if s]
        where = layout(stripped, words)
        last = len(nonblank) - EDGE
        for n, i in enumerate(nonblank):
            if i in removed or words[i] > MAX_WORDS:
                continue
            if n == 0 or (EDGE <= n < last and where.position(i) == "body"):
                continue  # the title and lines inside the body: never removed by a template
            if is_body_line(stripped[i], words[i]) and not _CONTACT.search(stripped[i]):
                continue  # reads like article text: no template fits it (see cleaner.templates)
            if self.match(stripped[i]) is not None:
                removed[i] = CODE
        for n, i in enumerate(nonblank):
            if i not in removed or words[i] > MAX_WORDS or where.position(i) != "tail":
                continue  # a list is removed only after the body's last paragraph
            template = self.match(stripped[i])
            if template is None or not template.marker:
                continue
            for j in nonblank[n + 1 : n + 1 + MAX_LIST]:
                if j in removed:
                    continue
                if not is_headline(stripped[j], words[j]):
                    break
                removed[j] = CODE


# ---------------------------------------------------------------- templates as rules

#: Each slot as a regular expression that splits a line one way only (no nested ambiguous repeats, so a
#: search cannot backtrack for long): names are runs of words, numbers runs of tokens holding a digit.
_SLOT_RE = {
    "NAME": r"[^\W\d_][\w'’.-]*(?:\s+[^\W\d_][\w'’.-]*)*?",
    "NUM": r"[\w'’.:/-]*?\d(?:[\w'’.:/-]*\w)?(?:\s+[\w'’.:/-]*?\d(?:[\w'’.:/-]*\w)?)*?",
    "DATE": r"\w+(?:\s+\w+)*?", "EMAIL": r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", "HANDLE": r"@\w+",
    "URL": r"(?:https?://|www\.)\S+", "W": r"\w[\w'’.-]*", "TEXT": r".+",
}
_NAMES = {"NAME": "name", "NUM": "number", "DATE": "date", "EMAIL": "email", "HANDLE": "handle", "URL": "url", "W": "word", "TEXT": "text"}
#: Lines a learned template rule must not match (one that matches none of them is kept as its example).
_NOT = (
    "The council approved the budget on Tuesday after a long debate about schools and roads.",
    "Officials said the work would begin next spring",
    "x",
)


def template_pattern(template: Template) -> str:
    """The template as a regular expression with a named group per slot (``name1``, ``number1``, ...)."""
    pieces, used = [], {}

    def slot(kind: str) -> str:
        name = _NAMES.get(kind, "slot")
        used[name] = used.get(name, 0) + 1
        return f"(?P<{name}{used[name]}>{_SLOT_RE.get(kind, '.+?')})"

    for kind, literal, pre, suf in template.parts:
        bare = kind.strip("<>+")
        if kind.endswith("+") and not kind.startswith("<"):
            sep = re.escape(kind[:-1])
            pieces.append((False, rf"(?:{sep}[^{sep}]+)+{sep}"))  # a breadcrumb's repeated "> section"
        elif literal is not None:
            pieces.append((literal[0].isalnum(), r"\s+".join(re.escape(w) for w in literal.split())))
        else:
            pieces.append((True, r"\s+".join([*(re.escape(w) for w in pre), slot(bare), *(re.escape(w) for w in suf)])))
    if template.text:
        pieces.append((True, slot("TEXT")))
    out = ""
    for n, (wordy, piece) in enumerate(pieces):
        if n:
            out += r"\s+" if wordy and pieces[n - 1][0] else r"\s*"
        out += piece
    return "^" + out + "$"


def template_rule(template: Template) -> tuple[str, list[str], str] | None:
    """(pattern, example lines it matches, a line it does not match), or None when no example matches."""
    import regex

    pattern = template_pattern(template)
    compiled = regex.compile(pattern)  # case-sensitive, as the rule is written

    def matches(line: str) -> bool | None:
        try:
            return compiled.search(line, timeout=1.0) is not None
        except TimeoutError:
            return None

    examples = [line for line in template.examples if matches(line)]
    negative = next((line for line in _NOT if matches(line) is False), None)
    if not examples or negative is None or any(matches(line) is None for line in template.examples):
        return None
    return pattern, examples, negative


def q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)
