"""The progress display of ``clean``, ``dedup`` and ``run`` on a terminal (standard error), drawn with rich.

One line per phase (:mod:`cleaner.progress`): its name, the articles through it, and, when a total
is known, a bar, ``done/total`` and an ETA. The first phase reads the input, so its total is the
input's files or bytes; later phases count against the articles read. A finished phase stays as
one line with its count and time. Nothing of this is drawn when standard error is not a terminal
or with ``-q``: the :class:`~cleaner.progress.Progress` the command passes then prints nothing.
"""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, Progress as Bars, ProgressColumn, SpinnerColumn, TaskProgressColumn, TextColumn
from rich.text import Text

from ..progress import Progress

REFRESH = 0.1  # seconds between redraws at most


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _amount(value: float, unit: str) -> str:
    if unit == "bytes":
        for size, name in ((1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "kB")):
            if value >= size:
                return f"{value / size:.1f} {name}"
        return f"{int(value)} B"
    return f"{int(value):,} {unit}"


class _Done(ProgressColumn):
    """``12.0 MB/40.1 MB`` or ``1,200/3,000 articles``; the count alone without a total."""

    def render(self, task) -> Text:
        unit = task.fields.get("unit", "articles")
        if not task.fields.get("counted", True):
            return Text("")  # a stage's finish: no count to show
        if task.total is None:
            return Text(_amount(task.completed, unit))
        if unit == "bytes":
            return Text(f"{_amount(task.completed, unit)}/{_amount(task.total, unit)}")
        return Text(f"{int(task.completed):,}/{int(task.total):,} {unit}")


class _Eta(ProgressColumn):
    """``ETA 0:00:31`` while a phase with a total runs; its time once it is done."""

    def render(self, task) -> Text:
        if task.finished or task.fields.get("over"):
            return Text(f"in {_clock(task.elapsed or 0)}", style="dim")
        if task.total is None:
            return Text(f"{_clock(task.elapsed or 0)}", style="dim")
        remaining = task.time_remaining
        return Text(f"ETA {_clock(remaining)}" if remaining is not None else "ETA …", style="cyan")


class TerminalProgress(Progress):
    """A :class:`~cleaner.progress.Progress` that draws each phase on ``console`` (stderr)."""

    def __init__(self, console: Console | None = None):
        super().__init__()
        self.console = console or Console(file=sys.stderr)
        self.bars = Bars(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TaskProgressColumn(),
            _Done(),
            TextColumn("{task.fields[articles]}", style="dim"),
            _Eta(),
            console=self.console,
            refresh_per_second=8,
        )
        self.task = None
        self._drawn = 0.0
        self._live = False

    def phase(self, name: str, total: int | None = None) -> None:
        self._close_task()
        super().phase(name, total)

    def update(self) -> None:
        phase = self.current
        if phase is None:
            if self.finished:
                self.stop()
            return
        if not self._live:
            self.bars.start()
            self._live = True
        reading = len(self.phases) == 1 and self.input_total is not None
        if self.task is None:
            unit = self.input_unit if reading else "articles"
            total = self.input_total if reading else phase.total
            counted = reading or phase.total is not None or len(self.phases) == 1 or phase.name.endswith("writing")
            self.task = self.bars.add_task(phase.name, total=total, unit=unit, articles="", over=False, counted=counted)
            self._drawn = 0.0
        now = time.monotonic()
        if now - self._drawn < REFRESH:
            return
        self._drawn = now
        if reading:
            self.bars.update(self.task, completed=self.input_done, total=self.input_total, articles=f"{phase.articles:,} articles")
        else:
            self.bars.update(self.task, completed=phase.articles)

    def _close_task(self) -> None:
        """The current phase's line, completed: full bar (a phase without a total too), count, time."""
        phase = self.current
        if self.task is not None and phase is not None:
            task = self.bars.tasks[-1]
            first = len(self.phases) == 1
            done = self.input_done if first and self.input_total is not None else phase.articles
            total = task.total if task.total is not None else max(done, 1)
            self.bars.update(self.task, completed=total, total=total, articles=f"{phase.articles:,} articles" if first else "", over=True)
            if task.fields.get("counted") and task.fields.get("unit") == "articles":
                self.bars.update(self.task, completed=phase.articles, total=max(phase.articles, 1) if task.total is None else task.total)
            self.bars.stop_task(self.task)
        self.task = None

    def finish(self) -> None:
        self._close_task()
        super().finish()

    def print(self, text: str) -> None:
        """A message (an input error) above the display."""
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def stop(self) -> None:
        if self._live:
            self._close_task()
            self.bars.stop()
            self._live = False
