"""Boilerplate stripping: decide, line by line, what a rulebook removes from an article.

An article is a list of lines; blank lines never count for position. A *body line* is a
line of at least :data:`BODY_MIN_WORDS` words (as :func:`cleaner.text.count_words` counts them, like
every limit here) ending in sentence punctuation. The *head* is
every line before the first body line, the *tail* every line after the last one (an article
with no body line is all head and all tail). Rules with ``where = "head"``/``"tail"`` fire
only there; ``anywhere`` rules fire on any line.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from .documents import Removal
from .learn import CODE as LEARNED_CODE, line_key
from .prefilter import RulePlan, fold
from .rulebook import Rule, Rulebook
from .text import count_words

#: Words (:func:`cleaner.text.count_words`) a body line has at least.
BODY_MIN_WORDS = 12
#: Lines a rule's ``with_next``/``with_previous`` take along (captions) have at most this many words.
CAPTION_MAX_WORDS = 40
#: A line ends a sentence when its last character is a full stop, a question or exclamation mark (Latin,
#: CJK full-width, Arabic ؟), an ellipsis, or a closing quote or bracket, which usually follows one:
#: English ” ’, German “ ‘ and »…«, French » ›, CJK 」 』 ）.
_SENTENCE_END = re.compile(r"[.!?…。！？؟\"'”’“‘»«›)\]」』）]\s*$")


def is_body_line(line: str, words: int | None = None) -> bool:
    """A line that reads like a paragraph of the article: long and ending a sentence."""
    words = count_words(line) if words is None else words
    return words >= BODY_MIN_WORDS and _SENTENCE_END.search(line) is not None


@dataclass(frozen=True)
class Layout:
    """Where the body of an article starts and ends (indices into its lines)."""

    first_body: int
    last_body: int

    def position(self, index: int) -> str:
        if index < self.first_body:
            return "head"
        if index > self.last_body:
            return "tail"
        return "body"


def layout(lines: list[str], words: list[int]) -> Layout:
    body = [i for i, line in enumerate(lines) if line.strip() and is_body_line(line.strip(), words[i])]
    if not body:
        return Layout(len(lines), -1)
    return Layout(body[0], body[-1])


@functools.lru_cache(maxsize=64)
def _plan(rulebook: Rulebook) -> RulePlan:
    """A rulebook's :class:`~cleaner.prefilter.RulePlan`, made once per rulebook object."""
    return RulePlan(rulebook)


def find_removals(
    lines: list[str],
    rulebook: Rulebook | Iterable[Rule],
    *,
    site: str | None = None,
    learned: frozenset[int] | None = None,
    cuts: dict[int, tuple[int, str]] | None = None,
) -> dict[int, str]:
    """Map line index -> rule code for every line the rules remove.

    ``learned`` holds the :func:`~cleaner.learn.line_key` of lines this article's site repeats;
    they are removed under ``REP001`` when no rule removed them first. A ``cut`` rule that leaves
    the start of a line is recorded in ``cuts`` (line index -> (offset in the stripped line, code)),
    and the line is not in the map; without ``cuts`` such lines are kept whole.
    """
    stripped = [line.strip() for line in lines]
    words = [count_words(s) if s else 0 for s in stripped]
    where = layout(stripped, words)
    plan = _plan(rulebook) if isinstance(rulebook, Rulebook) else RulePlan(rulebook)
    allowed = plan.site_mask(site)
    nonblank = [i for i, s in enumerate(stripped) if s]
    order = {i: n for n, i in enumerate(nonblank)}
    removed: dict[int, str] = {}
    for i in nonblank:
        if i in removed:
            continue
        line, folded = stripped[i], fold(stripped[i])
        for rule in plan.candidates(folded, words[i], where.position(i), allowed):
            if not rule.matches(line, screened=True):
                continue
            if rule.action == "cut":
                at = rule.cut_at(line)
                if at == 0:
                    removed[i] = rule.code
                elif at < len(line) and cuts is not None:
                    cuts[i] = (at, rule.code)
                break
            removed[i] = rule.code
            if rule.action == "rest":
                for j in nonblank[order[i] + 1 :]:
                    removed.setdefault(j, rule.code)
            for step, count in ((1, rule.with_next), (-1, rule.with_previous)):
                n = order[i] + step
                while count > 0 and 0 <= n < len(nonblank):
                    j = nonblank[n]
                    if words[j] > CAPTION_MAX_WORDS or j in removed:
                        break
                    removed[j] = rule.code
                    count -= 1
                    n += step
            break
        else:
            if learned and line_key(stripped[i]) in learned:
                removed[i] = LEARNED_CODE
    if hasattr(learned, "extend"):  # learned site templates (cleaner.learned.SiteLearning)
        if cuts:  # the templates see a cut line as it is kept: its start
            stripped, words = list(stripped), list(words)
            for i, (at, _) in cuts.items():
                stripped[i] = stripped[i][:at].rstrip()
                words[i] = count_words(stripped[i])
        learned.extend(stripped, words, removed)
        for i in list(cuts or ()):
            if i in removed:  # a template took the rest of the line too
                del cuts[i]
    return removed


@dataclass(frozen=True)
class Stripped:
    """The kept text (paragraphs as lines) and what was removed (``cuts``: line index -> offset in
    the stripped line where what was removed from it starts, for lines whose start was kept)."""

    text: str
    removed: tuple[Removal, ...]
    removed_index: Mapping[int, str]
    cuts: Mapping[int, int] = field(default_factory=dict)


def strip_text(
    text: str,
    rulebook: Rulebook | Iterable[Rule],
    *,
    site: str | None = None,
    learned: frozenset[int] | None = None,
) -> Stripped:
    """Strip boilerplate from normalised ``text``; blank lines are dropped from the result."""
    lines = text.split("\n")
    cuts: dict[int, tuple[int, str]] = {}
    removed = find_removals(lines, rulebook, site=site, learned=learned, cuts=cuts)
    kept, removals = [], []
    for i, line in enumerate(lines):
        line = line.strip()
        if i in removed:
            removals.append(Removal(i + 1, removed[i], line))
        elif i in cuts:
            at, code = cuts[i]
            kept.append(line[:at].rstrip())
            removals.append(Removal(i + 1, code, line[at:], column=at + 1))
        elif line:
            kept.append(line)
    return Stripped("\n".join(kept), tuple(removals), removed, {i: at for i, (at, _) in cuts.items()})


def render_file(original_lines: list[str], removed: Mapping[int, object], cuts: Mapping[int, int] | None = None) -> list[str]:
    """The lines of a fixed file: removed lines gone, lines in ``cuts`` ended where their removal
    starts (an offset in the stripped line), the blank-line layout otherwise kept.

    Between two kept lines stand the blank lines that stood before the second one; the
    file's leading blank lines are kept, and trailing blank lines left by removals dropped.
    """
    text_at = [i for i, line in enumerate(original_lines) if line.strip()]
    if not text_at:
        return list(original_lines)
    out: list[str] = list(original_lines[: text_at[0]])
    pending: list[str] = []
    seen_text = False
    for i in range(text_at[0], len(original_lines)):
        line = original_lines[i]
        if not line.strip():
            pending.append(line)
        elif i in removed:
            pending = []
        else:
            if seen_text:
                out.extend(pending)
            pending = []
            if cuts and i in cuts:
                indent = len(line) - len(line.lstrip())
                line = line[: indent + cuts[i]].rstrip()
            out.append(line)
            seen_text = True
    if text_at[-1] not in removed:
        out.extend(pending)
    return out
