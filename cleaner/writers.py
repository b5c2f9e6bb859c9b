"""Writing results: JSONL to a file or standard output, or cleaned files mirroring the inputs.

Regular files (and new paths) are written atomically: to a temporary file beside the target,
renamed over it only when complete, so an interrupted or failed run never leaves a partial
output file. Special files (standard output, devices such as ``/dev/null``, FIFOs) are written
in place: renaming over them would replace the device or pipe with a regular file. A tree of
files (``-o DIR/``) is written into a hidden staging folder and moved into place when complete.
Every failure to write is an :class:`OutputError` naming the path.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Iterable, Iterator

from .errors import CleanerError

#: Paths that name this process's standard output.
STDOUT_NAMES = ("-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")
#: Characters a file name gets as ``%XX`` (hex code point): control characters and lone surrogates.
_UNSAFE_IN_NAMES = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_KEPT_SUFFIXES = (".txt", ".md")


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
    :class:`OutputError` naming the path.
    """

    def __init__(self, path: str | Path | None):
        self.name = "<stdout>" if path in (None, "-") else str(path)
        self._atomic: _AtomicFile | None = None
        try:
            if path is None or str(path) in STDOUT_NAMES:
                self.handle: IO[str] = sys.stdout
            elif writes_in_place(path):
                self.handle = open(path, "w", encoding="utf-8")
            else:
                self._atomic = _AtomicFile(Path(os.path.realpath(path)))
                self.handle = self._atomic.handle
        except OSError as exc:
            raise OutputError(self.name, exc) from None

    def write(self, text: str) -> None:
        try:
            self.handle.write(text)
        except OSError as exc:
            raise OutputError(self.name, exc) from None

    def close(self) -> None:
        try:
            if self._atomic is not None:
                self._atomic.commit()
            elif self.handle is sys.stdout:
                self.handle.flush()
            else:
                self.handle.close()
        except OSError as exc:
            raise OutputError(self.name, exc) from None

    def abort(self) -> None:
        """Discard a temporary file (stdout and special files keep what was written: they cannot be undone)."""
        if self._atomic is not None:
            self._atomic.abort()
        elif self.handle is not sys.stdout:
            try:
                self.handle.close()
            except OSError:
                pass


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


# ---------------------------------------------------------------- -o DIR/


def _escape(component: str) -> str:
    return _UNSAFE_IN_NAMES.sub(lambda m: f"%{ord(m.group()):02X}", component)


def _digest(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


def _fit(base: str, tail: str, limit: int) -> str:
    """``base + tail`` cut (at a character boundary of ``base``) to at most ``limit`` UTF-8 bytes."""
    room = limit - len(tail.encode("utf-8"))
    return base.encode("utf-8")[: max(room, 0)].decode("utf-8", "ignore") + tail


class TreeNames:
    """Unique, valid relative file paths for article ids, assigned in the order the ids come.

    An id's path is its own (``/`` separates folders) with ``.txt`` added unless it ends in
    ``.txt`` or ``.md``; control characters and lone surrogates become ``%XX``; a name longer than
    ``name_max`` bytes is shortened and gets ``-`` and 8 hex digits of a hash of the id. When that
    path is taken (by an earlier article, or as a folder of earlier articles), the later article
    gets the hash suffix (``story-1a2b3c4d.txt``); a folder that an earlier article's file is in
    the way of gets one likewise (a hash of the folder's id path). No two articles ever share a
    path, and the same ids in the same order always get the same paths. An id that is empty,
    absolute or has a ``..`` part is refused (``ValueError``): it would leave the output folder.
    """

    def __init__(self, name_max: int = 255):
        self.name_max = name_max
        self.files: set[str] = set()
        self.folders: dict[tuple[str, ...], str] = {(): ""}
        self.folder_paths: set[str] = {""}

    def path(self, doc_id: str) -> str:
        """The next free path for ``doc_id`` (posix, relative); calling again gives the next candidate."""
        parts = PurePosixPath(doc_id).parts
        if not doc_id or not parts or PurePosixPath(doc_id).is_absolute() or ".." in parts:
            raise ValueError(f"id {doc_id!r} is not a relative path inside the output folder")
        folder = self._folder(parts[:-1])
        name = _escape(parts[-1])
        suffix = PurePosixPath(name).suffix
        base, ext = (name[: -len(suffix)], suffix) if suffix.lower() in _KEPT_SUFFIXES else (name, ".txt")
        for candidate in self._candidates(base, ext, doc_id):
            rel = f"{folder}/{candidate}" if folder else candidate
            if rel not in self.files and rel not in self.folder_paths:
                self.files.add(rel)
                return rel

    def _folder(self, parts: tuple[str, ...]) -> str:
        if parts in self.folders:
            return self.folders[parts]
        parent = self._folder(parts[:-1])
        for candidate in self._candidates(_escape(parts[-1]), "", "/".join(parts)):
            rel = f"{parent}/{candidate}" if parent else candidate
            if rel not in self.files:
                break
        self.folders[parts] = rel
        self.folder_paths.add(rel)
        return rel

    def _candidates(self, base: str, ext: str, key: str) -> Iterator[str]:
        tag = _digest(key)
        natural = base + ext
        yield natural if len(natural.encode("utf-8")) <= self.name_max else _fit(base, f"-{tag}{ext}", self.name_max)
        n = 1
        while True:
            yield _fit(base, f"-{tag}{ext}" if n == 1 else f"-{tag}-{n}{ext}", self.name_max)
            n += 1


def _name_max(path: Path) -> int:
    """The longest file name (bytes) the file system under ``path`` (or its nearest existing folder) allows."""
    for folder in (path, *path.parents):
        if folder.is_dir():
            try:
                return os.pathconf(folder, "PC_NAME_MAX")
            except (OSError, ValueError):
                break
    return 255


class TreeWriter:
    """Writes each article's cleaned text as a file under ``root``, at a path from :class:`TreeNames`.

    Paragraphs are separated by a blank line. Use as a context manager: files are written into a
    hidden staging folder (beside ``root`` when it does not exist yet, inside it when it does) and
    moved into place only when the block ends without an error. A new ``root`` then appears in one
    rename; into an existing ``root`` the files are moved one by one, replacing files of the same
    name and leaving other files alone, after checking that no folder or file is in the way. A
    failed or interrupted run removes the staging folder and leaves ``root`` as it was.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.names = TreeNames(_name_max(self.root.absolute()))
        self._stage: Path | None = None
        self._written: list[str] = []

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

    def write_one(self, doc_id: str, text: str) -> Path:
        """Stage one article's text; its final path (under ``root``) is returned. ``ValueError`` for an unusable id."""
        if self._stage is None:
            raise RuntimeError("TreeWriter.write_one outside a `with TreeWriter(...)` block")
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
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None
