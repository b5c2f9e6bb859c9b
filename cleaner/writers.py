"""Writing results: JSONL, CSV or Parquet to a file (JSONL also to standard output), or cleaned files mirroring the inputs.

Regular files (and new paths) are written atomically: to a temporary file beside the target,
renamed over it only when complete, so an interrupted or failed run never leaves a partial
output file. Special files (standard output, devices such as ``/dev/null``, FIFOs) are written
in place: renaming over them would replace the device or pipe with a regular file. A tree of
files (``-o DIR/``) is written into a hidden staging folder and moved into place when complete.
Every failure to write is an :class:`OutputError` naming the path.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Iterable, Iterator, NoReturn

from .errors import CleanerError, raise_if_terminated
from .filenames import TreeNames, name_max
from .tabular import pyarrow_parquet, write_csv, write_parquet

#: Paths that name this process's standard output.
STDOUT_NAMES = ("-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


class OutputError(CleanerError):
    """An output file or folder cannot be written: the path and the system's reason."""

    def __init__(self, path: str | Path, reason: OSError | str):
        self.path = str(path)
        if isinstance(reason, OSError):
            reason = reason.strerror or str(reason)
        super().__init__(f"{self.path}: cannot write: {reason}")


class _AtomicFile:
    """A temporary file beside ``path`` (``.NAME.XXXX.tmp``): ``commit`` renames it over ``path``, ``abort`` removes it."""

    def __init__(self, path: Path, mode: str = "w", *, encoding: str | None = "utf-8", newline: str | None = None, like: Path | None = None):
        self.path, self.like = path, like
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            kwargs = {} if "b" in mode else {"encoding": encoding, "newline": newline}
            self.handle: IO = os.fdopen(fd, mode, **kwargs)
        except BaseException:
            os.close(fd)
            os.unlink(self.tmp)
            raise

    def commit(self) -> None:
        try:
            raise_if_terminated()
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            source = self.like if self.like is not None and self.like.exists() else None
            os.chmod(self.tmp, source.stat().st_mode & 0o7777 if source else 0o666 & ~current_umask())
            os.replace(self.tmp, self.path)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        try:
            self.handle.close()
        except OSError:
            pass
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


@contextmanager
def atomic_write(path: Path, mode: str = "w", *, encoding: str | None = "utf-8", newline: str | None = None, like: Path | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it over ``path``, else remove it.

    ``like``: copy that file's permission bits (for rewriting a file in place). Errors are the
    system's ``OSError``; the temporary file is removed whatever happens (also on ^C or SIGTERM
    turned into an exception).
    """
    out = _AtomicFile(Path(path), mode, encoding=encoding, newline=newline, like=like)
    try:
        yield out.handle
    except BaseException:
        out.abort()
        raise
    out.commit()


def current_umask() -> int:
    """The process's umask: new files get ``0o666 & ~umask``."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, default=str)


def writes_in_place(path: str | Path) -> bool:
    """Whether ``path`` is a special file, written directly rather than replaced by a rename.

    True for anything that exists and is not a regular file (character and block devices such as
    ``/dev/null``, FIFOs, sockets) and for every path under ``/dev`` or ``/proc``
    (``/dev/fd/3`` may lead to a regular file, but belongs to another open descriptor).
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # a new path (or one the atomic writer will report)
    return not stat.S_ISREG(mode) or os.path.abspath(path).startswith(("/dev/", "/proc/"))


class OutputFile:
    """One output file being written: ``write`` text, then ``close`` to finish it or ``abort`` to discard it.

    ``None``, ``-`` and ``/dev/stdout`` are this process's standard output; special files (see
    :func:`writes_in_place`) are opened and written directly; a regular file or a new path is
    written atomically (a symlink's target is replaced, the link kept). Every failure is an
    :class:`OutputError` naming the path. ``binary``: ``handle`` takes bytes (a Parquet file).
    """

    def __init__(self, path: str | Path | None, *, binary: bool = False):
        self.name = "<stdout>" if path in (None, "-") else str(path)
        self._atomic: _AtomicFile | None = None
        self._stdout = sys.stdout.buffer if binary else sys.stdout
        try:
            if path is None or str(path) in STDOUT_NAMES:
                self.handle: IO = self._stdout
            elif writes_in_place(path):
                self.handle = open(path, "wb") if binary else open(path, "w", encoding="utf-8")
            else:
                self._atomic = _AtomicFile(Path(os.path.realpath(path)), "wb" if binary else "w")
                self.handle = self._atomic.handle
        except OSError as exc:
            raise OutputError(self.name, exc) from None

    def write(self, text: str) -> None:
        try:
            self.handle.write(text)
        except OSError as exc:
            self._raise(exc)

    def _raise(self, exc: OSError) -> NoReturn:
        if isinstance(exc, BrokenPipeError) and self.handle is self._stdout:
            raise exc  # the reader went away (`| head`): the CLI stops quietly, as a pipeline expects
        raise OutputError(self.name, exc) from None

    def close(self) -> None:
        try:
            if self._atomic is not None:
                self._atomic.commit()
            elif self.handle is self._stdout:
                self.handle.flush()
            else:
                self.handle.close()
        except OSError as exc:
            self._raise(exc)

    def abort(self) -> None:
        """Discard a temporary file (stdout and special files keep what was written: they cannot be undone)."""
        if self._atomic is not None:
            self._atomic.abort()
        elif self.handle is not self._stdout:
            try:
                self.handle.close()
            except OSError:
                pass


def write_output(path: str | Path | None, text: str) -> None:
    """Write ``text`` to ``path`` as :class:`OutputFile` does (standard output for None or ``-``;
    a regular file atomically, so it is whole or untouched)."""
    out = OutputFile(path)
    try:
        out.write(text)
    except BaseException:
        out.abort()
        raise
    out.close()


class JsonlWriter:
    """Writes records as JSONL to ``path`` (see :class:`OutputFile`), standard output by default."""

    def __init__(self, path: str | Path | None = None):
        self.path = path

    def write(self, records: Iterable[dict]) -> int:
        out = OutputFile(self.path)
        count = 0
        try:
            for record in records:
                out.write(dumps(record) + "\n")
                count += 1
        except BaseException:
            out.abort()
            raise
        out.close()
        return count


class TableWriter:
    """Writes records as a CSV or Parquet file (by its name, see :mod:`cleaner.tabular`), like :class:`JsonlWriter`.

    Made before any input is read, it fails at once (:class:`~cleaner.tabular.MissingExtra`) when
    Parquet is asked for and pyarrow is not installed.
    """

    def __init__(self, path: str | Path):
        self.path = path
        self.parquet = str(path).lower().endswith(".parquet")
        if self.parquet:
            pyarrow_parquet()

    def write(self, records: Iterable[dict]) -> int:
        out = OutputFile(self.path, binary=self.parquet)
        try:
            count = (write_parquet if self.parquet else write_csv)(records, out.handle)
        except OSError as exc:
            out.abort()
            raise OutputError(out.name, exc) from None
        except BaseException:
            out.abort()
            raise
        out.close()
        return count


def records_writer(path: str | Path | None) -> JsonlWriter | TableWriter:
    """The writer for ``-o FILE``: CSV for ``.csv``, Parquet for ``.parquet``, JSONL otherwise (and for stdout)."""
    if path is not None and str(path).lower().endswith((".csv", ".parquet")):
        return TableWriter(path)
    return JsonlWriter(path)


# ---------------------------------------------------------------- -o DIR/


class TreeWriter:
    """Writes each article's cleaned text as a file under ``root``, at a path from :class:`TreeNames`,
    and the records' other fields as one JSONL file beside them (:data:`RECORDS`).

    Paragraphs are separated by a blank line. Each line of :data:`RECORDS` is an article's record
    without its text, with ``file``: the text file's path under ``root``. Use as a context manager: files are written into a
    hidden staging folder (beside ``root`` when it does not exist yet, inside it when it does) and
    moved into place only when the block ends without an error. A new ``root`` then appears in one
    rename; into an existing ``root`` the files are moved one by one, replacing files of the same
    name and leaving other files alone, after checking that no folder or file is in the way. A
    failed or interrupted run removes the staging folder and leaves ``root`` as it was.
    """

    #: The file of the records' fields; no article's file or folder takes its name.
    RECORDS = "records.jsonl"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.names = TreeNames(name_max(self.root.absolute()))
        self.names.files.add(self.RECORDS)
        self._stage: Path | None = None
        self._written: list[str] = []
        self._records: IO[str] | None = None

    def __enter__(self) -> "TreeWriter":
        root = self.root
        existing = next((folder for folder in (root, *root.parents) if folder.exists()), None)
        if existing is not None and not existing.is_dir():
            raise OutputError(root, "not a folder" if existing == root else f"{existing} is not a folder")
        try:
            if root.is_dir():
                self._stage = Path(tempfile.mkdtemp(prefix=".cleaner-", suffix=".tmp", dir=root))
            else:
                parent = root.absolute().parent
                parent.mkdir(parents=True, exist_ok=True)
                self._stage = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=parent))
        except OSError as exc:
            raise OutputError(root, exc) from None
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self._commit()
            finally:
                self._discard()
        else:
            self._discard()

    def write_one(self, doc_id: str, text: str, record: dict | None = None) -> Path:
        """Stage one article's text, and its ``record`` (without the text) as a line of :data:`RECORDS`;
        its final path (under ``root``) is returned. ``ValueError`` for an unusable id."""
        if self._stage is None:
            raise RuntimeError("TreeWriter.write_one outside a `with TreeWriter(...)` block")
        path = self._write_text(doc_id, text)
        if record is not None:
            self._write_record({**record, "file": path.relative_to(self.root).as_posix()})
        return path

    def _write_record(self, record: dict) -> None:
        try:
            if self._records is None:
                self._records = open(self._stage / self.RECORDS, "x", encoding="utf-8")
                self._written.append(self.RECORDS)
            self._records.write(dumps(record) + "\n")
        except OSError as exc:
            raise OutputError(self.root / self.RECORDS, exc) from None

    def _write_text(self, doc_id: str, text: str) -> Path:
        body = "\n\n".join(line for line in text.split("\n") if line.strip())
        while True:
            rel = self.names.path(doc_id)
            staged = self._stage / rel
            try:
                staged.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(self.root / rel, exc) from None
            try:
                handle = open(staged, "x", encoding="utf-8")  # "x": never two articles in one file
            except FileExistsError:
                continue  # the file system folds names together (case, Unicode form): take the next name
            except OSError as exc:
                raise OutputError(self.root / rel, exc) from None
            try:
                with handle:
                    handle.write(body + "\n" if body else "")
            except OSError as exc:
                raise OutputError(self.root / rel, exc) from None
            self._written.append(rel)
            return self.root / rel

    def _commit(self) -> None:
        stage, root = self._stage, self.root
        try:
            raise_if_terminated()
            if self._records is not None:
                self._records.close()
            if not root.exists():
                os.chmod(stage, 0o777 & ~current_umask())
                os.rename(stage, root)
                self._stage = None
                return
            for rel in self._written:
                self._check_way(rel)
            for rel in self._written:
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(stage / rel, root / rel)
        except OSError as exc:
            raise OutputError(root, exc) from None

    def _check_way(self, rel: str) -> None:
        """Refuse (before anything moves) when an existing file or folder in ``root`` is in the way of ``rel``."""
        parts = PurePosixPath(rel).parts
        for depth in range(1, len(parts)):
            folder = self.root.joinpath(*parts[:depth])
            if folder.exists() and not folder.is_dir():
                raise OutputError(folder, f"a file is in the way of the folder for {self.root / rel}")
        if (self.root / rel).is_dir():
            raise OutputError(self.root / rel, "a folder of that name is in the way")

    def _discard(self) -> None:
        if self._records is not None:
            self._records.close()
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None
