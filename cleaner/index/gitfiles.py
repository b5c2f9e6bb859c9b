"""Files committed in git: which files a folder argument holds at ``HEAD``, and their contents.

In a git work tree the index holds what is committed at ``HEAD`` (see :mod:`cleaner.index`): the
files are listed with ``git ls-tree`` and read with one ``git cat-file --batch`` process.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..readers import SKIPPED_FOLDERS, excluded, kind_of
from .storage import CorpusIndexError


@dataclass(frozen=True)
class _Change:
    """A file to (re)index: where to read it, its key in the index, and what its ``files`` row records.

    ``blob``: a file committed in git, read from its blob (``file`` is then a temporary copy);
    ``mtime_ns`` is None for those, as their content hash is the blob id.
    """

    file: Path
    rel: str
    size: int
    mtime_ns: int | None
    digest: str
    shown: str
    blob: str | None = None




def _git_env() -> dict[str, str]:
    """The environment for git: variables a hook may have inherited that point git elsewhere are dropped."""
    return {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}


def _git(top: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "--literal-pathspecs", "-C", str(top), *args], env=_git_env(), capture_output=True, timeout=600, **kwargs)


def _git_top(root: Path) -> Path | None:
    """The top folder of the git work tree ``root`` is in, or None outside git."""
    try:
        out = _git(root, "rev-parse", "--show-toplevel", text=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip()).resolve() if out.returncode == 0 and out.stdout.strip() else None


def _git_spec(top: Path | None, arg: str) -> str | None:
    """``arg`` as a path relative to the work tree's top (``.`` for the top), or None when it is outside git."""
    if top is None:
        return None
    resolved = (Path.cwd() / arg).resolve()
    try:
        rel = resolved.relative_to(top).as_posix()
    except ValueError:
        return None
    return "." if rel in ("", ".") else rel


def _head_files(top: Path, spec: str, arg: str, exclude: tuple[str, ...]) -> list[tuple[str, str, int, str]]:
    """(path from the top, blob id, size, path as shown) of every file committed at HEAD under ``spec``.

    The files a folder walk (:func:`cleaner.readers.iter_files`) takes, in the same order:
    supported types; no hidden files or folders, version-control, dependency or cache folders,
    virtual environments or ``exclude`` globs below ``arg``. A file argument is taken whatever
    its type, as on disk. No commit yet means no files.
    """
    if _git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode != 0:
        return []
    listing = _git(top, "ls-tree", "-r", "-l", "-z", "--full-tree", "HEAD", "--", spec)
    if listing.returncode != 0:
        raise CorpusIndexError(f"{arg}: cannot list the files committed at HEAD: {listing.stderr.decode(errors='replace').strip()}")
    blobs = []
    for entry in listing.stdout.split(b"\0"):
        info, _, raw = entry.partition(b"\t")
        fields = info.split()
        if len(fields) == 4 and fields[1] == b"blob" and fields[0] in (b"100644", b"100755"):  # not symlinks, submodules
            blobs.append((os.fsdecode(raw), fields[2].decode(), int(fields[3])))
    venvs = {name.rpartition("/")[0] + "/" for name, _, _ in blobs if name.endswith("/pyvenv.cfg")}

    def walked(below: str) -> bool:
        parts = PurePosixPath(below).parts
        folders = ["/".join(parts[: n + 1]) for n in range(len(parts) - 1)]
        return (
            kind_of(Path(below)) is not None
            and not any(part.startswith(".") for part in parts)
            and not any(part in SKIPPED_FOLDERS for part in parts[:-1])
            and not any(excluded(f, True, exclude) for f in folders)
            and not excluded(below, False, exclude)
        )

    out = []
    for name, blob, size in blobs:
        if name == spec:
            out.append((name, blob, size, arg))
            continue
        below = name if spec == "." else name[len(spec) + 1 :] if name.startswith(spec + "/") else None
        if below is not None and walked(below) and not any(name.startswith(v) for v in venvs):
            out.append((name, blob, size, str(Path(arg) / below)))
    out.sort(key=lambda item: PurePosixPath(item[0]).parts)
    return out


class _Blobs:
    """Copies committed files out of git (one ``git cat-file --batch`` process) into a temporary folder."""

    def __init__(self, top: Path | None):
        self.top = top
        self.proc: subprocess.Popen | None = None
        self.folder: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> "_Blobs":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:  # closing both pipes stops git also in the middle of a blob
            self.proc.stdin.close()
            self.proc.stdout.close()
            self.proc.wait()
        if self.folder is not None:
            self.folder.cleanup()

    #: Blob names written to git ahead of reading their contents: one round trip per group, not per
    #: file. 128 names (at most 65 bytes each) stay under any pipe's buffer, so writing them never
    #: waits for git, which may be blocked writing contents no one reads yet.
    AHEAD = 128

    def fetch(self, batch: list[_Change]) -> list[_Change]:
        """The batch with each committed file's content copied out (``file`` is then the copy)."""
        out = list(batch)
        wanted = [n for n, change in enumerate(batch) if change.blob is not None]
        if wanted and self.proc is None:
            self.folder = tempfile.TemporaryDirectory(prefix="cleaner-index-")
            command = ["git", "-C", str(self.top), "cat-file", "--batch"]
            self.proc = subprocess.Popen(command, env=_git_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        for start in range(0, len(wanted), self.AHEAD):
            group = wanted[start : start + self.AHEAD]
            self.proc.stdin.write(b"".join(batch[n].blob.encode("ascii") + b"\n" for n in group))
            self.proc.stdin.flush()
            for number in group:
                change = batch[number]
                copy = Path(self.folder.name) / str(number) / change.file.name
                copy.parent.mkdir(exist_ok=True)
                self._copy(change, copy)
                out[number] = dataclasses.replace(change, file=copy)
        return out

    def _copy(self, change: _Change, dest: Path) -> None:
        """Read the content git writes for ``change`` (its name was written before) into ``dest``."""
        header = self.proc.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise CorpusIndexError(f"{change.shown}: cannot read the committed file from git ({b' '.join(header).decode(errors='replace')})")
        left = int(header[2])
        with open(dest, "wb") as handle:
            while left:
                chunk = self.proc.stdout.read(min(left, 1 << 20))
                if not chunk:
                    raise CorpusIndexError(f"{change.shown}: git stopped while reading the committed file")
                handle.write(chunk)
                left -= len(chunk)
        self.proc.stdout.read(1)  # the newline after the content

    def drop(self, batch: list[_Change]) -> None:
        """Remove the copies of a batch once it is read."""
        for change in batch:
            if change.blob is not None:
                change.file.unlink(missing_ok=True)
