"""Engines: what runs a pipeline's plan.

A *plan* is a sequence of per-article **steps** (callables ``Document -> Document`` with no shared
state, picklable, so an engine may run them anywhere) and corpus **stages** (:class:`Stage`: they need
the whole stream before any document can go on, such as learning site lines or grouping duplicates).

An engine maps runs of consecutive steps over the stream (:meth:`Engine.map`, the one method a new
engine must provide) and runs each stage between them: every document is ``observe``\\ d in input order
and written to a :class:`~cleaner.spool.Spool` on disk, the stage ``finish``\\ es, then documents are read
back through its ``apply``. Stages that follow each other with no step between share one spool, read
once per stage. Steps after a stage are handed to :meth:`Engine.map` only once the stage has finished,
so a step may read what the stage learned.

A stage's per-article work that needs none of what it has gathered (tokenising, hashing lines) is its
:meth:`Stage.prepare` step: the engine maps it with the steps before the stage (in worker processes,
on a cluster), so that ``observe`` in the engine's process only gathers what it computed.
"""

from __future__ import annotations

import collections
import itertools
import multiprocessing
import queue
import threading
from typing import Callable, Iterable, Iterator, Sequence, Union

from .documents import Document
from .errors import ConfigError
from .heap import trim
from .progress import READING, WRITING, Progress, joined, phase_of
from .spool import Spool
from .workers import Step, WorkerPool, apply_steps


class Stage:
    """A corpus stage. Subclasses override what they need; the defaults pass documents through.

    ``observe`` sees every document in input order, in the engine's own process, and returns what to
    keep of it (drop what the stage has taken, such as a signature, so the spool stays small);
    ``finish`` runs once after the last document; ``apply`` completes each document as it is read back.
    ``prepare`` may return a per-article step (picklable, no shared state, as any step) that computes
    what ``observe`` needs into ``doc.prepared[stage.name]``; the engine runs it where the steps run,
    just before the document is observed (after the ``apply`` of the stages before it), and ``observe``
    must give the same result whether or not it ran (so a caller may observe documents by hand).
    """

    name = "stage"

    def prepare(self) -> Step | None:
        """The stage's per-article step, or None (nothing to compute ahead of ``observe``)."""
        return None

    def wants(self, doc: Document) -> bool:
        """Whether ``prepare``'s step has anything to do for ``doc`` (an engine may send it only those)."""
        return True

    def observe(self, doc: Document) -> Document:
        return doc

    def finish(self) -> None:
        """Called once, after the last document was observed."""

    def apply(self, doc: Document) -> Document:
        return doc


Plan = Sequence[Union[Step, Stage]]


class Engine:
    """Runs plans. :meth:`map` runs steps over a stream, in order; :meth:`execute` runs a whole plan.
    An engine that holds resources (a cluster) frees them in :meth:`close`; engines are context managers.

    ``prepares``: whether stages' preparations run as steps (:meth:`Stage.prepare`); an engine that
    runs every step in its own process gains nothing by it, and ``observe`` then computes only for
    the documents it needs (not for an exact copy it skips)."""

    prepares = True

    def close(self) -> None:
        """Free what the engine holds (nothing, for this one)."""

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def map(self, steps: Sequence[Step], docs: Iterable[Document]) -> Iterator[Document]:  # pragma: no cover - interface
        raise NotImplementedError

    def execute(self, plan: Plan, docs: Iterable[Document], progress: Progress | None = None) -> Iterator[Document]:
        """The documents that come out of ``plan``, in input order. ``progress`` is told each phase
        (:mod:`cleaner.progress`): each pass over the stream, named by what runs in it, and each
        stage's finish, with the number of articles as the total once the input has been read."""
        progress = progress or Progress()
        seen: list[int] = []  # articles read, once the first stage has seen them all
        stream: Iterable[Document] = docs
        steps: list[Step] = []
        stages: list[Stage] = []
        names = [READING]  # what the pass being built does
        for item in plan:
            if isinstance(item, Stage):
                if not stages:  # the first stage of a group: its preparation runs with the steps before it
                    steps += self._preparation(item)
                if steps:
                    stream, steps = self.map(steps, stream), []
                stages.append(item)
            else:
                if stages:
                    stream, stages = self._stages(stages, stream, progress, joined(names), seen), []
                    names = []
                steps.append(item)
                names.append(phase_of(item))
        if stages:
            stream, names = self._stages(stages, stream, progress, joined(names), seen), []
        if steps:
            stream = self.map(steps, stream)
        return _counted(stream, progress, joined([*names, WRITING]), seen)

    def _preparation(self, stage: Stage) -> list[Step]:
        step = stage.prepare() if self.prepares else None
        return [] if step is None else [step]

    def _map_wanted(self, steps: Sequence[Step], docs: Iterable[Document], wanted: Callable[[Document], bool]) -> Iterator[Document]:
        """:meth:`map` of ``steps`` over the documents ``wanted`` says they have work for; the others
        travel as ``None`` (nothing to send to a worker) and come out as they went in, in order."""
        if not steps:
            yield from docs
            return
        pending: collections.deque[Document] = collections.deque()  # appended by the feeder, read here in order

        def chosen() -> Iterator[Document | None]:
            for doc in docs:
                pending.append(doc)
                yield doc if wanted(doc) else None

        for out in self.map([_Skipping(steps)], chosen()):
            doc = pending.popleft()
            yield doc if out is None else out

    def _stages(self, stages: Sequence[Stage], docs: Iterable[Document], progress: Progress, feed: str = "", seen: list[int] | None = None) -> Iterator[Document]:
        """Run consecutive stages over one spool: stage k observes what stages before it applied
        (and its own preparation, mapped by this engine over the spool as it is read back).

        ``feed`` names the phase of the pass that feeds the first stage; ``seen`` gets the number
        of articles it saw (the total of every later phase)."""
        seen = [] if seen is None else seen
        with Spool() as spool:
            head, count = stages[0], 0
            for doc in docs:
                if not count:
                    progress.phase(feed, seen[0] if seen else None)
                spool.add(head.observe(doc))
                count += 1
                progress.advance()
            seen[:] = [count]
            progress.phase(phase_of(head))
            head.finish()
            trim()  # what the stage gathered per article, freed: back to the system (cleaner.heap)
            for n, stage in enumerate(stages[1:], 1):
                progress.phase(phase_of(stage), count)
                before = stages[:n]
                for doc in self._map_wanted(self._preparation(stage), (_through(before, doc) for doc in spool), stage.wants):
                    stage.observe(doc)
                    progress.advance()
                stage.finish()
                trim()
            for doc in spool:
                yield _through(stages, doc)


class _Skipping:
    """Steps that pass ``None`` (a document left out) through as ``None``."""

    def __init__(self, steps: Sequence[Step]):
        self.steps = tuple(steps)

    def __call__(self, doc: Document | None) -> Document | None:
        return None if doc is None else apply_steps(self.steps, doc)


def _through(stages: Sequence[Stage], doc: Document) -> Document:
    for stage in stages:
        doc = stage.apply(doc)
    return doc


def _counted(docs: Iterable[Document], progress: Progress, name: str, seen: list[int]) -> Iterator[Document]:
    """The plan's output, counted in its last phase (``name``), which ends after the last document."""
    started = False
    for doc in docs:
        if not started:
            started = True
            progress.phase(name, seen[0] if seen else None)
        progress.advance()
        yield doc
    progress.finish()


def batches(docs: Iterable[Document], size: int, chars: int) -> Iterator[list[Document]]:
    """``docs`` in lists of ``size`` documents, or fewer holding ``chars`` characters of text."""
    batch, held = [], 0
    for doc in docs:
        batch.append(doc)
        held += len(doc.text) if doc is not None else 0
        if len(batch) >= size or held >= chars:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


class LocalEngine(Engine):
    """This machine: steps in this process (``jobs=1``) or in ``jobs`` worker processes, order kept,
    so results never depend on ``jobs``. The worker pool starts when the first document is asked for.

    Documents go to the workers in batches of ``batch`` (fewer when they hold :data:`BATCH_CHARS`
    characters of text): a batch costs a round of messages in this process, which is also the one
    that observes the stages. At most :data:`IN_FLIGHT` batches per worker are out at once, so
    memory stays bounded when the workers outpace what reads their results. The workers are a
    :class:`~cleaner.workers.WorkerPool`, started in the thread that asks for the first document.
    """

    BATCH_CHARS = 1 << 20
    IN_FLIGHT = 4

    def __init__(self, jobs: int = 1, batch: int = 256):
        self.jobs, self.batch = max(1, jobs), batch
        self.prepares = self.jobs > 1

    def map(self, steps: Sequence[Step], docs: Iterable[Document]) -> Iterator[Document]:
        if self.jobs == 1 or not steps:
            for doc in docs:
                yield apply_steps(steps, doc)
            return
        # The first document is taken before the workers start: a stage upstream has then finished
        # (what it learned is in the steps sent to the workers), and no workers are ever started
        # from inside another map's feeder thread.
        docs = iter(docs)
        for first in docs:  # (a document may be None: left out by _map_wanted)
            break
        else:
            return
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        window, done = threading.Semaphore(self.IN_FLIGHT * self.jobs), threading.Event()
        sent: queue.Queue = queue.Queue()  # k for each batch sent, then _END or the input's exception
        pool = WorkerPool(ctx, self.jobs, steps)

        def feed() -> None:  # a thread of its own: reads the input, sends batches in order
            try:
                for k, batch in enumerate(batches(itertools.chain([first], docs), self.batch, self.BATCH_CHARS)):
                    while not window.acquire(timeout=0.05):
                        if done.is_set():  # the consumer has gone
                            return
                    if done.is_set():
                        return
                    try:
                        pool.send(k, batch)
                    except OSError:  # the worker was killed: the consumer has gone, or hears of it at k
                        sent.put(k)
                        return
                    sent.put(k)
                sent.put(_END)
            except BaseException as exc:  # noqa: BLE001 - reading the input failed: raised where the output is read
                sent.put(_Failed(exc))
            finally:
                if done.is_set() and hasattr(docs, "close"):
                    docs.close()  # an upstream map stops its own workers now, in the thread that ran it

        feeder = threading.Thread(target=feed, name="cleaner-feeder", daemon=True)
        feeder.start()
        try:
            while True:
                try:
                    k = sent.get(timeout=0.1)
                except queue.Empty:
                    continue
                if k is _END:
                    return
                if isinstance(k, _Failed):
                    raise k.exc
                batch = pool.result(k)
                window.release()
                yield from batch
        finally:
            done.set()
            pool.stop()  # a feeder blocked sending to a worker gets a broken pipe
            feeder.join(5.0)
            pool.close()


_END = object()


class _Failed:
    """What the feeder caught while reading the input, to be raised by the consumer."""

    def __init__(self, exc: BaseException):
        self.exc = exc


def engine_for(config) -> Engine:
    """The engine a :class:`~cleaner.config.Config` asks for: ``LocalEngine(jobs)``, or for
    ``engine = "dask"`` a :class:`~cleaner.dask_engine.DaskEngine` on ``scheduler`` (a local cluster
    of ``jobs`` workers when it is None). Close it when done (it is a context manager).

    >>> from cleaner.config import Config
    >>> engine_for(Config(jobs=2)).jobs
    2
    >>> engine_for(Config(scheduler="tcp://10.0.0.5:8786"))
    Traceback (most recent call last):
    ...
    cleaner.errors.ConfigError: scheduler = "tcp://10.0.0.5:8786" needs engine = "dask"
    """
    if config.engine == "dask":
        from .dask_engine import DaskEngine  # the optional extra is imported only when asked for

        return DaskEngine(config.scheduler, workers=config.jobs if config.jobs > 1 else 2)
    if config.scheduler is not None:
        raise ConfigError(f'scheduler = "{config.scheduler}" needs engine = "dask"')
    return LocalEngine(config.jobs)
