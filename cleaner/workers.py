"""The worker processes of :class:`~cleaner.engine.LocalEngine`: what runs in them, and how their
pool is started and stopped without hanging or printing tracebacks (SIGTERM, a killed parent).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import threading
from typing import Callable, Sequence

from .documents import Document

Step = Callable[[Document], Document]


def apply_steps(steps: Sequence[Step], doc: Document) -> Document:
    for step in steps:
        doc = step(doc)
    return doc


def _init_worker(parent: int) -> None:
    # The parent stops a worker with SIGKILL, and ^C (SIGINT to the whole process group) is the
    # parent's to handle: a worker must neither run the parent's SIGTERM handler nor print a
    # KeyboardInterrupt traceback of its own.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked while the parent forked (see no_sigterm)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """On Linux, ask for SIGTERM when ``parent``, the process that started this worker, dies (the
    request follows the thread that forked: :class:`WorkerPool` is started by the consumer's). A
    parent killed with SIGKILL stops no worker: they went on with the batch in hand, then printed a
    BrokenPipeError traceback each when they sent the result to nobody."""
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


def _serve(conn, steps: Sequence[Step], inherited: Sequence, parent: int) -> None:
    """A worker's life: batches in, results out, in order, over its own pipe, until the pipe
    closes (or the parent kills it). An exception in a step goes back to the parent, to be raised there."""
    _init_worker(parent)
    for other in inherited:  # other workers' pipe ends, inherited by the fork: theirs to close
        other.close()
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):  # the parent closed the pipe or has gone
            return
        try:
            out = (True, [apply_steps(steps, doc) for doc in batch])
        except Exception as exc:  # noqa: BLE001 - the parent raises it, as a step in its own process would
            out = (False, exc)
        try:
            try:
                conn.send(out)
            except (pickle.PicklingError, TypeError, AttributeError) as exc:  # an exception that does not pickle
                conn.send((False, RuntimeError(f"{type(out[1]).__name__}: {out[1]} (and it could not be sent: {exc})")))
        except OSError:  # the parent has gone
            return


class WorkerPool:
    """``jobs`` worker processes, each with a pipe of its own (so no lock is shared between processes).

    Batch *k* goes to worker *k* mod ``jobs`` and its result is read back from that worker, so the
    order is kept without any bookkeeping, and as long as batches are sent and results read in
    order, nothing waits on a worker that waits on this process. :meth:`stop` kills the workers:
    with no shared lock, a worker killed anywhere (writing a result, holding nothing) blocks nobody.
    :class:`multiprocessing.pool.Pool` shares a result queue and its write lock among its workers, and
    its ``terminate`` could wait for ever on a lock a killed worker held (seen under load, 1 SIGTERM'd
    run in 40), or on a result larger than the pipe holds that nobody read any more."""

    def __init__(self, ctx, jobs: int, steps: Sequence[Step]):
        self.conns: list = []
        self.procs: list = []
        forked = ctx.get_start_method() == "fork"
        with no_sigterm():
            for _ in range(jobs):
                mine, theirs = ctx.Pipe()
                inherited = [*self.conns, mine] if forked else []
                proc = ctx.Process(target=_serve, args=(theirs, tuple(steps), inherited, os.getpid()), daemon=True, name="cleaner-worker")
                proc.start()
                theirs.close()
                self.conns.append(mine)
                self.procs.append(proc)

    def send(self, k: int, batch: list) -> None:
        self.conns[k % len(self.conns)].send(batch)

    def result(self, k: int) -> list:
        """The result of batch ``k`` (raises what a step raised; a worker that died is an error)."""
        worker = k % len(self.conns)
        try:
            ok, out = self.conns[worker].recv()
        except (EOFError, OSError):
            proc = self.procs[worker]
            proc.join(1.0)
            raise RuntimeError(f"a worker process ended unexpectedly (exit code {proc.exitcode})") from None
        if not ok:
            raise out
        return out

    def stop(self) -> None:
        """Kill the workers (whatever they are doing: nothing they hold is shared) and reap them."""
        for proc in self.procs:
            if proc.is_alive():
                proc.kill()
        for proc in self.procs:
            proc.join(5.0)

    def close(self) -> None:
        """:meth:`stop`, then close this side's pipes (once nothing sends on them any more)."""
        self.stop()
        for conn in self.conns:
            conn.close()
