"""Writing results: JSONL to a file or standard output, or cleaned files mirroring the inputs.

Files are written atomically: to a temporary file beside the target, renamed over it only
when complete, so an interrupted or failed run never leaves a partial output file.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def atomic_write(path: Path, mode: str = "w", *, encoding: str | None = "utf-8", newline: str | None = None, like: Path | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it over ``path``, else remove it.

    ``like``: copy that file's permission bits (for rewriting a file in place).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": newline}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        source = like if like is not None and like.exists() else None
        os.chmod(tmp, source.stat().st_mode & 0o7777 if source else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, default=str)


class JsonlWriter:
    """Writes records to ``path`` (atomically) or to standard output when ``path`` is None or ``-``."""

    def __init__(self, path: str | Path | None = None):
        self.path = None if path in (None, "-") else Path(path)

    @contextmanager
    def open(self) -> Iterator[IO[str]]:
        if self.path is None:
            yield sys.stdout
            sys.stdout.flush()
        else:
            with atomic_write(self.path) as handle:
                yield handle

    def write(self, records) -> int:
        count = 0
        with self.open() as handle:
            for record in records:
                handle.write(dumps(record) + "\n")
                count += 1
        return count


class TreeWriter:
    """Writes each article's cleaned text as a file under ``root``, at its id's relative path.

    Paragraphs are separated by a blank line; ids of HTML inputs get a ``.txt`` suffix; an id
    that would leave ``root`` (absolute, or with ``..``) is refused.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def target(self, doc_id: str) -> Path:
        rel = Path(doc_id)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"id {doc_id!r} is not a relative path inside the output folder")
        if rel.suffix.lower() in (".html", ".htm") or rel.suffix.lower() not in (".txt", ".md"):
            rel = rel.with_name(rel.name + ".txt")
        return self.root / rel

    def write_one(self, doc_id: str, text: str) -> Path:
        target = self.target(doc_id)
        body = "\n\n".join(line for line in text.split("\n") if line.strip())
        with atomic_write(target) as handle:
            handle.write(body + "\n" if body else "")
        return target
