"""A CPU-time bound on the regular-expression searches of rules (see :mod:`cleaner.rulebook`).

A pattern that backtracks catastrophically would hang a run on one line; in the main thread a timer
stops such a search after :data:`BUDGET` seconds of CPU time, elsewhere the ``regex`` module's
timeout does (:func:`fallback`).
"""

from __future__ import annotations

import atexit
import functools
import os
import signal
import threading
from threading import get_ident
from typing import Any

#: CPU seconds one search of one rule in one line may take before it is stopped (counted as no match).
BUDGET = 0.05
#: Wall-clock seconds for a search outside the main thread (Dask task threads), where the CPU-time
#: watchdog cannot run: 50 ms of wall clock stopped ordinary searches at load 6.
THREAD_BUDGET = 10 * BUDGET


class RuleTimeout(Exception):
    """A search ran out of :data:`BUDGET`."""


class Watchdog:
    """Bounds pattern searches in the main thread with a CPU-time timer, at almost no cost per search.

    While armed, ``ITIMER_VIRTUAL`` sends ``SIGVTALRM`` every :data:`BUDGET` seconds of CPU time, and
    the handler looks at the Python frame that is running: when a tick finds the same search call
    (of a function :meth:`watch` was given) as the previous tick, that search has run for at least
    one budget, and the handler raises :class:`RuleTimeout` in it (``re`` checks for
    signals while it matches). A tick outside a search stops the timer; the next search starts it
    again, so it only ticks while rules are matched. Where it cannot run (another thread, no
    ``setitimer``, or ``SIGVTALRM`` already in use) searches use the ``regex`` module's timeout.
    """

    def __init__(self) -> None:
        self.armed = False
        self.usable = hasattr(signal, "setitimer") and hasattr(signal, "SIGVTALRM")
        self.last = None  # the search frame the previous tick found
        self.codes: frozenset = frozenset()  # the code objects of the functions that search (see watch)
        self.handler = self._tick  # one bound method, so that getsignal() can recognise it
        if hasattr(os, "register_at_fork"):  # a child process does not inherit the timer
            os.register_at_fork(after_in_child=self.disarm)
        atexit.register(self.disarm)  # at exit Python restores SIGVTALRM's default action: to end the process

    def watch(self, *functions: Any) -> None:
        """Let the watchdog stop these functions (the searches) when they run out of budget."""
        self.codes = self.codes | {f.__code__ for f in functions}

    def disarm(self) -> None:
        """Stop the timer (the next search starts it again)."""
        if self.armed:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        self.armed, self.last = False, None

    def ready(self) -> bool:
        """Whether a search in this thread is bounded by the watchdog (arming it when needed)."""
        if not self.usable or get_ident() != MAIN_THREAD:
            return False
        if not self.armed:
            current = signal.getsignal(signal.SIGVTALRM)
            if current is not self.handler:
                if current not in (signal.SIG_DFL, None) or any(signal.getitimer(signal.ITIMER_VIRTUAL)):
                    self.usable = False  # someone else's timer: leave it alone
                    return False
                signal.signal(signal.SIGVTALRM, self.handler)
            self.armed = True  # before the timer starts, so that a tick always finds it armed
            signal.setitimer(signal.ITIMER_VIRTUAL, BUDGET, BUDGET)
        return True

    def _tick(self, signum: int, frame: Any) -> None:
        if frame is None or frame.f_code not in self.codes:
            self.disarm()
        elif frame is self.last:
            self.last = None
            raise RuleTimeout()
        else:
            self.last = frame


MAIN_THREAD = threading.main_thread().ident
WATCHDOG = Watchdog()


@functools.lru_cache(maxsize=None)
def fallback(pattern: str, case_sensitive: bool) -> Any:
    """The pattern compiled by ``regex``, whose searches take a timeout (imported here: the main thread does
    not need it). On the extraction benchmark's lines it matches exactly as ``re`` does for every shipped rule."""
    import regex

    return regex.compile(pattern, 0 if case_sensitive else regex.IGNORECASE)
