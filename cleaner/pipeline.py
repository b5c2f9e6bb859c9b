"""The pipeline: the library's main entry point, a plan of steps and corpus stages run by an engine.

``clean`` normalises and strips (learning site lines first when enabled); ``dedup`` groups the text as
it is; ``run`` does both. Each returns a :class:`Result`: the documents (a stream, in input order), the
run's :class:`~cleaner.stages.Stats` and, once grouped, the story index. The plan is built here from
the steps and stages of :mod:`cleaner.stages`; an :class:`~cleaner.engine.Engine` runs it
(:class:`~cleaner.engine.LocalEngine` by default: ``jobs`` worker processes, results identical
whatever ``jobs``). Corpus stages keep documents in a spool on disk, so memory holds signatures and
term counts, not texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from .cleaning import Cleaner
from .config import Config
from .documents import Document
from .engine import Engine, Plan, engine_for
from .errors import InputError
from .learn import line_key
from .progress import Progress
from .rulebook import Rulebook
from .stages import Fingerprint, GroupDuplicates, GroupStories, LearnSiteLines, Normalize, Stats, Strip


def _raise(error: InputError) -> None:
    raise error


@dataclass
class Result:
    """What a pipeline call returns: iterate it (or ``documents``) for the documents, in input order.

    ``stats`` is complete once the documents have been consumed (with corpus stages, most of it is
    known before the first document comes out). ``stories`` is the story index of a ``run`` or
    ``dedup`` (for :meth:`~cleaner.stories.StoryIndex.explain`), filled once grouping has run.
    """

    documents: Iterator[Document]
    stats: Stats
    group: GroupStories | None = None

    def __iter__(self) -> Iterator[Document]:
        return self.documents

    @property
    def stories(self):
        return None if self.group is None else self.group.index


class Pipeline:
    """``clean``, ``dedup``, ``run`` and ``learn`` over a stream of documents.

    ``items`` may mix :class:`~cleaner.documents.Document` and :class:`~cleaner.errors.InputError`
    (as :func:`~cleaner.readers.read_paths` yields them); each error goes to ``on_error`` (default:
    raise it) and the batch goes on. ``engine`` runs the plan (default
    :func:`~cleaner.engine.engine_for`: ``LocalEngine(config.jobs)``, or a Dask engine for
    ``engine = "dask"``, which the caller should then make and close itself);
    ``index`` (a :class:`cleaner.index.CorpusIndex`): copies of its articles get ``duplicate_of`` =
    the indexed id; ``explain``: keep each article's normalised text for ``--explain``;
    ``progress`` (a :class:`cleaner.progress.Progress`): told each phase of ``clean``, ``dedup``
    and ``run`` as the engine runs it (default: none).
    """

    def __init__(
        self,
        config: Config | None = None,
        rulebook: Rulebook | None = None,
        *,
        engine: Engine | None = None,
        on_error: Callable[[InputError], None] | None = None,
        explain: bool = False,
        index=None,
        progress: Progress | None = None,
    ):
        self.config = config or Config()
        self.rulebook = rulebook if rulebook is not None else Rulebook.configured(self.config.strip)
        self.engine = engine or engine_for(self.config)
        self.on_error = on_error or _raise
        self.explain = explain
        self.index = index
        self.progress = progress

    # ------------------------------------------------------------------ plans

    def cleaner(self) -> Cleaner:
        """A fresh :class:`~cleaner.cleaning.Cleaner` for one call (learning teaches it site lines)."""
        return Cleaner(self.config, self.rulebook)

    def clean_plan(self, cleaner: Cleaner, stats: Stats) -> Plan:
        """Normalise; learn site lines when enabled; strip."""
        learn = [] if self.config.strip.learn is False else [LearnSiteLines(cleaner, stats)]
        return [Normalize(cleaner), *learn, Strip(cleaner, keep_normalized=self.explain)]

    def group_plan(self, stats: Stats) -> tuple[Plan, GroupStories]:
        """Fingerprint, group duplicates, group stories."""
        stories = GroupStories(self.config, stats)
        return [Fingerprint(self.config), GroupDuplicates(self.config, stats, self.index), stories], stories

    # ------------------------------------------------------------------ calls

    def clean(self, items: Iterable[Document | InputError]) -> Result:
        """Normalise and strip every article (``removed`` and ``fixes`` filled in)."""
        stats = Stats()
        plan = self.clean_plan(self.cleaner(), stats)
        return Result(self._counted(self.engine.execute(plan, self.documents(items, stats), self.progress), stats), stats)

    def dedup(self, items: Iterable[Document | InputError]) -> Result:
        """Group without cleaning: ``duplicate_of`` and ``story`` filled in."""
        stats = Stats()
        plan, stories = self.group_plan(stats)
        return Result(self.engine.execute(plan, self.documents(items, stats), self.progress), stats, stories)

    def run(self, items: Iterable[Document | InputError]) -> Result:
        """Clean, then group on the cleaned text: the main job."""
        stats = Stats()
        group, stories = self.group_plan(stats)
        plan = [*self.clean_plan(self.cleaner(), stats), *group]
        return Result(self._counted(self.engine.execute(plan, self.documents(items, stats), self.progress), stats), stats, stories)

    def learn(self, items: Iterable[Document | InputError]) -> dict[str | None, list[str]]:
        """The lines each site repeats (site -> lines), learned whatever ``learn`` is set to."""
        cleaner = self.cleaner()
        plan = [Normalize(cleaner), LearnSiteLines(cleaner, Stats(), force=True)]
        out: dict[str | None, dict[int, str]] = {}
        for doc in self.engine.execute(plan, self.documents(items, Stats())):
            keys = cleaner.learned.get(doc.site)
            for line in doc.text.split("\n") if keys else ():
                key = line_key(line)
                if key in keys:
                    out.setdefault(doc.site, {}).setdefault(key, line.strip())
        return {site: sorted(lines.values()) for site, lines in out.items()}

    # ------------------------------------------------------------------ input

    def documents(self, items: Iterable[Document | InputError], stats: Stats) -> Iterator[Document]:
        """Only the documents of ``items``, reporting the errors and counting.

        A document that cannot go through (:meth:`Document.problem`: e.g. built by a caller with
        a bad id or date) or whose id was used before becomes an :class:`InputError` too: each
        goes to ``on_error`` and the batch goes on.
        """
        # id -> where it was read, as one int (source number << 40 | line): some 90 bytes an article
        # less than its "path:line" string, held for the whole run
        seen: dict[str, int] = {}
        sources: dict[str | None, int] = {}
        for item in items:
            if isinstance(item, Document):
                problem = item.problem()
                if problem is None and item.id in seen:
                    at = seen[item.id]
                    where = list(sources)[at >> 40] or "<input>"
                    line = at & ((1 << 40) - 1)
                    problem = f"id {item.id!r} already used at {f'{where}:{line}' if line else where}, skipped"
                if problem is not None:
                    item = InputError(item.source or "<input>", item.source_line, problem)
            if isinstance(item, InputError):
                stats.skipped += 1
                self.on_error(item)
                continue
            seen[item.id] = sources.setdefault(item.source, len(sources)) << 40 | (item.source_line or 0)
            stats.read += 1
            yield item

    @staticmethod
    def _counted(docs: Iterator[Document], stats: Stats) -> Iterator[Document]:
        for doc in docs:
            stats.count(doc)
            yield doc
