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

Safety: WAL journal, a busy timeout, and ``BEGIN IMMEDIATE`` transactions of a few hundred files
each, so two writers serialise, readers never block, and a process killed mid-update leaves the
index as of its last committed batch (the next ``update`` finishes the job). The schema version is
``PRAGMA user_version``; the duplicate and story settings are recorded in ``meta``, and an index
made with other ones is refused with a message saying to rebuild it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
import subprocess
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from .config import Config
from .documents import Document
from .duplicates import DuplicateIndex, canonical_key
from .errors import CleanerError, InputError
from .fingerprints import SCHEME, jaccard

SCHEMA_VERSION = 1
DEFAULT_LOCATION = Path(".cleaner") / "index.sqlite"
STORY = "STY001"
STORY_NAME = "joins-story"
_BATCH_FILES = 256
_STORY_CANDIDATES = 50

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


def band_params(config: Config) -> tuple[int, int]:
    """(bands, rows) of the LSH the duplicate level uses for this threshold (datasketch's optimum)."""
    lsh = DuplicateIndex(config.duplicates).new_lsh()
    return lsh.b, lsh.r


def band_keys(signature: np.ndarray, bands: int, rows: int) -> list[tuple[int, int]]:
    """(band, bucket hash) for each band: a signed 64-bit hash of the band's slice of the signature."""
    raw = np.ascontiguousarray(signature, dtype="<u4")
    out = []
    for band in range(bands):
        digest = hashlib.blake2b(raw[band * rows : (band + 1) * rows].tobytes(), digest_size=8).digest()
        out.append((band, int.from_bytes(digest, "little", signed=True)))
    return out


def _settings(config: Config) -> dict:
    """What signatures, buckets and story records depend on: an index made with others is refused."""
    bands, rows = band_params(config)
    d = config.duplicates
    return {
        "num_perm": d.num_perm, "shingle": d.shingle, "seed": d.seed, "scheme": SCHEME, "bands": bands, "rows": rows,
        "stories": dataclasses.asdict(config.stories),
    }


# ---------------------------------------------------------------- per-article work


@dataclass(frozen=True)
class StoryRecord:
    """An article's story-level record: what :meth:`StoryIndex.add` keeps, plus its distinct terms."""

    lang: str | None
    day: float | None
    counts: dict[str, int]
    terms: list[str]
    top: list[str]


@dataclass(frozen=True)
class Entry:
    """Everything the index keeps about one article, computed away from the database."""

    source: str
    record: str | None
    id: str
    line: int
    date: str | None
    signature: np.ndarray | None
    story: StoryRecord | None


class Storyteller:
    """Story records made by :class:`cleaner.stories.Featurizer`, the same code as
    :meth:`StoryIndex.add`. Records are made in worker processes, article by article, so the
    repeated-sentence memory (which needs input order in one process) is not used here."""

    def __init__(self, config: Config):
        from .stories import Featurizer

        self.config = config.stories
        self.featurizer = Featurizer(config.stories, remember=False)

    def record(self, text: str, lang: str | None, date: str | None) -> StoryRecord:
        features = self.featurizer.features(text, lang, date)
        top = self.featurizer.top(features, self.config.lsh_terms)
        return StoryRecord(features.lang, features.day, features.counts, sorted(features.terms), top)


class Indexer:
    """Pipeline step ``Document -> Entry``: clean as ``cleaner check`` does, fingerprint, story record."""

    def __init__(self, config: Config, rulebook, *, stories: bool = True):
        from .check import Checker

        self.checker = Checker(config, rulebook)
        self.storyteller = Storyteller(config) if stories else None

    def __call__(self, doc: Document) -> Entry:
        cleaned = self.checker.examine(doc.text, doc.site).cleaned
        signature = self.checker.fingerprinter.signature(cleaned)
        story = self.storyteller.record(cleaned, doc.lang, doc.date) if self.storyteller and cleaned.strip() else None
        record = doc.id if doc.source_line else None
        return Entry(doc.source or doc.id, record, doc.id, doc.source_line or 1, doc.date, signature, story)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Hit:
    """An indexed article that a new one matches: ``id``, ``path`` (relative to the root), ``score``."""

    id: str
    path: str
    line: int
    record: str | None
    score: float

    def where(self) -> str:
        return f"{self.path}:{self.line}" + (f" (record {self.record!r})" if self.record else "")


@dataclass
class UpdateStats:
    """What a build or update did."""

    files_seen: int = 0
    files_hashed: int = 0
    files_changed: int = 0
    files_removed: int = 0
    docs_added: int = 0
    docs_removed: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.files_seen} files seen, {self.files_hashed} hashed, {self.files_changed} changed, "
            f"{self.files_removed} removed; {self.docs_added} articles indexed, {self.docs_removed} dropped "
            f"in {self.seconds:.2f}s"
        )


def _pack(obj) -> bytes:
    return zlib.compress(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _unpack(blob: bytes | None):
    return None if blob is None else json.loads(zlib.decompress(blob))


def _content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# ---------------------------------------------------------------- the index


class CorpusIndex:
    """One SQLite index file. Open with :meth:`open` (existing) or :meth:`create` (new, empty).

    ``root`` is the folder paths are stored relative to (the repository root by default).
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, config: Config, root: Path):
        self.con, self.path, self.config, self.root = connection, path, config, root
        self.meta = dict(connection.execute("SELECT key, value FROM meta"))
        settings = json.loads(self.meta["settings"])
        self.bands, self.rows = settings["bands"], settings["rows"]
        self.report_stories = False
        self._storyteller: Storyteller | None = None

    # -------------------------------------------------------------- opening

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        con = sqlite3.connect(str(path), timeout=60.0, isolation_level=None, check_same_thread=False)
        con.execute("PRAGMA busy_timeout = 60000")
        return con

    @classmethod
    def open(cls, path: Path, config: Config, *, root: Path | None = None) -> "CorpusIndex":
        """Open an existing index; refuse one from another schema version or configuration."""
        path = Path(path)
        if not path.is_file():
            raise CorpusIndexError(f"{path}: no index here; create one with `cleaner index build PATH...`")
        try:
            con = cls._connect(path)
            version = con.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise CorpusIndexError(f"{path}: not a cleaner index ({exc}); rebuild it with `cleaner index build PATH...`") from None
        if version != SCHEMA_VERSION:
            con.close()
            raise CorpusIndexError(
                f"{path}: index schema version {version}, this cleaner reads version {SCHEMA_VERSION}; "
                "rebuild it with `cleaner index build PATH...`"
            )
        con.execute("PRAGMA journal_mode = WAL")
        index = cls(con, path, config, root or repo_root())
        index._check_settings()
        return index

    @classmethod
    def create(cls, path: Path, config: Config, paths: Iterable[str] = (), *, root: Path | None = None) -> "CorpusIndex":
        """A new, empty index at ``path`` (an existing file there is replaced)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        root = root or repo_root()
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
                f"{self.path}: index made with other settings ({', '.join(diff)} differ from the configuration); "
                "rebuild it with `cleaner index build PATH...`"
            )

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "CorpusIndex":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- writing

    def build(self, paths: Iterable[str], rulebook, *, jobs: int = 1, on_error: Callable[[InputError], None] | None = None) -> UpdateStats:
        """Index every article under ``paths`` (the index is new), then assign canonicals corpus-wide."""
        stats = self.update(paths, rulebook, jobs=jobs, on_error=on_error, assign=False)
        started = time.monotonic()
        self._assign_all()
        stats.seconds += time.monotonic() - started
        return stats

    def update(
        self,
        paths: Iterable[str] | None,
        rulebook,
        *,
        jobs: int = 1,
        on_error: Callable[[InputError], None] | None = None,
        assign: bool = True,
    ) -> UpdateStats:
        """Bring the index up to date with ``paths`` (default: those it was built from).

        Files are compared by size and mtime first, then by content hash; only files whose content
        changed are read, cleaned and fingerprinted. Files under ``paths`` that no longer exist are dropped.
        """
        from .pipeline import LocalEngine
        from .readers import iter_files

        started = time.monotonic()
        stats = UpdateStats()
        paths = list(paths) if paths else [str(self.root / p) for p in json.loads(self.meta["paths"])]
        known = {row[0]: row[1:] for row in self.con.execute("SELECT path, size, mtime_ns, hash FROM files")}
        seen: set[str] = set()
        changed: list[tuple[Path, str, os.stat_result, str]] = []
        touched: list[tuple[int, int, str]] = []
        for file, _ident, _shown in iter_files(paths):
            if file is None:
                continue
            rel = _relative(file, self.root)
            seen.add(rel)
            try:
                st = file.stat()
            except OSError:
                continue
            old = known.get(rel)
            if old and old[0] == st.st_size and old[1] == st.st_mtime_ns:
                continue
            stats.files_hashed += 1
            try:
                digest = _content_hash(file.read_bytes())
            except OSError:
                continue
            if old and old[2] == digest:
                touched.append((st.st_size, st.st_mtime_ns, rel))
            else:
                changed.append((file, rel, st, digest))
        stats.files_seen = len(seen)
        prefixes = [_relative(Path(p), self.root) for p in paths]
        gone = [rel for rel in known if rel not in seen and any(_under(rel, p) for p in prefixes)]
        if touched:
            self._write(lambda: self.con.executemany("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?", touched))
        for start in range(0, len(gone), _BATCH_FILES):
            batch = gone[start : start + _BATCH_FILES]
            stats.docs_removed += self._write(lambda: self._remove_files(batch, assign=assign))
            stats.files_removed += len(batch)
        engine = LocalEngine(jobs)
        indexer = Indexer(self.config, rulebook)
        for start in range(0, len(changed), _BATCH_FILES):
            batch = changed[start : start + _BATCH_FILES]
            entries = list(engine.map([indexer], self._documents(batch, on_error)))
            added, removed = self._write(lambda: self._replace_files(batch, entries, assign=assign))
            stats.docs_added += added
            stats.docs_removed += removed
            stats.files_changed += len(batch)
        self._write(lambda: self.con.execute("INSERT OR REPLACE INTO meta VALUES ('updated', ?)", (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),)))
        stats.seconds = time.monotonic() - started
        return stats

    def _documents(self, batch, on_error) -> Iterator[Document]:
        from .readers import read_paths

        for item in read_paths([str(f) for f, *_ in batch], id_field=self.config.id_field, text_field=self.config.text_field):
            if isinstance(item, InputError):
                if on_error:
                    on_error(item)
                continue
            yield item

    def _write(self, work: Callable[[], object]):
        """Run ``work`` in one write transaction (waits for another writer; rolled back on error)."""
        self.con.execute("BEGIN IMMEDIATE")
        try:
            result = work()
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")
        return result

    def _replace_files(self, batch, entries: list[Entry], *, assign: bool) -> tuple[int, int]:
        current = {row[0]: row[1] for row in self.con.execute(
            f"SELECT path, hash FROM files WHERE path IN ({','.join('?' * len(batch))})", [rel for _, rel, _, _ in batch])}
        todo = [item for item in batch if current.get(item[1]) != item[3]]  # another writer may have done some
        rels = {str(f): rel for f, rel, _, _ in todo}
        removed = self._remove_files([rel for _, rel, _, _ in todo], assign=assign, keep_file_rows=True)
        df: Counter = Counter()
        added = 0
        for entry in entries:
            rel = rels.get(entry.source)
            if rel is None:
                continue
            canonical = self._best(entry.signature, exclude=(rel, entry.record)) if assign else None
            added += 1
            self._insert(rel, entry, canonical.rowid if canonical else None, df)
        self._df_add(df, +1)
        counts = Counter(rel for entry in entries if (rel := rels.get(entry.source)))
        self.con.executemany(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
            [(rel, st.st_size, st.st_mtime_ns, digest, counts[rel]) for _, rel, st, digest in todo],
        )
        return added, removed

    def _insert(self, rel: str, entry: Entry, canonical: int | None, df: Counter) -> None:
        story = entry.story
        sig = None if entry.signature is None else np.asarray(entry.signature, dtype="<u4").tobytes()
        cur = self.con.execute(
            "INSERT INTO docs (file, record, id, line, date, signature, canonical, lang, day, story_counts, story_terms, story_top)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rel, entry.record, entry.record or rel, entry.line, entry.date, sig, canonical,
                story.lang if story else None, story.day if story else None,
                _pack(story.counts) if story else None, _pack(story.terms) if story else None,
                "\n".join(story.top) if story else None,
            ),
        )
        rowid = cur.lastrowid
        if entry.signature is not None:
            self.con.executemany("INSERT OR IGNORE INTO buckets VALUES (?, ?, ?)", [(b, h, rowid) for b, h in band_keys(entry.signature, self.bands, self.rows)])
        if story:
            self.con.executemany("INSERT OR IGNORE INTO story_index VALUES (?, ?)", [(t, rowid) for t in story.top])
            df.update(story.terms)
            df["\0docs"] += 1

    def _remove_files(self, rels: list[str], *, assign: bool = True, keep_file_rows: bool = False) -> int:
        """Drop the articles of these files (and their file rows unless ``keep_file_rows``)."""
        if not rels:
            return 0
        marks = ",".join("?" * len(rels))
        rows = self.con.execute(f"SELECT rowid, signature, story_terms, story_top FROM docs WHERE file IN ({marks})", rels).fetchall()
        df: Counter = Counter()
        for rowid, sig, terms, top in rows:
            if sig is not None:
                signature = np.frombuffer(sig, dtype="<u4")
                self.con.executemany("DELETE FROM buckets WHERE band = ? AND hash = ? AND doc = ?", [(b, h, rowid) for b, h in band_keys(signature, self.bands, self.rows)])
            if terms is not None:
                df.update(_unpack(terms))
                df["\0docs"] += 1
                self.con.executemany("DELETE FROM story_index WHERE term = ? AND doc = ?", [(t, rowid) for t in top.split("\n") if t])
        self._df_add(df, -1)
        gone = [r[0] for r in rows]
        self.con.execute(f"DELETE FROM docs WHERE file IN ({marks})", rels)
        if not keep_file_rows:
            self.con.execute(f"DELETE FROM files WHERE path IN ({marks})", rels)
        if gone:
            self._reassign_orphans(gone, assign)
        return len(rows)

    def _reassign_orphans(self, gone: list[int], assign: bool) -> None:
        """Duplicates whose canonical was dropped: each finds a new canonical, or becomes one (in added order)."""
        orphans = []
        for start in range(0, len(gone), 500):
            part = gone[start : start + 500]
            orphans += self.con.execute(
                f"SELECT rowid, file, record, signature FROM docs WHERE canonical IN ({','.join('?' * len(part))}) ORDER BY rowid", part
            ).fetchall()
        if not orphans:
            return
        self.con.executemany("UPDATE docs SET canonical = NULL WHERE rowid = ?", [(o[0],) for o in orphans])
        if not assign:
            return
        for rowid, file, record, sig in orphans:
            best = self._best(np.frombuffer(sig, dtype="<u4"), exclude=(file, record), before=rowid)
            if best is not None:
                self.con.execute("UPDATE docs SET canonical = ? WHERE rowid = ?", (best.rowid, rowid))

    def _df_add(self, df: Counter, sign: int) -> None:
        docs = df.pop("\0docs", 0)
        if not docs:
            return
        self.con.executemany(
            "INSERT INTO df VALUES (?, ?) ON CONFLICT (term) DO UPDATE SET n = n + excluded.n",
            [(t, sign * n) for t, n in df.items()],
        )
        if sign < 0:
            self.con.execute("DELETE FROM df WHERE n <= 0")
        self.con.execute("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'df_docs'", (sign * docs,))

    def _assign_all(self) -> None:
        """Canonicals over the whole index, exactly as :meth:`DuplicateIndex.assign` would choose them."""
        dups = DuplicateIndex(self.config.duplicates)
        rowids = []
        for rowid, date, sig in self.con.execute("SELECT rowid, date, signature FROM docs ORDER BY rowid"):
            dups.add(str(rowid), None if sig is None else np.frombuffer(sig, dtype="<u4"), date=date)
            rowids.append(rowid)
        matches = dups.assign()
        updates = [(int(m.canonical) if m.canonical else None, int(r)) for r, m in matches.items()]
        self._write(lambda: self.con.executemany("UPDATE docs SET canonical = ? WHERE rowid = ?", updates))

    # -------------------------------------------------------------- reading

    def key(self, path: str | None) -> str | None:
        """A file path as the index stores it (relative to the root, posix)."""
        return None if path is None else _relative(Path(path), self.root)

    def _best(self, signature: np.ndarray | None, *, exclude: tuple[str | None, str | None] = (None, None), before: int | None = None):
        """The best verified canonical for ``signature`` (highest Jaccard, then earliest), or None."""
        if signature is None:
            return None
        candidates: set[int] = set()
        for band, bucket in band_keys(signature, self.bands, self.rows):
            candidates.update(r for (r,) in self.con.execute("SELECT doc FROM buckets WHERE band = ? AND hash = ?", (band, bucket)))
        if before is not None:
            candidates = {c for c in candidates if c < before}
        if not candidates:
            return None
        file, record = exclude
        best = None
        rows = self.con.execute(
            f"SELECT rowid, id, file, line, record, date, signature FROM docs WHERE canonical IS NULL AND rowid IN ({','.join('?' * len(candidates))})",
            sorted(candidates),
        )
        for rowid, doc_id, other_file, line, other_record, date, sig in rows:
            if other_file == file and (record is None or other_record == record):
                continue  # the article itself, as indexed (possibly before it changed)
            score = jaccard(signature, np.frombuffer(sig, dtype="<u4"))
            rank = canonical_key(rowid, date)
            if score >= self.config.duplicates.threshold and (best is None or (-score, rank) < (-best[0], best[1])):
                best = (score, rank, _Row(rowid, doc_id, other_file, line, other_record))
        return None if best is None else dataclasses.replace(best[2], score=round(best[0], 4))

    def match(self, signature: np.ndarray | None, *, path: str | None = None, record: str | None = None) -> Hit | None:
        """The indexed canonical article that ``signature`` duplicates, or None.

        The article at ``path`` (and ``record`` for JSONL) is left out: a file is not its own duplicate.
        """
        row = self._best(signature, exclude=(self.key(path), record))
        return None if row is None else Hit(row.id, row.file, row.line, row.record, row.score)

    def story_match(self, text: str, *, lang: str | None = None, date: str | None = None, path: str | None = None, record: str | None = None) -> Hit | None:
        """The indexed canonical article whose story this (cleaned) text joins, or None.

        Candidates share salient terms (the ``story_index`` table); each is scored with
        :meth:`StoryIndex.score` (cosine of the term vectors, date window) against the indexed
        document frequencies, and the best at or above the story threshold wins.
        """
        from .stories import StoryIndex

        if self._storyteller is None:
            self._storyteller = Storyteller(self.config)
        rec = self._storyteller.record(text, lang, date)
        if not rec.top:
            return None
        marks = ",".join("?" * len(rec.top))
        cands = self.con.execute(
            f"SELECT s.doc FROM story_index s JOIN docs d ON d.rowid = s.doc WHERE s.term IN ({marks}) AND d.canonical IS NULL"
            f" GROUP BY s.doc ORDER BY COUNT(*) DESC, s.doc LIMIT {_STORY_CANDIDATES}",
            rec.top,
        ).fetchall()
        if not cands:
            return None
        file = self.key(path)
        docs, where = [], {}
        for rowid, doc_id, other_file, line, other_record, lang_, day, counts in self.con.execute(
            f"SELECT rowid, id, file, line, record, lang, day, story_counts FROM docs WHERE rowid IN ({','.join('?' * len(cands))})",
            [c[0] for c in cands],
        ):
            if other_file == file and (record is None or other_record == record):
                continue
            docs.append({"id": str(rowid), "terms": _unpack(counts), "lang": lang_, "day": day})
            where[str(rowid)] = Hit(doc_id, other_file, line, other_record, 0.0)
        if not docs:
            return None
        vocabulary = set(rec.counts).union(*(d["terms"] for d in docs))
        df = self._df(vocabulary)
        for t in rec.terms:
            df[t] = df.get(t, 0) + 1
        state = {
            "config": dataclasses.asdict(self.config.stories),
            "df": {"docs": int(self.meta_value("df_docs")) + 1, "df": df},
            "docs": docs + [{"id": "\0new", "terms": rec.counts, "lang": rec.lang, "day": rec.day}],
        }
        stories = StoryIndex.from_state(state)
        best = max(((stories.score("\0new", d["id"]), -int(d["id"])) for d in docs), default=(0.0, 0))
        if best[0] < self.config.stories.threshold:
            return None
        return dataclasses.replace(where[str(-best[1])], score=round(best[0], 4))

    def _df(self, terms: set[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        terms_list = sorted(terms)
        for start in range(0, len(terms_list), 500):
            part = terms_list[start : start + 500]
            out.update(self.con.execute(f"SELECT term, n FROM df WHERE term IN ({','.join('?' * len(part))})", part))
        return out

    def meta_value(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def check(self, doc: Document, cleaned: str, signature: np.ndarray | None, path: str) -> list[tuple[str, str, str]]:
        """What ``cleaner check`` reports about one staged article: (code, name, message) tuples.

        DUP001 when it duplicates an indexed canonical article; otherwise, with ``report_stories``,
        STY001 (informational) when it joins an indexed article's story.
        """
        from .check import DUPLICATE, DUPLICATE_NAME

        record = doc.id if doc.source_line else None
        hit = self.match(signature, path=path, record=record)
        if hit is not None:
            return [(DUPLICATE, DUPLICATE_NAME, f"duplicates indexed article {hit.where()} (similarity {hit.score:.2f}); remove one of the copies")]
        if self.report_stories and cleaned.strip():
            story = self.story_match(cleaned, lang=doc.lang, date=doc.date, path=path, record=record)
            if story is not None:
                return [(STORY, STORY_NAME, f"joins the story of indexed article {story.where()} (similarity {story.score:.2f})")]
        return []

    def stats(self) -> dict:
        """Size on disk, counts, settings and dates."""
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


@dataclass(frozen=True)
class _Row:
    rowid: int
    id: str
    file: str
    line: int
    record: str | None
    score: float = 0.0


def _relative(path: Path, root: Path) -> str:
    resolved = path.resolve() if path.is_absolute() else (Path.cwd() / path).resolve()
    try:
        return resolved.relative_to(root).as_posix() or "."
    except ValueError:
        return resolved.as_posix()


def _under(rel: str, prefix: str) -> bool:
    return prefix == "." or rel == prefix or rel.startswith(prefix.rstrip("/") + "/")


def open_index(config: Config, path: Path | None = None, *, required: bool = False) -> CorpusIndex | None:
    """The index at ``path``, or at the default location when one exists there (None otherwise)."""
    root = repo_root()
    target = Path(path) if path else default_index_path(root)
    if path is None and not required and not target.is_file():
        return None
    return CorpusIndex.open(target, config, root=root)


__all__ = ["CorpusIndex", "CorpusIndexError", "Entry", "Hit", "Indexer", "UpdateStats", "band_keys", "default_index_path", "open_index", "repo_root"]
