"""A persistent corpus index in one SQLite file, so a few new articles are compared against a
large corpus without rehashing it.

What it stores, per article: the duplicate-level MinHash signature of the *cleaned* text (as
``cleaner check`` computes it), one row per LSH band ``(band, bucket hash) -> article``, whether
the article is canonical or the duplicate of another one, and the story-level record (language,
day, candidate term counts, its distinct terms and its most salient terms). Per corpus: the
document-frequency table the story level weighs terms with. Per file: size, mtime and content
hash, so :meth:`CorpusIndex.update` rehashes only files whose size or mtime changed and
re-fingerprints only files whose content changed.

Queries never load the index: :meth:`CorpusIndex.match` looks the signature's band hashes up in
the ``buckets`` table and fetches only the candidates' signatures, then verifies them by full
signature Jaccard, as :class:`~cleaner.duplicates.DuplicateIndex` does.

Which files: in a git work tree, the files committed at ``HEAD`` (read from git, so untracked
files, staged but uncommitted ones and uncommitted edits are left out: the index holds what a
pre-commit check compares new articles against); outside git, the files on disk.

Safety: WAL journal, a busy timeout, and ``BEGIN IMMEDIATE`` transactions of a few hundred files
each, so two writers serialise, readers never block, and a process killed mid-update leaves the
index as of its last committed batch (the next ``update`` finishes the job). A build
(:meth:`CorpusIndex.rebuild`) fills a new file beside the index and renames it over the old one
only when complete, so a killed build leaves the old index as it was. The schema version is
``PRAGMA user_version``; the duplicate and story settings are recorded in ``meta``, and an index
made with other ones is refused with a message saying to rebuild it. A damaged file (SQLite may
notice only when a query reads the damaged page) is a :class:`CorpusIndexError` saying to rebuild.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, Iterable

from ..config import Config
from ..errors import InputError
from ..writers import current_umask
from .query import Hit, Queries
from .storage import (
    DEFAULT_LOCATION,
    SCHEMA_VERSION,
    STORY,
    STORY_NAME,
    CorpusIndexError,
    IndexFile,
    _remove_abandoned_builds,
    _remove_database,
    band_keys,
    band_params,
    default_index_path,
    repo_root,
)
from .sync import Entry, Indexer, Sync, UpdateStats


class CorpusIndex(IndexFile, Sync, Queries):
    """One SQLite index file. Open with :meth:`open` (existing), make one with :meth:`rebuild`
    (built beside the target, swapped in when complete) or :meth:`create` (new, empty).

    ``root`` is the folder paths are stored relative to (the repository root by default).
    """


    @classmethod
    def rebuild(
        cls,
        path: Path,
        config: Config,
        paths: Iterable[str],
        rulebook,
        *,
        jobs: int = 1,
        on_error: Callable[[InputError], None] | None = None,
        root: Path | None = None,
    ) -> UpdateStats:
        """Build a new index of ``paths`` and put it at ``path`` (replacing an index there) only when complete.

        The new index is filled in a temporary file beside ``path`` (``.NAME.build-PID-XXXXXXXX``),
        checkpointed and closed, so that it is one self-contained file, and renamed over ``path``
        once the old index's ``-wal``/``-shm`` files are removed (SQLite would apply a leftover
        write-ahead log to the new file). A build that fails or is killed leaves the old index as
        it was; the next build removes the temporary files a killed one left behind.
        """
        path, paths = Path(path), list(paths)
        root = root or repo_root()
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned_builds(path)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.build-{os.getpid()}-", dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        try:
            with cls._new(tmp, config, paths, root) as index:
                stats = index.build(paths, rulebook, jobs=jobs, on_error=on_error)
                index.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            _remove_database(tmp, main=False)  # closed and checkpointed: whatever is left is empty
            os.chmod(tmp, path.stat().st_mode & 0o7777 if path.is_file() else 0o666 & ~current_umask())
            _remove_database(path, main=False)
            os.replace(tmp, path)
        except BaseException:
            _remove_database(tmp)
            raise
        return stats


def open_index(config: Config, path: Path | None = None, *, required: bool = False) -> CorpusIndex | None:
    """The index at ``path``, or at the default location when one exists there (None otherwise)."""
    root = repo_root()
    target = Path(path) if path else default_index_path(root)
    if path is None and not required and not target.is_file():
        return None
    return CorpusIndex.open(target, config, root=root)


__all__ = [
    "DEFAULT_LOCATION", "SCHEMA_VERSION", "STORY", "STORY_NAME", "CorpusIndex", "CorpusIndexError", "Entry", "Hit",
    "Indexer", "UpdateStats", "band_keys", "band_params", "default_index_path", "open_index", "repo_root",
]
