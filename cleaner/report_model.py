"""What a report shows, collected from a stream of result records: articles, stories (ranked, copies
folded under their canonical), the terms each story's articles share, and the cleaning tally.

The records are read as a stream: per article the report keeps what it shows (id, title, site,
date, url, language, story, canonical) and at most :data:`ARTICLE_TERMS` salient terms, never the
text. How the shared terms are chosen: see :func:`salient_terms` and :meth:`ReportBuilder.stories`
(and ``docs/report.md``). :mod:`cleaner.html_report` renders it.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .documents import DEFAULT_NAMES, Document, FieldNames
from .errors import InputError
from .readers import kind_of, read_jsonl_file, read_jsonl_stream
from .terms import Background, LanguageGuesser, idf, tokenize

#: Salient terms kept per canonical article (the memory bound of the story terms; the story level's vector size).
ARTICLE_TERMS = 40
#: Terms whose background rarity is cached (bounded: a large corpus has millions of distinct words).
RARITY_CACHE = 1 << 18
#: Shared terms shown per story.
STORY_TERMS = 8
#: Weight of the wordfreq background in :func:`~cleaner.terms.idf`, in pseudo-articles (as the story level).
PRIOR_DOCS = 1000.0
#: Least rarity (blended idf) of a shared term: a word that more than one article in ten carries
#: says nothing about what a story is about.
MIN_IDF = math.log(10)
#: Removed lines kept as examples per rule and per site, and their length.
EXAMPLES, EXAMPLE_CHARS = 3, 240

#: Longest title and lead (first line of an untitled article) kept.
TITLE_CHARS, LEAD_CHARS = 300, 160


@dataclass(slots=True)
class Article:
    """What the report keeps of one record."""

    id: str
    order: int
    title: str | None
    lead: str | None
    site: str | None
    date: str | None  # YYYY-MM-DD
    url: str | None
    lang: str | None
    story: str | None
    duplicate_of: str | None
    terms: tuple[str, ...] = ()
    term_lang: str | None = None  # the language the terms were weighed in (field or guess)


@dataclass
class Tally:
    """Lines removed by one rule or on one site: count, articles, a few examples, and per-rule counts."""

    lines: int = 0
    articles: int = 0
    rules: Counter = field(default_factory=Counter)
    examples: list[tuple[str, str]] = field(default_factory=list)  # (line text, article id)

    def add(self, removed: list[tuple[str, str]], article_id: str) -> None:
        self.lines += len(removed)
        self.articles += 1
        for rule, text in removed:
            self.rules[rule] += 1
            if len(self.examples) < EXAMPLES and all(text != seen for seen, _ in self.examples):
                self.examples.append((_cut(text, EXAMPLE_CHARS), article_id))


def salient_terms(text: str, lang: str | None, rarity: Callable[[str, str | None], float], n: int = ARTICLE_TERMS) -> tuple[str, ...]:
    """An article's ``n`` most salient terms: by ``(1 + log tf) * rarity``, where ``rarity`` is
    ``-log p`` and ``p`` the chance that an article contains the term according to the wordfreq
    background (the story level's salience). Ties by term.

    >>> b = Background()
    >>> salient_terms("The Pentagon said the strikes hit the militias. The Pentagon said more.", "en", lambda t, l: -math.log(b.doc_probability(t, l)), 3)
    ('pentagon', 'militias', 'strikes')
    """
    log = math.log
    scored = [(-(1.0 + log(c)) * rarity(t, lang), t) for t, c in Counter(tokenize(text, lang)).items()]
    return tuple(t for _, t in heapq.nsmallest(n, scored))


class ReportBuilder:
    """Collects records one at a time (:meth:`add`), then gives the page's parts.

    Memory: one :class:`Article` per record (no text) and per-rule/per-site tallies with at most
    :data:`EXAMPLES` examples each.
    """

    def __init__(self) -> None:
        self.articles: list[Article] = []
        self._lines: dict[str, int | None] = {}  # id -> line it was read from, for repeated ids
        self.rules: dict[str, Tally] = {}
        self.sites: dict[str, Tally] = {}
        self.articles_per_site: Counter = Counter()
        self.lines_removed = 0
        self.articles_changed = 0
        self.salient_df: Counter = Counter()  # in how many canonical articles a term is among the salient
        self.canonicals = 0
        self._background = Background()
        self._guesser = LanguageGuesser()
        self._rarity = lru_cache(maxsize=RARITY_CACHE)(lambda term, lang: -math.log(self._background.doc_probability(term, lang)))
        self._strings: dict[str, str] = {}  # one string object per distinct term, site, language, story

    def add(self, doc: Document) -> InputError | None:
        """Take one record; a record the report cannot use is returned as an :class:`InputError`."""
        problem = _record_problem(doc.fields)
        if problem is None and doc.id in self._lines:
            line = self._lines[doc.id]
            problem = f"id {doc.id!r} already used at {doc.source}:{line}" if line else f"id {doc.id!r} already used"
        if problem:
            return InputError(doc.source or "<input>", doc.source_line, problem)
        self._lines[doc.id] = doc.source_line
        f, intern = doc.fields, self._intern
        title = _text(doc.value("title"))  # under the record's own names (FieldNames), or where other tools put it
        article = Article(
            id=doc.id,
            order=len(self.articles),
            title=_cut(title, TITLE_CHARS) if title else None,
            lead=None if title else _lead(doc.text),
            site=intern(doc.site),
            date=doc.date[:10] if doc.date else None,
            url=_text(doc.value("url")),
            lang=intern(doc.lang),
            story=intern(f.get("story")),
            duplicate_of=f.get("duplicate_of"),
        )
        if article.duplicate_of is None:  # copies add nothing to the terms: their canonical has them
            article.term_lang = doc.lang or self._guesser.guess(doc.text)
            article.terms = tuple(map(intern, salient_terms(doc.text, article.term_lang, self._rarity)))
            self.salient_df.update(article.terms)
            self.canonicals += 1
        self.articles.append(article)
        self.articles_per_site[article.site or ""] += 1
        removed = [(r["rule"], r["text"]) for r in f.get("removed") or ()]
        if removed:
            self.lines_removed += len(removed)
            self.articles_changed += 1
            for rule in dict.fromkeys(rule for rule, _ in removed):
                self.rules.setdefault(rule, Tally()).add([x for x in removed if x[0] == rule], doc.id)
            self.sites.setdefault(article.site or "", Tally()).add(removed, doc.id)
        return None

    def _intern(self, value: str | None) -> str | None:
        """One string object per distinct value, however many articles carry it."""
        return None if value is None else self._strings.setdefault(value, value)

    # ------------------------------------------------------------------ stories

    def stories(self) -> list[Story]:
        """The stories, ranked (call after the last :meth:`add`).

        A copy is folded under its canonical article when that article is in the result (and then
        belongs to its story); a copy of an article that is not (an indexed one), or of another copy,
        stands on its own.
        Within a story, articles are in date order (undated last), then input order. Stories rank by
        their number of articles (copies included), then by their latest date, newest first.
        """
        by_id = {a.id: a for a in self.articles}
        copies: dict[str, list[Article]] = {}
        groups: dict[str, list[Article]] = {}
        for a in self.articles:
            canonical = by_id.get(a.duplicate_of) if a.duplicate_of is not None else None
            if canonical is not None and canonical.duplicate_of is None:
                copies.setdefault(canonical.id, []).append(a)
            else:
                groups.setdefault(a.story if a.story is not None else "\0" + a.id, []).append(a)
        stories = []
        for key, members in groups.items():
            members.sort(key=_chronological)
            entries = [(m, sorted(copies.get(m.id, ()), key=_chronological)) for m in members]
            dates = sorted(a.date for m, c in entries for a in (m, *c) if a.date)
            size = sum(1 + len(c) for _, c in entries)
            stories.append(Story(key, entries, size, dates[0] if dates else "", dates[-1] if dates else "", self.shared_terms(members)))
        stories.sort(key=lambda s: s.key)
        stories.sort(key=lambda s: (s.size, s.last), reverse=True)
        return stories

    def shared_terms(self, members: list[Article]) -> list[str]:
        """The terms most shared by a story's articles, weighted by their rarity across the result.

        A term counts when at least two of the story's canonical articles have it among their
        salient terms; its weight is the number of those articles times its blended rarity
        (:func:`~cleaner.terms.idf`: in how many canonical articles of the result it is salient,
        with the wordfreq background as :data:`PRIOR_DOCS` pseudo-articles), which must be at
        least :data:`MIN_IDF`. The :data:`STORY_TERMS` heaviest are shown, ties by term.
        """
        members = [m for m in members if m.terms]
        if len(members) < 2:
            return []
        carriers = Counter(t for m in members for t in m.terms)
        lang = Counter(m.term_lang for m in members).most_common(1)[0][0]
        scored = []
        for term, n in carriers.items():
            if n >= 2:
                rarity = idf(self.salient_df[term], self.canonicals, self._background.doc_probability(term, lang), PRIOR_DOCS)
                if rarity >= MIN_IDF:
                    scored.append((-n * rarity, term))
        return [t for _, t in sorted(scored)[:STORY_TERMS]]

    # ------------------------------------------------------------------ page

    def figures(self, stories: list[Story]) -> dict[str, int]:
        """The run's figures: articles, duplicates, stories (and of several articles), lines removed."""
        return {
            "articles": len(self.articles),
            "duplicates": sum(1 for a in self.articles if a.duplicate_of is not None),
            "stories": len(stories),
            "multi_stories": sum(1 for s in stories if len(s.entries) > 1),
            "lines_removed": self.lines_removed,
            "articles_changed": self.articles_changed,
            "sites": sum(1 for site in self.articles_per_site if site),
        }

    def data(self, stories: list[Story]) -> dict:
        """The stories as the page's compact JSON: lookup tables of sites and languages, one row per
        article (``[id, title, lead, site, date, url, lang, copy]``, trailing empty values left out;
        ``copy`` is 1 for a copy of the canonical row above it, or the id of its canonical article when
        that is not a canonical article of the result), and per story ``[first row, rows, first date, last date, terms]``."""
        sites = sorted(site for site in self.articles_per_site if site)
        langs = sorted({a.lang for a in self.articles if a.lang})
        site_no = {s: i for i, s in enumerate(sites)}
        lang_no = {s: i for i, s in enumerate(langs)}
        rows, out = [], []
        for story in stories:
            start = len(rows)
            for canonical, copies in story.entries:
                rows.append(_row(canonical, site_no, lang_no, canonical.duplicate_of or 0))
                rows.extend(_row(c, site_no, lang_no, 1) for c in copies)
            out.append([start, len(rows) - start, story.first, story.last, story.terms])
        return {"sites": sites, "langs": langs, "articles": rows, "stories": out}


@dataclass
class Story:
    """One story: its canonical articles with their copies, size (copies included), date span, shared terms."""

    key: str
    entries: list[tuple[Article, list[Article]]]
    size: int
    first: str
    last: str
    terms: list[str]


def _row(a: Article, site_no: dict, lang_no: dict, copy: int | str) -> list:
    row = [a.id, a.title or "", a.lead or "", site_no.get(a.site, -1), a.date or "", a.url or "", lang_no.get(a.lang, -1), copy]
    while len(row) > 1 and row[-1] in ("", -1, 0):
        row.pop()
    return row


def _chronological(a: Article) -> tuple:
    return (a.date is None, a.date or "", a.order)


def _record_problem(fields: dict) -> str | None:
    """Why a record's report fields cannot be used (``removed``, ``duplicate_of``, ``story``), or None."""
    removed = fields.get("removed")
    if removed is not None:
        ok = isinstance(removed, list) and all(
            isinstance(r, dict) and isinstance(r.get("rule"), str) and isinstance(r.get("text"), str) for r in removed
        )
        if not ok:
            return "field 'removed' must be a list of {line, rule, text} objects"
    for key in ("duplicate_of", "story"):
        value = fields.get(key)
        if value is not None and not isinstance(value, str):
            return f"field {key!r} must be a string or null, not {type(value).__name__}"
    return None


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _lead(text: str) -> str | None:
    for line in text.split("\n", 20)[:20]:
        if line.strip():
            return _cut(line.strip(), LEAD_CHARS)
    return None


# ---------------------------------------------------------------------- reading


def read_result(path: str, names: FieldNames = DEFAULT_NAMES) -> Iterator[Document | InputError]:
    """The records of a result file (``.jsonl``, ``.jsonl.gz``, or ``-`` for standard input).

    ``names``: the keys of the id, text, title, url, site and date, as the run that wrote the
    result was given them (``--id-field``... or the configuration's ``id_field``...).
    A path that is no such file is refused here, before any record is read (:class:`InputError`).
    """
    if path == "-":
        import sys

        return read_jsonl_stream(sys.stdin.buffer, "<stdin>", names=names)
    p = Path(path)
    if not p.is_file():
        raise InputError(path, None, "no such file" if not p.exists() else "not a file")
    if kind_of(p) != "jsonl":
        raise InputError(path, None, "not a result file: a report reads the JSONL (.jsonl, .jsonl.gz) that `cleaner run -o` writes")
    return read_jsonl_file(p, path, names=names)


def build_report(items: Iterable[Document | InputError], on_error: Callable[[InputError], None] | None = None) -> ReportBuilder:
    """Collect a stream of records; each unreadable or unusable one goes to ``on_error`` (default: raise)."""
    builder = ReportBuilder()
    for item in items:
        problem = item if isinstance(item, InputError) else builder.add(item)
        if problem is not None:
            if on_error is None:
                raise problem
            on_error(problem)
    return builder
