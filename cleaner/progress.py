"""Phases and progress of a run: what an :class:`~cleaner.engine.Engine` announces while it runs a plan.

A run goes through **phases** in sequence, because every corpus stage consumes the whole stream
before any document goes on. For ``run`` they are::

    reading and normalising   (the input read; total: files or bytes, from :class:`InputMeter`)
    learning                  (site lines learned from what was read)
    stripping and fingerprints  (total: the articles read)
    grouping duplicates
    grouping stories          (total: the articles read)
    writing                   (total: the articles read)

Pass a :class:`Progress` (or a subclass) to :class:`~cleaner.pipeline.Pipeline` as ``progress``. The
engine calls :meth:`Progress.phase` when a phase starts, :meth:`Progress.advance` for each article
it moves through it and :meth:`Progress.finish` after the last one; an :class:`InputMeter` calls
:meth:`Progress.measure` as input bytes (or files) are read. The base class prints nothing: it
keeps each phase's name, articles, total and seconds (:attr:`Progress.phases`, the ``--stats``
time per phase). A display (``cleaner.cli.progress`` draws one with rich) overrides :meth:`update`.

A phase's name joins the names of what runs in it: a step or stage may carry a ``phase`` attribute;
the built-in ones are named in :data:`PHASE_NAMES` (keyed by class name); anything else is named
by its class.
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

#: The phase names of the built-in steps and stages (:mod:`cleaner.stages`), by class name.
PHASE_NAMES = {
    "Normalize": "normalising",
    "Strip": "stripping",
    "Fingerprint": "fingerprints",
    "LearnSiteLines": "learning",
    "GroupDuplicates": "grouping duplicates",
    "GroupStories": "grouping stories",
}
READING, WRITING = "reading", "writing"


def phase_of(item: object) -> str:
    """The phase name of a step or stage."""
    name = getattr(item, "phase", None)
    return name if isinstance(name, str) else PHASE_NAMES.get(type(item).__name__, type(item).__name__)


def joined(names: Iterable[str]) -> str:
    """``["reading", "normalising"]`` -> ``"reading and normalising"`` (one pass doing several things)."""
    names = list(dict.fromkeys(n for n in names if n))
    if len(names) <= 1:
        return names[0] if names else "passing"
    return ", ".join(names[:-1]) + " and " + names[-1]


@dataclass
class Phase:
    """One phase of a run: ``articles`` moved through it of ``total`` (None: not known);
    ``seconds`` once it has ended."""

    name: str
    total: int | None = None
    articles: int = 0
    started: float = 0.0
    seconds: float | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "articles": self.articles, "seconds": round(self.seconds or 0.0, 3)}


class Progress:
    """Receives a run's phases; prints nothing. Subclasses display it by overriding :meth:`update`.

    ``input_done``/``input_total``/``input_unit``: what :meth:`measure` last said of the input
    (``"files"`` or ``"bytes"``; total None when not known, as for standard input).
    """

    def __init__(self) -> None:
        self.phases: list[Phase] = []
        self.input_done = 0
        self.input_total: int | None = None
        self.input_unit = "files"
        self.finished = False

    @property
    def current(self) -> Phase | None:
        return self.phases[-1] if self.phases and self.phases[-1].seconds is None else None

    def phase(self, name: str, total: int | None = None) -> None:
        """A new phase starts (the one before it ends); ``total``: the articles it will see, if known."""
        self._end()
        self.phases.append(Phase(name, total, started=time.monotonic()))
        self.update()

    def advance(self, n: int = 1) -> None:
        """``n`` more articles moved through the current phase."""
        if self.current is not None:
            self.current.articles += n
            self.update()

    def measure(self, done: int, total: int | None, unit: str) -> None:
        """How much of the input is read: ``done`` of ``total`` ``unit`` (``"files"`` or ``"bytes"``)."""
        self.input_done, self.input_total, self.input_unit = done, total, unit

    def finish(self) -> None:
        """The last document came out: the last phase ends."""
        self._end()
        self.finished = True
        self.update()

    def update(self) -> None:
        """Called after every change; a display redraws here (cheaply: it is called per article)."""

    def _end(self) -> None:
        if self.current is not None:
            self.current.seconds = time.monotonic() - self.current.started

    def times(self) -> list[dict]:
        """Each phase that ran: name, articles and seconds (rounded to milliseconds)."""
        return [p.to_dict() for p in self.phases if p.seconds is not None]


# ---------------------------------------------------------------------- the input's size


class _CountingRaw(io.RawIOBase):
    """A file read through this counts its bytes into ``meter``."""

    def __init__(self, path: Path, meter: "InputMeter"):
        self.file, self.meter = io.FileIO(path, "r"), meter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.file.readinto(buffer)
        self.meter.add(n or 0)
        return n

    def close(self) -> None:
        self.file.close()
        super().close()


class InputMeter:
    """The size of an input and how much of it is read, told to a :class:`Progress`.

    The total is the number of files when every input is one article per file (text, Markdown,
    web pages), else the bytes of all input files (JSON Lines counted as they are read, compressed
    bytes for ``.gz``; a CSV or Parquet file counts once read). Standard input has no total.
    """

    def __init__(self, progress: Progress, files: list[tuple[Path | None, str, str]], kinds: dict[Path, str | None]):
        self.progress = progress
        self.unit = "files" if all(k in ("text", "html", None) for k in kinds.values()) else "bytes"
        if any(path is None for path, _, _ in files):
            self.total = None
        elif self.unit == "files":
            self.total = len(files)
        else:
            self.total = sum(_size(path) for path, _, _ in files)
        self.done = 0
        self._told = 0.0
        self._tell()

    def add(self, n: int) -> None:
        self.done += n
        if time.monotonic() - self._told > 0.1:
            self._tell()

    def _tell(self) -> None:
        self._told = time.monotonic()
        self.progress.measure(self.done, self.total, self.unit)

    def file_done(self, path: Path) -> None:
        self.add(1 if self.unit == "files" else _size(path))

    def open(self, path: Path):
        """A binary stream of ``path`` (decompressed for ``.gz``) whose bytes are counted as read."""
        raw = io.BufferedReader(_CountingRaw(path, self))
        if path.name.lower().endswith(".gz"):
            import gzip

            return gzip.GzipFile(fileobj=raw, mode="rb")
        return raw


def _size(path: Path | None) -> int:
    try:
        return os.stat(path).st_size if path is not None else 0
    except OSError:
        return 0


def read_measured(paths: Iterable[str], progress: Progress, *, names=None, exclude: Iterable[str] = (), stdin=None) -> Iterator:
    """What :func:`~cleaner.readers.read_paths` yields, in the same order, while telling ``progress``
    how much of the input is read (:class:`InputMeter`). The files are listed first, for the total."""
    import sys

    from .documents import FieldNames
    from .readers import read_file, read_jsonl_stream
    from .sources import kind_of
    from .walk import iter_files

    names = names or FieldNames()
    listed: list[tuple[list, tuple | None]] = []  # (problems found before it, file) in walk order
    problems: list = []
    for entry in iter_files(paths, exclude=exclude, on_error=problems.append):
        listed.append((problems, entry))
        problems = []
    listed.append((problems, None))
    files = [entry for _, entry in listed if entry is not None]
    kinds = {path: kind_of(path, named=True) for path, _, _ in files if path is not None}
    meter = InputMeter(progress, files, kinds)
    for before, entry in listed:
        yield from before
        if entry is None:
            continue
        path, ident, shown = entry
        if path is None:
            yield from read_jsonl_stream(stdin or sys.stdin.buffer, shown, names=names, base="<stdin>")
        elif kinds.get(path) == "jsonl" and path.is_file():
            yield from _jsonl(meter, path, shown, names, ident)
        else:
            yield from read_file(path, ident, shown, names)
            meter.file_done(path)
    meter._tell()


def _jsonl(meter: InputMeter, path: Path, shown: str, names, ident: str) -> Iterator:
    from .errors import InputError
    from .readers import read_jsonl_stream

    try:
        with meter.open(path) as stream:
            yield from read_jsonl_stream(stream, shown, names=names, base=ident)
    except OSError as exc:
        yield InputError(shown, None, f"cannot read: {exc.strerror or exc}")
