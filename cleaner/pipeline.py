"""The pipeline: small per-article steps, corpus passes, and a local engine that runs them.

Per-article steps (:class:`Normalize`, :class:`Strip`, :class:`Fingerprint`) are callables
``Document -> Document`` with no shared state; :class:`LocalEngine` maps them over a stream,
in this process or in ``jobs`` worker processes (order kept, so results never depend on
``jobs``). Corpus-level work (site-line learning, grouping) runs as passes over a
:class:`~cleaner.spool.Spool`, so memory holds signatures, not texts.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

from .config import Config
from .documents import Document
from .duplicates import DuplicateIndex
from .errors import InputError
from .fingerprints import Fingerprinter
from .learn import SiteLines
from .normalize import normalize_text
from .rulebook import Rulebook
from .spool import Spool
from .strip import strip_text

Step = Callable[[Document], Document]


@dataclass
class Stats:
    """What a run did; ``summary()`` renders it for standard error."""

    read: int = 0
    skipped: int = 0
    changed: int = 0
    removed: Counter = field(default_factory=Counter)
    fixes: Counter = field(default_factory=Counter)
    duplicates: int = 0
    stories: int | None = None
    learned: int = 0
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
        if self.stories is not None:
            lines.append(f"{self.duplicates} duplicates, {self.stories} stories")
        lines.append(f"time {time.monotonic() - self.started:.2f}s")
        return "\n".join(lines)


class Normalize:
    """ftfy and whitespace; records the NRM codes of what changed in ``doc.fixes``."""

    def __init__(self, config: Config):
        self.config = config.normalize

    def __call__(self, doc: Document) -> Document:
        result = normalize_text(doc.text, self.config)
        doc.text, doc.fixes = result.text, result.steps
        return doc


class Strip:
    """Boilerplate removal by the rulebook and, when given, the lines each site repeats."""

    def __init__(self, rulebook: Rulebook, learned: dict | None = None, *, keep_normalized: bool = False, shapes: Iterable[str] = ()):
        self.rulebook, self.learned = rulebook, learned or {}
        self.keep_normalized = keep_normalized
        self.shapes = frozenset(shapes)

    def __call__(self, doc: Document) -> Document:
        site = doc.site
        if self.keep_normalized:
            doc.normalized = doc.text
        result = strip_text(doc.text, self.rulebook, site=site, learned=self.learned.get(site), shapes=self.shapes)
        doc.text, doc.removed = result.text, list(result.removed)
        return doc


class Fingerprint:
    """The duplicate-level MinHash signature of the (cleaned) text, in ``doc.signature``."""

    def __init__(self, config: Config):
        self.fingerprinter = Fingerprinter(config.duplicates)

    def __call__(self, doc: Document) -> Document:
        doc.signature = self.fingerprinter.signature(doc.text)
        return doc


_WORKER_STEPS: Sequence[Step] = ()


def _init_worker(steps: Sequence[Step]) -> None:
    global _WORKER_STEPS
    _WORKER_STEPS = steps


def _apply(steps: Sequence[Step], doc: Document) -> Document:
    for step in steps:
        doc = step(doc)
    return doc


def _work(doc: Document) -> Document:
    return _apply(_WORKER_STEPS, doc)


class LocalEngine:
    """Runs per-article steps over a stream, in order, with ``jobs`` processes."""

    def __init__(self, jobs: int = 1, chunksize: int = 16):
        self.jobs, self.chunksize = max(1, jobs), chunksize

    def map(self, steps: Sequence[Step], docs: Iterable[Document]) -> Iterator[Document]:
        if self.jobs == 1 or not steps:
            for doc in docs:
                yield _apply(steps, doc)
            return
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        with ctx.Pool(self.jobs, initializer=_init_worker, initargs=(tuple(steps),)) as pool:
            yield from pool.imap(_work, docs, self.chunksize)


def _where(doc: Document) -> str:
    where = doc.source or "<input>"
    return f"{where}:{doc.source_line}" if doc.source_line else where


def _raise(error: InputError) -> None:
    raise error


class Pipeline:
    """The library's main entry point: ``clean``, ``dedup`` and ``run`` over a stream of documents.

    ``items`` may mix :class:`~cleaner.documents.Document` and :class:`~cleaner.errors.InputError`
    (as :func:`~cleaner.readers.read_paths` yields them); each error goes to ``on_error``
    (default: raise it) and the batch goes on. ``stats`` is filled as the output is consumed.
    """

    def __init__(
        self,
        config: Config | None = None,
        rulebook: Rulebook | None = None,
        *,
        on_error: Callable[[InputError], None] | None = None,
        explain: bool = False,
        index=None,
    ):
        self.config = config or Config()
        self.rulebook = rulebook if rulebook is not None else Rulebook.configured(self.config.strip)
        self.on_error = on_error or _raise
        self.engine = LocalEngine(self.config.jobs)
        self.explain = explain
        self.stats = Stats()
        self.site_lines: SiteLines | None = None
        self.duplicate_index: DuplicateIndex | None = None
        self.story_index = None
        self.index = index  # a cleaner.index.CorpusIndex: copies of its articles get duplicate_of = the indexed id

    def documents(self, items: Iterable[Document | InputError]) -> Iterator[Document]:
        """Only the documents of ``items``, reporting the errors and counting.

        A document that cannot go through (:meth:`Document.problem`: e.g. built by a caller with
        a bad id or date) or whose id was used before becomes an :class:`InputError` too: each
        goes to ``on_error`` and the batch goes on.
        """
        seen: dict[str, str] = {}
        for item in items:
            if isinstance(item, Document):
                problem = item.problem()
                if problem is None and item.id in seen:
                    problem = f"id {item.id!r} already used at {seen[item.id]}, skipped"
                if problem is not None:
                    item = InputError(item.source or "<input>", item.source_line, problem)
            if isinstance(item, InputError):
                self.stats.skipped += 1
                self.on_error(item)
                continue
            seen[item.id] = _where(item)
            self.stats.read += 1
            yield item

    def _normalised_and_learned(self, items: Iterable[Document | InputError], spool: Spool, *, force: bool = False) -> dict:
        """Normalise everything into ``spool`` while counting site lines; the learned lines.

        ``force``: learn whatever the ``learn`` setting says (for :meth:`learn`).
        """
        strip = dataclasses.replace(self.config.strip, learn=True) if force else self.config.strip
        self.site_lines = lines = SiteLines(strip)
        for doc in self.engine.map([Normalize(self.config)], self.documents(items)):
            lines.add(doc.site, doc.text)
            spool.add(doc)
        learned = lines.learned()
        self.stats.learned = sum(len(v) for v in learned.values())
        return learned

    def learn(self, items: Iterable[Document | InputError]) -> dict[str | None, list[str]]:
        """The lines each site repeats (site -> lines), learned whatever ``learn`` is set to."""
        from .learn import line_key

        with Spool() as spool:
            learned = self._normalised_and_learned(items, spool, force=True)
            out: dict[str | None, dict[int, str]] = {}
            for doc in spool:
                keys = learned.get(doc.site)
                for line in doc.text.split("\n") if keys else ():
                    key = line_key(line)
                    if key in keys:
                        out.setdefault(doc.site, {}).setdefault(key, line.strip())
        return {site: sorted(lines.values()) for site, lines in out.items()}

    def clean(self, items: Iterable[Document | InputError]) -> Iterator[Document]:
        """Normalise and strip every article (``removed`` and ``fixes`` filled in)."""
        if self.config.strip.learn is False:
            steps = [Normalize(self.config), Strip(self.rulebook, keep_normalized=self.explain, shapes=self.config.strip.shapes)]
            docs = self.engine.map(steps, self.documents(items))
        else:
            spool = Spool()
            learned = self._normalised_and_learned(items, spool)
            docs = self._close_after(spool, self.engine.map([Strip(self.rulebook, learned, keep_normalized=self.explain, shapes=self.config.strip.shapes)], spool))
        for doc in docs:
            self.stats.count(doc)
            yield doc

    @staticmethod
    def _close_after(spool: Spool, docs: Iterator[Document]) -> Iterator[Document]:
        with spool:
            yield from docs

    def dedup(self, items: Iterable[Document | InputError]) -> Iterator[Document]:
        """Group without cleaning: ``duplicate_of`` and ``story`` filled in."""
        return self._group(self.documents(items))

    def run(self, items: Iterable[Document | InputError]) -> Iterator[Document]:
        """Clean, then group on the cleaned text: the main job."""
        return self._group(self.clean(items))

    def _group(self, docs: Iterable[Document]) -> Iterator[Document]:
        from .stories import StoryIndex, story_id

        dups = self.duplicate_index = DuplicateIndex(self.config.duplicates)
        with Spool() as spool:
            known = {}  # id -> the indexed article it duplicates
            for doc in self.engine.map([Fingerprint(self.config)], docs):
                hit = self.index.match(doc.signature, path=doc.source, record=doc.id if doc.source_line else None) if self.index is not None else None
                if hit is not None:
                    known[doc.id] = hit
                dups.add(doc.id, None if hit else doc.signature, date=doc.date)
                doc.signature = None
                spool.add(doc)
            matches = dups.assign()
            stories = self.story_index = StoryIndex(self.config.stories)
            for doc in spool:
                if matches[doc.id].canonical is None and doc.id not in known:
                    stories.add(doc.id, doc.text, lang=doc.lang, date=doc.date)
            story_of = stories.assign()
            self.stats.duplicates = sum(m.canonical is not None for m in matches.values()) + len(known)
            self.stats.stories = len(set(story_of.values()))
            for doc in spool:
                match = matches[doc.id]
                doc.duplicate_of, doc.duplicate_score = match.canonical, match.score
                doc.story = story_of.get(match.canonical or doc.id)
                if doc.id in known:  # a copy of an indexed article: its story is the one that article starts
                    doc.duplicate_of, doc.duplicate_score = known[doc.id].id, known[doc.id].score
                    doc.story = story_id(known[doc.id].id)
                yield doc
