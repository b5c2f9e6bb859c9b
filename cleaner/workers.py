"""The worker processes of :class:`~cleaner.engine.LocalEngine`: what runs in them, and how their
pool is started and stopped without hanging or printing tracebacks (SIGTERM, a killed parent).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from typing import Callable, Sequence

from .documents import Document

Step = Callable[[Document], Document]


def apply_steps(steps: Sequence[Step], doc: Document) -> Document:
    for step in steps:
        doc = step(doc)
    return doc


_WORKER_STEPS: Sequence[Step] = ()


def init_worker(steps: Sequence[Step]) -> None:
    global _WORKER_STEPS
    # The pool stops its workers with SIGTERM. A worker must die of it at once, as the system does
    # by default, not through a Python handler inherited from the parent: that handler runs only
    # between bytecodes, and a worker that missed it blocked the pool's join forever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # blocked while the parent forked (see no_sigterm)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    _die_with_parent()
    _WORKER_STEPS = steps


def _die_with_parent() -> None:
    """On Linux, ask for SIGTERM when the process that started this worker dies. A parent killed
    with SIGKILL terminates no pool: its workers went on with the batch in hand, then printed a
    BrokenPipeError traceback each when they sent the result to nobody."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: nothing to ask for
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


@contextlib.contextmanager
def no_sigterm():
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


def drain_tasks(pool, fed_all: threading.Event, patience: float = 10.0) -> None:
    """Before the pool is terminated, let its task thread send the last batch it took from
    ``fed()`` (``fed_all`` is set when the thread comes back for another), taking unsent work off
    the task queue meanwhile.

    The thread may have taken a batch just before ``done`` was set and still be pickling it;
    ``Pool.terminate`` looks for tasks to drain only once, so a batch written after that look
    (larger than the pipe holds, with the workers killed) blocked the thread, and the pool's join,
    forever (a run stopped by SIGTERM under load never ended). The tasks read here are work nobody
    will collect. When the stream was read to its end, ``fed_all`` is already set.
    """
    queue = pool._inqueue  # the pool's task queue (a SimpleQueue: a pipe and the lock its readers take)
    deadline = time.monotonic() + patience
    while not fed_all.is_set() and time.monotonic() < deadline:
        if queue._rlock.acquire(timeout=0.05):  # else a worker holds it, reading what the thread sends
            try:
                while queue._reader.poll(0.01):
                    queue._reader.recv_bytes()
            finally:
                queue._rlock.release()
        fed_all.wait(0.01)


def terminate(pool, patience: float = 30.0) -> None:
    """``pool.terminate()``, reading what workers still send once the pool's result thread is gone.

    ``Pool.terminate`` stops the result thread, then puts a sentinel on the result queue, whose
    write lock a worker may hold while it sends a result larger than the pipe holds: with nobody
    reading, the worker waited for ever, and the terminate with it (1 run in 40 stopped by SIGTERM
    under load). Read here, the result goes through and the lock is released. These are results of
    work nobody will collect. At interpreter exit (a generator collected late) no thread starts any
    more: the pool is terminated as it is."""
    if sys.is_finalizing():
        pool.terminate()
        return
    stopper = threading.Thread(target=pool.terminate, name="cleaner-pool-terminate", daemon=True)
    stopper.start()
    results, handler = pool._outqueue._reader, pool._result_handler
    deadline = time.monotonic() + patience
    while stopper.is_alive() and time.monotonic() < deadline:
        if handler.is_alive():  # the only reader until it ends
            handler.join(0.01)
            continue
        try:
            while results.poll(0.01):
                results.recv_bytes()
        except (OSError, EOFError):
            break
    stopper.join(max(0.0, deadline - time.monotonic()))


def work(batch: list[Document]) -> list[Document]:
    return [apply_steps(_WORKER_STEPS, doc) for doc in batch]
