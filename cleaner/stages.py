"""The steps and corpus stages a :class:`~cleaner.pipeline.Pipeline` is made of.

Per-article steps (picklable, no shared state): :class:`Normalize`, :class:`Strip` and
:class:`Fingerprint`. Corpus stages (:class:`~cleaner.engine.Stage`, they need the whole stream):
:class:`LearnSiteLines`, :class:`GroupDuplicates` and :class:`GroupStories`. Each stage counts what it
did in the run's :class:`Stats`. A new step or stage is one new class here, added to a plan.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from dataclasses import dataclass, field

from .cleaning import Cleaner
from .config import Config
from .documents import Document
from .duplicates import CANONICAL, DuplicateIndex
from .engine import Stage
from .featurizer import Featurizer
from .fingerprints import Fingerprinter
from .learn import SiteLines
from .learned import SiteLearning
from .stories import StoryIndex, story_id
from .templates import CODE as TEMPLATE_CODE
from .templates import SiteTemplates, article_layout


@dataclass
class Stats:
    """What a run did; complete once its documents have been consumed. ``summary()`` renders it."""

    read: int = 0
    skipped: int = 0
    changed: int = 0
    removed: Counter = field(default_factory=Counter)
    fixes: Counter = field(default_factory=Counter)
    duplicates: int = 0
    stories: int | None = None
    learned: int = 0
    templates: int = 0
    started: float = field(default_factory=time.monotonic)

    def count(self, doc: Document) -> None:
        self.changed += doc.changed
        self.removed.update(r.rule for r in doc.removed)
        self.fixes.update(doc.fixes)

    def summary(self) -> str:
        lines = [f"{self.read} articles read, {self.changed} changed, {self.skipped} inputs skipped"]
        if self.removed:
            lines.append("lines removed: " + ", ".join(f"{code} {n}" for code, n in sorted(self.removed.items())))
        if self.fixes:
            lines.append("normalised: " + ", ".join(f"{code} {n}" for code, n in sorted(self.fixes.items())))
        if self.learned:
            lines.append(f"learned {self.learned} repeated site lines (REP001)")
        if self.templates:
            lines.append(f"learned {self.templates} site line templates ({TEMPLATE_CODE})")
        if self.stories is not None:
            lines.append(f"{self.duplicates} duplicates, {self.stories} stories")
        lines.append(f"time {time.monotonic() - self.started:.2f}s")
        return "\n".join(lines)


# ---------------------------------------------------------------- per-article steps


class Normalize:
    """ftfy and whitespace; records the NRM codes of what changed in ``doc.fixes``."""

    def __init__(self, cleaner: Cleaner):
        self.cleaner = cleaner

    def __call__(self, doc: Document) -> Document:
        result = self.cleaner.normalize(doc.text)
        doc.text, doc.fixes = result.text, result.steps
        return doc


class Strip:
    """Boilerplate removal by the cleaner's rulebook and learned site lines (on normalised text).

    ``keep_normalized``: keep the normalised text in ``doc.normalized`` (for ``--explain``).
    """

    def __init__(self, cleaner: Cleaner, *, keep_normalized: bool = False):
        self.cleaner, self.keep_normalized = cleaner, keep_normalized

    def __call__(self, doc: Document) -> Document:
        if self.keep_normalized:
            doc.normalized = doc.text
        result = self.cleaner.strip(doc.text, doc.site)
        doc.text, doc.removed = result.text, list(result.removed)
        return doc


class Fingerprint:
    """The duplicate-level MinHash signature of the (cleaned) text, in ``doc.signature``."""

    def __init__(self, config: Config):
        self.fingerprinter = Fingerprinter(config.duplicates)

    def __call__(self, doc: Document) -> Document:
        doc.signature = self.fingerprinter.signature(doc.text)
        return doc


# ---------------------------------------------------------------- corpus stages


class LearnSiteLines(Stage):
    """Learns the lines each site repeats (exactly, :mod:`cleaner.learn`, and as templates with slots,
    :mod:`cleaner.templates`) from the normalised corpus and teaches them to ``cleaner``, so the
    :class:`Strip` step after this stage removes them (``REP001``, ``TPL001``).

    ``force``: learn whatever the ``learn`` setting says (for ``cleaner rules learn``);
    ``templates``: learn templates too (default on; off for comparison).
    """

    name = "learn-site-lines"

    def __init__(self, cleaner: Cleaner, stats: Stats, *, force: bool = False, templates: bool = True):
        strip = cleaner.config.strip
        self.cleaner, self.stats = cleaner, stats
        self.lines: SiteLines | None = SiteLines(dataclasses.replace(strip, learn=True) if force else strip)
        self.templates: dict | None = {} if templates and strip.templates else None

    def prepare(self) -> "LayOut":
        return LayOut(self.name, self.templates is not None)

    def observe(self, doc: Document) -> Document:
        summary, layout = _taken(doc, self.name) or (None, None)
        if self.lines.add(doc.site, doc.text, summary) and self.templates is not None:
            layout = layout or article_layout(doc.text.split("\n"))
            self.templates.setdefault(doc.site, SiteTemplates()).add(layout[0], layout)
        return doc

    def finish(self) -> None:
        exact = self.lines.learned()
        learned = {}
        if self.lines.enabled():
            minimum = self.cleaner.config.strip.learn_min_articles
            for site in set(exact) | set(self.templates or ()):
                state = (self.templates or {}).get(site)
                templates = state.learned() if state is not None and state.articles >= minimum else {}
                if site in exact or templates:
                    learned[site] = SiteLearning(exact.get(site, ()), templates)
        self.lines = self.templates = None  # the counts are done with: only what was learned travels on
        self.cleaner.learned = learned
        self.stats.learned = sum(len(keys) for keys in learned.values())
        self.stats.templates = sum(len(s.templates) for s in learned.values())


def _taken(doc: Document, name: str):
    """What the stage ``name``'s preparation left on ``doc`` (None if it did not run), taken off it."""
    if not doc.prepared:
        return None
    value = doc.prepared.pop(name, None)
    if not doc.prepared:
        doc.prepared = None
    return value


class LayOut:
    """:class:`LearnSiteLines`' preparation: an article's line keys (:meth:`SiteLines.summary`) and,
    when templates are learned, its layout (:func:`~cleaner.templates.article_layout`)."""

    def __init__(self, name: str, templates: bool):
        self.name, self.templates = name, templates

    def __call__(self, doc: Document) -> Document:
        layout = article_layout(doc.text.split("\n")) if self.templates else None
        doc.prepared = {**(doc.prepared or {}), self.name: (SiteLines.summary(doc.site, doc.text), layout)}
        return doc


class GroupDuplicates(Stage):
    """The duplicate level: every article's signature (from :class:`Fingerprint`) into a
    :class:`~cleaner.duplicates.DuplicateIndex`, then ``duplicate_of`` and ``duplicate_score``.

    ``index`` (a :class:`cleaner.index.CorpusIndex`): a copy of an indexed article points at it and
    takes no part in grouping the rest.
    """

    name = "group-duplicates"

    def __init__(self, config: Config, stats: Stats, index=None):
        self.duplicates = DuplicateIndex(config.duplicates)
        self.stats, self.index = stats, index
        self.known = {}  # id -> the indexed article it copies
        self.matches = {}

    def observe(self, doc: Document) -> Document:
        hit = None
        if self.index is not None:
            hit = self.index.match(doc.signature, path=doc.source, record=doc.id if doc.source_line else None)
        if hit is not None:
            self.known[doc.id] = hit
        self.duplicates.add(doc.id, None if hit else doc.signature, date=doc.date)
        doc.signature = None
        return doc

    def finish(self) -> None:
        self.matches = self.duplicates.assign(copies_only=True)  # an id not in it is a canonical
        self.duplicates = None
        self.stats.duplicates = len(self.matches) + len(self.known)

    def apply(self, doc: Document) -> Document:
        hit = self.known.get(doc.id)
        match = self.matches.get(doc.id, CANONICAL)
        doc.duplicate_of, doc.duplicate_score = (hit.id, hit.score) if hit else (match.canonical, match.score)
        return doc


class GroupStories(Stage):
    """The story level: canonical articles into a :class:`~cleaner.stories.StoryIndex`; every article
    gets the story of its canonical (a copy of an indexed article, the story that article starts)."""

    name = "group-stories"

    def __init__(self, config: Config, stats: Stats):
        self.index = StoryIndex(config.stories, keep_counts=False)  # assigned once: see StoryIndex
        self.stats = stats
        self.story_of: dict[str, str] = {}

    def prepare(self) -> "Featurize":
        return Featurize(self.name, self.index.config)

    def wants(self, doc: Document) -> bool:
        return doc.duplicate_of is None

    def observe(self, doc: Document) -> Document:
        prepared = _taken(doc, self.name)
        if doc.duplicate_of is None:
            title = doc.fields.get("title")  # read by the encoder only, when one is configured
            self.index.add(doc.id, doc.text, lang=doc.lang, date=doc.date, title=title if isinstance(title, str) else None, prepared=prepared)
        return doc

    def finish(self) -> None:
        self.story_of = self.index.assign()
        self.stats.stories = len(set(self.story_of.values()))

    def apply(self, doc: Document) -> Document:
        key = doc.duplicate_of or doc.id
        doc.story = self.story_of.get(key) or story_id(key)
        return doc


class Featurize:
    """:class:`GroupStories`' preparation: a canonical article's :meth:`Featurizer.prepare
    <cleaner.featurizer.Featurizer.prepare>` (tokens, terms, sentence keys), on a featurizer of the
    step's own (its caches only: the sentences earlier articles carried are the stage's)."""

    def __init__(self, name: str, config):
        self.name, self.config = name, config
        self._featurizer: Featurizer | None = None

    def __getstate__(self) -> dict:
        return {"name": self.name, "config": self.config, "_featurizer": None}  # caches stay where they were made

    def __call__(self, doc: Document) -> Document:
        if doc.duplicate_of is None:  # the stage wants canonicals only (the engine may send nothing else)
            if self._featurizer is None:
                self._featurizer = Featurizer(self.config)
            doc.prepared = {**(doc.prepared or {}), self.name: self._featurizer.prepare(doc.text, doc.lang, doc.date)}
        return doc
