"""Walking folders: the input files under the paths given, in sorted order.

:func:`iter_files` yields every file to read (a file named on the command line always; inside a
folder, the files of a kind :func:`~cleaner.sources.kind_of` knows, minus what is hidden, ignored
or excluded). Problems (a folder that cannot be read, a name that is not UTF-8) are reported, not raised.
"""

from __future__ import annotations

import os
import subprocess
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .documents import lone_surrogate
from .errors import InputError
from .sources import kind_of

#: Folders never walked into: version control, dependency and cache folders (virtual
#: environments, recognised by their ``pyvenv.cfg``, are skipped too).
SKIPPED_FOLDERS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__"})


def _raise(error: InputError) -> None:
    raise error


def _printable(name: str) -> str:
    """A file name as the user can read it: bytes that are not UTF-8 shown as ``\\xe9``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _bad_name(shown: str) -> InputError:
    return InputError(_printable(shown), None, "file name is not valid UTF-8 (no output can hold it): rename the file, skipped")


def iter_files(paths: Iterable[str], *, exclude: Iterable[str] = (), on_error: Callable[[InputError], None] | None = None) -> Iterator[tuple[Path | None, str, str]]:
    """(file, id prefix base, display path) for every input file; folders walked in sorted order.

    A file named in ``paths`` is always yielded. Inside a folder these are skipped: hidden files
    and folders (names starting with ``.``), files of other types, version-control, dependency
    and cache folders (:data:`SKIPPED_FOLDERS`), virtual environments (a folder holding
    ``pyvenv.cfg``), what git ignores when the folder is in a git work tree (``.gitignore``,
    ``.git/info/exclude``, the global excludes), and what an ``exclude`` glob names (see
    :func:`excluded`). Symbolic links to folders elsewhere are followed, each folder walked
    once (a link loop ends there); a link to a folder inside the one walked is not followed, as
    its files are read under their own path. ``-`` stands for standard input (file ``None``).

    Each problem (a folder that cannot be read, a file name that is not UTF-8)
    goes to ``on_error`` as an :class:`InputError`; without ``on_error`` it is raised.
    """
    report = on_error or _raise
    globs = tuple(exclude)
    for arg in paths:
        if arg == "-":
            yield None, "-", "<stdin>"
        elif lone_surrogate(arg):  # how Python spells the bytes of a name that is not UTF-8
            report(_bad_name(arg))
        elif os.path.isdir(arg):  # False, not an exception, for a path it cannot even look at
            yield from _walk(Path(arg), globs, report)
        else:
            yield Path(arg), arg, arg


def _walk(root: Path, globs: tuple[str, ...], report: Callable[[InputError], None]) -> Iterator[tuple[Path, str, str]]:
    """The files under ``root`` as :func:`iter_files` describes, depth first in name order.

    Iterative, so that no folder depth exhausts the recursion limit. A symbolic link to a folder
    inside ``root`` is not followed (the files are read under their own path), and no folder is
    walked twice (``walked`` holds their device and inode), so links never loop or make copies.
    """
    top = _listing(root, report)
    if top is None:
        return
    ignored = git_ignored(root)
    real_root = root.resolve()
    walked = {_identity(root)}
    stack = [(root, "", iter(top))]
    while stack:
        folder, prefix, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        name, path = entry.name, folder / entry.name
        rel = prefix + name
        is_dir = _is_dir(entry)
        if name.startswith(".") or rel in ignored or excluded(rel, is_dir, globs):
            continue
        if not is_dir:
            if kind_of(path) and lone_surrogate(name):
                report(_bad_name(str(path)))
            elif kind_of(path):
                yield path, rel, str(path)
            continue
        if name in SKIPPED_FOLDERS or os.path.isfile(path / "pyvenv.cfg"):  # (a folder it cannot read: False)
            continue
        if lone_surrogate(name):
            report(_bad_name(str(path)))
            continue
        if entry.is_symlink() and path.resolve().is_relative_to(real_root):
            continue
        identity = _identity(path)
        if identity not in walked:
            listing = _listing(path, report)
            if listing is not None:
                walked.add(identity)
                stack.append((path, rel + "/", iter(listing)))


def _listing(folder: Path, report: Callable[[InputError], None]) -> list[os.DirEntry] | None:
    """A folder's entries sorted by name, or None (reported) when it cannot be read."""
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError as exc:
        report(InputError(str(folder), None, f"cannot read folder: {exc.strerror or exc}, skipped"))
        return None


def _identity(path: Path) -> tuple[int, int]:
    """(device, inode) of a folder, through symbolic links (``is_dir`` just stat-ed it)."""
    st = path.stat()
    return st.st_dev, st.st_ino


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows symbolic links
    except OSError:
        return False


def excluded(rel: str, is_dir: bool, globs: Iterable[str]) -> bool:
    """Whether one of the ``exclude`` globs names the entry at ``rel`` (posix, relative to the folder argument).

    Gitignore-like, matched with :func:`fnmatch.fnmatchcase`: a glob without ``/`` matches the
    entry's name at any depth (``drafts``, ``*.tmp.txt``); one with a ``/`` matches the whole
    relative path (``2019/*``, a leading ``/`` or ``**/`` is allowed); a trailing ``/`` matches
    folders only. An excluded folder is not walked at all.

    >>> excluded("a/drafts", True, ["drafts/"]), excluded("a/b.txt", False, ["a/*"]), excluded("b.txt", False, ["/a/*"])
    (True, True, False)
    """
    name = rel.rpartition("/")[2]
    for glob in globs:
        if glob.endswith("/"):
            if not is_dir:
                continue
            glob = glob.rstrip("/")
        glob = glob.removeprefix("**/")
        if "/" in glob:
            if fnmatchcase(rel, glob.lstrip("/")):
                return True
        elif glob and fnmatchcase(name, glob):
            return True
    return False


def git_ignored(folder: Path) -> frozenset[str]:
    """The paths under ``folder`` (relative, posix, folders without the ``/``) that git ignores.

    Empty outside a git work tree or without git. ``git ls-files --others --ignored
    --exclude-standard --directory`` names an ignored folder once instead of every file in it,
    and never a tracked file (git reads those whatever ``.gitignore`` says). The folder's own
    repository decides: variables a hook may have inherited that point git elsewhere are dropped.
    When the folder itself is ignored, it was still asked for by name, and everything in it is read.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
    command = ["git", "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"]
    try:
        out = subprocess.run(command, cwd=folder, env=env, capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    if out.returncode != 0:  # not a work tree
        return frozenset()
    names = (os.fsdecode(name).rstrip("/") for name in out.stdout.split(b"\0"))
    return frozenset(name for name in names if name not in ("", "."))
