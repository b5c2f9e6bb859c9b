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
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import signal
import threading
from typing import Callable, Iterable, Iterator, Sequence, Union

from .documents import Document
from .errors import ConfigError
from .progress import READING, WRITING, Progress, joined, phase_of
from .spool import Spool

Step = Callable[[Document], Document]


class Stage:
    """A corpus stage. Subclasses override what they need; the defaults pass documents through.

    ``observe`` sees every document in input order, in the engine's own process, and returns what to
    keep of it (drop what the stage has taken, such as a signature, so the spool stays small);
    ``finish`` runs once after the last document; ``apply`` completes each document as it is read back.
    """

    name = "stage"

    def observe(self, doc: Document) -> Document:
        return doc

    def finish(self) -> None:
        """Called once, after the last document was observed."""

    def apply(self, doc: Document) -> Document:
        return doc


Plan = Sequence[Union[Step, Stage]]


def _apply(steps: Sequence[Step], doc: Document) -> Document:
    for step in steps:
        doc = step(doc)
    return doc


class Engine:
    """Runs plans. :meth:`map` runs steps over a stream, in order; :meth:`execute` runs a whole plan.
    An engine that holds resources (a cluster) frees them in :meth:`close`; engines are context managers."""

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

    @staticmethod
    def _stages(stages: Sequence[Stage], docs: Iterable[Document], progress: Progress, feed: str = "", seen: list[int] | None = None) -> Iterator[Document]:
        """Run consecutive stages over one spool: stage k observes what stages before it applied.

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
            for n, stage in enumerate(stages[1:], 1):
                progress.phase(phase_of(stage), count)
                for doc in spool:
                    stage.observe(_through(stages[:n], doc))
                    progress.advance()
                stage.finish()
            for doc in spool:
                yield _through(stages, doc)


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


_WORKER_STEPS: Sequence[Step] = ()


def _init_worker(steps: Sequence[Step]) -> None:
    global _WORKER_STEPS
    # The pool stops its workers with SIGTERM. A worker must die of it at once, as the system does
    # by default, not through a Python handler inherited from the parent: that handler runs only
    # between bytecodes, and a worker that missed it blocked the pool's join forever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # blocked while the parent forked (see _no_sigterm)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    _WORKER_STEPS = steps


@contextlib.contextmanager
def _no_sigterm():
    """SIGTERM held back while worker processes are forked: the fork hooks (``logging``'s among
    them) run in this thread, and an exception raised by the SIGTERM handler inside one is printed
    as "Exception ignored" with a traceback instead of stopping the run. Held back, the signal
    arrives just after, where :class:`~cleaner.errors.Terminated` propagates."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _work(doc: Document) -> Document:
    return _apply(_WORKER_STEPS, doc)


class LocalEngine(Engine):
    """This machine: steps in this process (``jobs=1``) or in ``jobs`` worker processes, order kept,
    so results never depend on ``jobs``. The worker pool starts when the first document is asked for."""

    def __init__(self, jobs: int = 1, chunksize: int = 16):
        self.jobs, self.chunksize = max(1, jobs), chunksize

    def map(self, steps: Sequence[Step], docs: Iterable[Document]) -> Iterator[Document]:
        if self.jobs == 1 or not steps:
            for doc in docs:
                yield _apply(steps, doc)
            return
        # The first document is taken before the pool starts: a stage upstream has then finished
        # (what it learned is in the steps sent to the workers), and no pool is ever started from
        # inside another pool's feeder thread.
        docs = iter(docs)
        first = next(docs, None)
        if first is None:
            return
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        with _no_sigterm():
            pool = ctx.Pool(self.jobs, initializer=_init_worker, initargs=(tuple(steps),))
        with pool:
            yield from pool.imap(_work, itertools.chain([first], docs), self.chunksize)


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
