"""The index file: schema, opening and creating, settings, transactions, integrity and figures.

Everything here is about the SQLite file itself; :mod:`.sync` writes articles into it and
:mod:`.query` answers questions from it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import time
import zlib
from pathlib import Path
from typing import Callable, Iterable, Self

import numpy as np

from ..codes import builtin
from ..config import Config
from ..duplicates import DuplicateIndex
from ..errors import CleanerError
from ..fingerprints import HASHING, SCHEME, Fingerprint

SCHEMA_VERSION = 4  # 2: articles cleaned with the site lines learned at build time (meta "learned");
#                     3: docs.signature holds a whole Fingerprint (signature, lead, token sample), lead bands in buckets;
#                     4: and with the site line templates learned at build time (meta "templates", TPL001)
DEFAULT_LOCATION = Path(".cleaner") / "index.sqlite"
STORY, STORY_NAME = "STY001", builtin("STY001").name
_BATCH_FILES = 256
_STORY_CANDIDATES = 50
_REBUILD = "rebuild it with `cleaner index build PATH...`"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE files (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, hash TEXT, docs INTEGER) WITHOUT ROWID;
CREATE TABLE docs (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    file TEXT NOT NULL, record TEXT, id TEXT NOT NULL, line INTEGER NOT NULL, date TEXT,
    signature BLOB, canonical INTEGER,
    lang TEXT, day REAL, story_counts BLOB, story_terms BLOB, story_top TEXT
);
CREATE INDEX docs_file ON docs (file);
CREATE INDEX docs_canonical ON docs (canonical) WHERE canonical IS NOT NULL;
CREATE TABLE buckets (band INTEGER, hash INTEGER, doc INTEGER, PRIMARY KEY (band, hash, doc)) WITHOUT ROWID;
CREATE TABLE story_index (term TEXT, doc INTEGER, PRIMARY KEY (term, doc)) WITHOUT ROWID;
CREATE TABLE df (term TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
"""


class CorpusIndexError(CleanerError):
    """The index file is missing, from another version or configuration, or unreadable."""


def _unreadable(path: Path, exc: Exception | str) -> CorpusIndexError:
    return CorpusIndexError(f"{path}: the index is damaged or unreadable ({exc}); {_REBUILD}")


def _guarded(method):
    """Report a damaged index file (``sqlite3.DatabaseError`` from any query) as a CorpusIndexError."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise _unreadable(self.path, exc) from None

    return guarded


def repo_root(start: Path | None = None) -> Path:
    """The git work tree's top folder (``git rev-parse --show-toplevel``), else the working directory."""
    here = start or Path.cwd()
    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=here, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return here.resolve()
    return Path(out.stdout.strip()).resolve() if out.returncode == 0 and out.stdout.strip() else here.resolve()


def default_index_path(root: Path | None = None) -> Path:
    """``.cleaner/index.sqlite`` at the repository root."""
    return (root or repo_root()) / DEFAULT_LOCATION


def band_params(config: Config) -> tuple[int, int, int, int]:
    """(bands, rows, lead bands, lead rows) of the two LSH indexes the duplicate level uses
    (datasketch's optimum for ``candidate_threshold`` and ``lead_threshold``)."""
    dups = DuplicateIndex(config.duplicates)
    return (*dups.banding(), *dups.banding(lead=True))


def band_keys(fp: Fingerprint, bands: int, rows: int, lead_bands: int = 0, lead_rows: int = 0) -> list[tuple[int, int]]:
    """(band, bucket hash) for each band: a signed 64-bit hash of the band's slice of the signature;
    the lead signature's bands follow, numbered from ``bands``."""
    out = []
    for first, values, count, size in ((0, fp.signature, bands, rows), (bands, fp.lead, lead_bands, lead_rows)):
        raw = np.ascontiguousarray(values, dtype="<u4")
        for band in range(count):
            digest = hashlib.blake2b(raw[band * size : (band + 1) * size].tobytes(), digest_size=8).digest()
            out.append((first + band, int.from_bytes(digest, "little", signed=True)))
    return out


def _settings(config: Config) -> dict:
    """What signatures, buckets and story records depend on: an index made with others is refused."""
    bands, rows, lead_bands, lead_rows = band_params(config)
    d = config.duplicates
    return {
        "num_perm": d.num_perm, "shingle": d.shingle, "seed": d.seed, "scheme": SCHEME, "hashing": HASHING,
        "lead": d.lead, "lead_perm": d.lead_size, "verify_tokens": d.verify_tokens,
        "bands": bands, "rows": rows, "lead_bands": lead_bands, "lead_rows": lead_rows,
        "stories": dataclasses.asdict(config.stories),
    }


def _pack(obj) -> bytes:
    return zlib.compress(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _unpack(blob: bytes | None):
    return None if blob is None else json.loads(zlib.decompress(blob))


def _content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _relative(path: Path, root: Path) -> str:
    resolved = path.resolve() if path.is_absolute() else (Path.cwd() / path).resolve()
    try:
        return resolved.relative_to(root).as_posix() or "."
    except ValueError:
        return resolved.as_posix()


def _under(rel: str, prefix: str) -> bool:
    return prefix == "." or rel == prefix or rel.startswith(prefix.rstrip("/") + "/")


_SIDE_FILES = ("-wal", "-shm", "-journal")


def _remove_database(path: Path, *, main: bool = True) -> None:
    """Remove a database's ``-wal``, ``-shm`` and ``-journal`` files (and the file itself when ``main``)."""
    for suffix in ("",) * main + _SIDE_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _remove_abandoned_builds(path: Path) -> None:
    """Remove the temporary files of builds of ``path`` whose process is gone (killed mid-build)."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.build-(\d+)-\w+(?:-wal|-shm|-journal)?")
    for leftover in path.parent.glob(f".{path.name}.build-*"):
        found = pattern.fullmatch(leftover.name)
        if found and not _alive(int(found.group(1))):
            leftover.unlink(missing_ok=True)


class IndexFile:
    """One open index file: its connection, path, configuration and ``root`` (the folder paths are
    stored relative to). :class:`~cleaner.index.CorpusIndex` adds writing and queries."""

    def __init__(self, connection: sqlite3.Connection, path: Path, config: Config, root: Path):
        self.con, self.path, self.config, self.root = connection, path, config, root
        self.meta = dict(connection.execute("SELECT key, value FROM meta"))
        settings = json.loads(self.meta["settings"])
        self.bands, self.rows = settings["bands"], settings["rows"]
        self.lead_bands, self.lead_rows = settings.get("lead_bands", 0), settings.get("lead_rows", 0)
        self.report_stories = False
        self._storyteller = None  # made on the first story query
        self._verifier = None  # a DuplicateIndex, made on the first duplicate query

    def band_keys(self, fp: Fingerprint) -> list[tuple[int, int]]:
        """The ``buckets`` keys of a fingerprint in this index (:func:`band_keys` with its banding)."""
        return band_keys(fp, self.bands, self.rows, self.lead_bands, self.lead_rows)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        con = sqlite3.connect(str(path), timeout=60.0, isolation_level=None, check_same_thread=False)
        con.execute("PRAGMA busy_timeout = 60000")
        return con

    @classmethod
    def open(cls, path: Path, config: Config, *, root: Path | None = None) -> Self:
        """Open an existing index; refuse a damaged one, or one of another schema version or configuration."""
        path = Path(path)
        if not path.is_file():
            raise CorpusIndexError(f"{path}: no index here; create one with `cleaner index build PATH...`")
        con = None
        try:
            con = cls._connect(path)
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                raise CorpusIndexError(f"{path}: index schema version {version}, this cleaner reads version {SCHEMA_VERSION}; {_REBUILD}")
            con.execute("PRAGMA journal_mode = WAL")
            index = cls(con, path, config, root or repo_root())
            index._check_settings()
        except BaseException as exc:
            if con is not None:
                con.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise _unreadable(path, exc) from None
            if isinstance(exc, (KeyError, ValueError)):  # no or unreadable settings in ``meta``
                raise CorpusIndexError(f"{path}: not a cleaner index (no settings recorded); {_REBUILD}") from None
            raise
        return index

    @classmethod
    def create(cls, path: Path, config: Config, paths: Iterable[str] = (), *, root: Path | None = None) -> Self:
        """A new, empty index at ``path``, which must not exist yet (:meth:`rebuild` replaces an index safely)."""
        path = Path(path)
        if path.exists():
            raise CorpusIndexError(f"{path}: a file is already there; `cleaner index build` replaces an index")
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls._new(path, config, paths, root or repo_root())

    @classmethod
    def _new(cls, path: Path, config: Config, paths: Iterable[str], root: Path) -> Self:
        """The schema and ``meta`` in a new (missing or empty) file."""
        con = cls._connect(path)
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("BEGIN IMMEDIATE")
        for statement in _SCHEMA.split(";")[:-1]:
            con.execute(statement)
        meta = {
            "settings": json.dumps(_settings(config), sort_keys=True),
            "paths": json.dumps([_relative(Path(p), root) for p in paths]),
            "df_docs": "0",
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.execute("COMMIT")
        return cls(con, path, config, root)

    def _check_settings(self) -> None:
        stored, wanted = json.loads(self.meta["settings"]), _settings(self.config)
        if stored != wanted:
            diff = sorted(k for k in wanted if stored.get(k) != wanted[k])
            raise CorpusIndexError(
                f"{self.path}: index made with other settings ({', '.join(diff)} differ from the configuration); {_REBUILD}"
            )

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, work: Callable[[], object]):
        """Run ``work`` in one write transaction (waits for another writer; rolled back on error)."""
        self.con.execute("BEGIN IMMEDIATE")
        try:
            result = work()
        except BaseException:
            if self.con.in_transaction:  # SQLite may have rolled back already (a damaged file)
                self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")
        return result

    def key(self, path: str | None) -> str | None:
        """A file path as the index stores it (relative to the root, posix)."""
        return None if path is None else _relative(Path(path), self.root)

    @_guarded
    def meta_value(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @_guarded
    def verify(self) -> None:
        """Refuse a damaged file (``PRAGMA quick_check``). It reads every page, so :meth:`update` and
        :meth:`stats` run it; queries report only the damage they run into."""
        problems = [row[0] for row in self.con.execute("PRAGMA quick_check(1)")]
        if problems != ["ok"]:
            lines = [line for p in problems for line in p.splitlines() if line.strip() and not line.startswith("***")]
            raise _unreadable(self.path, lines[0] if lines else "integrity check failed")

    @_guarded
    def stats(self) -> dict:
        """Size on disk, counts, settings and dates (after :meth:`verify`)."""
        self.verify()
        size = sum(os.path.getsize(p) for p in (self.path, Path(f"{self.path}-wal")) if os.path.exists(p))
        one = lambda sql: self.con.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "path": str(self.path),
            "schema_version": SCHEMA_VERSION,
            "bytes": size,
            "files": one("SELECT COUNT(*) FROM files"),
            "articles": one("SELECT COUNT(*) FROM docs"),
            "canonical": one("SELECT COUNT(*) FROM docs WHERE canonical IS NULL"),
            "duplicates": one("SELECT COUNT(*) FROM docs WHERE canonical IS NOT NULL"),
            "buckets": one("SELECT COUNT(*) FROM buckets"),
            "terms": one("SELECT COUNT(*) FROM df"),
            "settings": json.loads(self.meta["settings"]),
            "paths": json.loads(self.meta["paths"]),
            "created": self.meta_value("created"),
            "updated": self.meta_value("updated"),
        }


@dataclasses.dataclass
class UpdateStats:
    """What a build or update did."""

    files_seen: int = 0
    files_hashed: int = 0
    files_changed: int = 0
    files_removed: int = 0
    files_uncommitted: int = 0
    docs_added: int = 0
    docs_removed: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        left_out = f"; {self.files_uncommitted} files not committed at HEAD left out" if self.files_uncommitted else ""
        return (
            f"{self.files_seen} files seen, {self.files_hashed} hashed, {self.files_changed} changed, "
            f"{self.files_removed} removed; {self.docs_added} articles indexed, {self.docs_removed} dropped "
            f"in {self.seconds:.2f}s{left_out}"
        )
