"""What per-site learning hands to stripping: a site's exact repeated lines and its line templates, and
the learned templates written as reviewable rules (``cleaner rules learn``).

:class:`SiteLearning` is what :func:`cleaner.strip.find_removals` receives as ``learned`` for an
article's site: a frozenset of exact line keys (:mod:`cleaner.learn`, ``REP001``) that also carries the
site's templates (:mod:`cleaner.templates`, ``TPL001``) and applies them (:meth:`SiteLearning.extend`).
"""

from __future__ import annotations

import json
import re

from .learn import SiteLines
from .skeletons import elements, is_headline, skeleton_keys
from .strip import is_body_line
from .templates import _CONTACT, CACHE, CODE, EDGE, MAX_LIST, MAX_WORDS, SiteTemplates, Template


class TemplateCode(str):
    """The code ``TPL001`` of one removal, which also knows the template that fitted (``template``), so
    that ``--explain`` can name it and mark its slots (:meth:`explain`). It is the plain string
    ``"TPL001"`` everywhere else (equal, same hash, written as such)."""

    template: Template

    def __new__(cls, template: Template):
        self = super().__new__(cls, CODE)
        self.template = template
        return self

    def __reduce__(self):
        return (TemplateCode, (self.template,))

    def explain(self, line: str) -> str:
        """``TPL001 template "<skeleton>": <the line with its slots marked>``."""
        return f"{CODE} template {self.template.shown()!r}: {mark_slots(self.template, line)}"


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
        follow a removed list marker.

        Only lines outside the body are candidates: the head and tail blocks and the :data:`EDGE` first
        and last lines, never the title, counted among the lines still kept. Once furniture is removed,
        the lines it stood behind may stand at the edge: so this repeats (at most :data:`PASSES` times)
        until no line goes."""
        if not self.templates:
            return
        nonblank = [i for i, s in enumerate(stripped) if s]
        if not nonblank:
            return
        title = nonblank[0]
        body = {i for i in nonblank if is_body_line(stripped[i], words[i])}
        fits: dict[int, Template | None] = {}  # line -> the template it fits, once asked

        def match(i: int) -> Template | None:
            if i not in fits:
                fits[i] = self.match(stripped[i])
            return fits[i]

        for _ in range(PASSES):
            kept = [i for i in nonblank if i not in removed]
            bodies = [i for i in kept if i in body]
            first, last = (bodies[0], bodies[-1]) if bodies else (len(stripped), -1)
            edge = set(kept[:EDGE]) | set(kept[-EDGE:])
            before = len(removed)
            for i in kept:
                if i == title or words[i] > MAX_WORDS or (first <= i <= last and i not in edge):
                    continue  # the title and lines inside the body: never removed by a template
                template = match(i)
                if template is not None and (template.sentence or i not in body or _CONTACT.search(stripped[i])):
                    # a line that reads like article text fits only a template learned from such lines
                    removed[i] = TemplateCode(template)
            kept_body = [i for i in nonblank if i in body and i not in removed]
            tail = kept_body[-1] if kept_body else -1
            for n, i in enumerate(nonblank):
                if i not in removed or i <= tail or words[i] > MAX_WORDS:
                    continue  # a list is removed only after the body's last paragraph
                template = match(i)
                if template is None or not template.marker:
                    continue
                for j in nonblank[n + 1 : n + 1 + MAX_LIST]:
                    if j in removed:
                        continue
                    if not is_headline(stripped[j], words[j]):
                        break
                    removed[j] = ListCode(template)
            if len(removed) == before:
                break


#: Passes of :meth:`SiteLearning.extend` at most.
PASSES = 3


class ListCode(TemplateCode):
    """``TPL001`` of a headline in the list after a learned list marker (``template``, the marker's)."""

    def __reduce__(self):
        return (ListCode, (self.template,))

    def explain(self, line: str) -> str:
        return f"{CODE} headline listed after the learned marker {self.template.shown()!r}"


def mark_slots(template: Template, line: str) -> str:
    """``line`` with each slot of ``template`` marked: ``By [name: Jane Smith], Staff Writer``
    (the line as it is when the template's pattern does not split it)."""
    import regex

    try:
        found = regex.compile(template_pattern(template)).search(line.strip(), timeout=0.2)
    except (TimeoutError, regex.error):
        found = None
    if found is None:
        return line.strip()
    text, out, at = line.strip(), [], 0
    for name in sorted(found.groupdict(), key=lambda n: found.start(n)):
        start, end = found.span(name)
        if start < 0 or start < at:
            continue
        out += [text[at:start], f"[{name.rstrip('0123456789')}: {text[start:end]}]"]
        at = end
    return "".join(out) + text[at:]


def same(a: dict, b: dict) -> bool:
    """Whether two learned dicts (site -> :class:`SiteLearning` or frozenset) hold the same lines and templates."""
    if a.keys() != b.keys():
        return False
    return all(frozenset(a[s]) == frozenset(b[s]) and set(getattr(a[s], "templates", {})) == set(getattr(b[s], "templates", {})) for s in a)


def merge(base: dict, more: dict) -> dict:
    """``base`` and ``more`` together (site -> :class:`SiteLearning`): per site, the exact lines of
    both and the templates of both."""
    out = dict(base)
    for site, learning in more.items():
        had = out.get(site)
        if had is None:
            out[site] = learning
        else:
            templates = {**getattr(had, "templates", {}), **getattr(learning, "templates", {})}
            out[site] = SiteLearning(frozenset(had) | frozenset(learning), templates)
    return out


class Learner:
    """Per-site learning as ``run`` does it (the ``LearnSiteLines`` stage): exact repeated lines
    (:class:`cleaner.learn.SiteLines`) and, unless ``strip.templates`` is false, line templates
    (:class:`cleaner.templates.SiteTemplates`), from normalised articles (:meth:`add`), then
    :meth:`learned`. Used by ``check`` and the corpus index."""

    def __init__(self, strip, *, force: bool = False):
        import dataclasses

        self.lines = SiteLines(dataclasses.replace(strip, learn=True) if force else strip)
        self.minimum = strip.learn_min_articles
        self.templates: dict | None = {} if getattr(strip, "templates", True) else None

    def add(self, site: str | None, text: str) -> None:
        if self.lines.add(site, text) and self.templates is not None:
            self.templates.setdefault(site, SiteTemplates()).add(text.split("\n"))

    def learned(self) -> dict:
        """site -> :class:`SiteLearning` (exact line keys and templates); empty when learning is off."""
        exact, out = self.lines.learned(), {}
        if not self.lines.enabled():
            return out
        for site in set(exact) | set(self.templates or ()):
            state = (self.templates or {}).get(site)
            templates = state.learned() if state is not None and state.articles >= self.minimum else {}
            if site in exact or templates:
                out[site] = SiteLearning(exact.get(site, ()), templates)
        return out


def templates_to_json(learned: dict) -> str:
    """The templates of ``learned`` (site -> :class:`SiteLearning`) as JSON: {site or "": [template, ...]}."""
    stored = {site or "": [t.to_json() for t in learning.templates.values()] for site, learning in learned.items() if getattr(learning, "templates", None)}
    return json.dumps(stored, sort_keys=True, ensure_ascii=False)


def templates_from_json(text: str | None) -> dict:
    """site -> {skeleton key: :class:`Template`}, from :func:`templates_to_json`'s text."""
    out = {}
    for site, items in json.loads(text or "{}").items():
        templates = [Template.from_json(item) for item in items]
        out[site or None] = {t.key: t for t in templates}
    return out


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
