"""The Dask engine: a pipeline's per-article steps on a Dask cluster (optional extra ``cleaner[dask]``).

:class:`DaskEngine` is an :class:`~cleaner.engine.Engine`: it runs the same plan as
:class:`~cleaner.engine.LocalEngine`, so the output is the same, record for record. Runs of
per-article steps (normalising, stripping, fingerprinting: the costly part) go to the cluster's
workers in partitions of ``partition`` documents; the steps are sent to every worker once per run
of steps (with what a stage before them learned, such as a site's repeated lines), and at most
``window`` partitions are in flight at a time, so the client holds a bounded number of documents
whatever the corpus size. Results come back in input order. Corpus stages (learning, duplicate
and story grouping) run in the client process, on what they keep per article (a fingerprint and
term counts, see docs/duplicates.md), as with the local engine.

>>> DaskEngine(partition=0)
Traceback (most recent call last):
...
cleaner.errors.ConfigError: Dask engine: partition must be at least 1, not 0
"""

from __future__ import annotations

import collections
import itertools
import logging
from typing import Iterable, Iterator, Sequence

from .documents import Document
from .engine import Engine
from .workers import Step, apply_steps
from .errors import CleanerError, ConfigError

EXTRA = "pip install 'cleaner[dask]'"


def _run_partition(steps: Sequence[Step], docs: list[Document]) -> list[Document]:
    return [apply_steps(steps, doc) for doc in docs]


def _client_class():
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise CleanerError(f"the Dask engine needs the optional extra: {EXTRA}") from None
    return Client, LocalCluster


class DaskEngine(Engine):
    """Steps on a Dask cluster: the scheduler at ``scheduler`` (``tcp://host:8786``), or, when it is
    None, a local cluster of ``workers`` worker processes (one thread each) started on first use
    and stopped by :meth:`close`; ``timeout``: seconds to wait for the scheduler. Use it as a
    context manager, or call :meth:`close`.
    """

    def __init__(self, scheduler: str | None = None, *, workers: int = 2, partition: int = 500, window: int | None = None, timeout: float = 30.0):
        for name, value in (("workers", workers), ("partition", partition), ("window", 1 if window is None else window)):
            if value < 1:
                raise ConfigError(f"Dask engine: {name} must be at least 1, not {value}")
        self.scheduler, self.workers, self.partition, self.window, self.timeout = scheduler, workers, partition, window, timeout
        self._client = None
        self._cluster = None

    # ------------------------------------------------------------------ cluster

    @property
    def client(self):
        """The ``distributed.Client``, connected (and the local cluster started) on first use."""
        if self._client is None:
            Client, LocalCluster = _client_class()
            try:
                if self.scheduler is None:
                    self._cluster = LocalCluster(
                        n_workers=self.workers, threads_per_worker=1, processes=True,
                        dashboard_address=":0", silence_logs=logging.ERROR,
                    )
                    self._client = Client(self._cluster)
                else:
                    self._client = Client(self.scheduler, timeout=self.timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                self.close()
                where = self.scheduler or "a local cluster"
                raise CleanerError(f"Dask engine: cannot start or reach {where}: {exc}") from None
        return self._client

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this engine started one."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    # ------------------------------------------------------------------ engine

    def map(self, steps: Sequence[Step], docs: Iterable[Document]) -> Iterator[Document]:
        if not steps:
            yield from docs
            return
        docs = iter(docs)
        batch = _take(docs, self.partition)
        if not batch:
            return
        # As with the local engine, the steps are sent only once the first document has arrived:
        # the stage upstream has then finished, and the steps carry what it learned.
        client = self.client
        [shared] = client.scatter([tuple(steps)], broadcast=True, hash=False)
        window = self.window or 2 * max(1, len(client.scheduler_info().get("workers", {})))
        pending: collections.deque = collections.deque()
        try:
            while batch:
                pending.append(client.submit(_run_partition, shared, batch, pure=False))
                if len(pending) >= window:
                    yield from pending.popleft().result()
                batch = _take(docs, self.partition)
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
            shared.release()


def _take(docs: Iterator[Document], n: int) -> list[Document]:
    return list(itertools.islice(docs, n))
