"""Writing the index: per-article entries (cleaned, fingerprinted, story record), build and update.

An :class:`Indexer` step turns a document into an :class:`Entry` away from the database (in worker
processes); :class:`Sync` brings the file up to date with the corpus in transactions of a few
hundred files, and assigns canonicals.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator


from ..cleaning import Cleaner
from ..config import Config
from ..documents import Document
from ..duplicates import DuplicateIndex
from ..engine import LocalEngine
from ..errors import InputError
from ..fingerprints import Fingerprint, Fingerprinter
from ..learned import Learner, templates_to_json
from ..readers import iter_files, read_paths
from ..spool import Spool
from ..stories import Featurizer
from .gitfiles import _Blobs, _Change, _git_spec, _git_top, _head_files
from .storage import (
    _BATCH_FILES,
    _content_hash,
    _guarded,
    _pack,
    _relative,
    _under,
    _unpack,
    UpdateStats,
)


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
    signature: Fingerprint | None
    story: StoryRecord | None


class Storyteller:
    """Story records made by :class:`cleaner.stories.Featurizer`, the same code as
    :meth:`StoryIndex.add`. Records are made in worker processes, article by article, so the
    repeated-sentence memory (which needs input order in one process) is not used here."""

    def __init__(self, config: Config):
        self.config = config.stories
        self.featurizer = Featurizer(config.stories, remember=False)

    def record(self, text: str, lang: str | None, date: str | None) -> StoryRecord:
        features = self.featurizer.features(text, lang, date)
        top = self.featurizer.top(features, self.config.lsh_terms)
        return StoryRecord(features.lang, features.day, features.counts, sorted(features.terms), top)


class Indexer:
    """Pipeline step ``Document -> Entry``: clean as ``run`` and ``check`` do (the same
    :class:`~cleaner.cleaning.Cleaner`, with the site lines ``learned`` from the corpus), fingerprint,
    story record."""

    def __init__(self, config: Config, rulebook, *, stories: bool = True, learned=None, normalized: bool = False):
        self.cleaner = Cleaner(config, rulebook, learned)
        self.normalized = normalized  # documents come normalised (read back from the learning pass)
        self.fingerprinter = Fingerprinter(config.duplicates)
        self.storyteller = Storyteller(config) if stories else None

    def __call__(self, doc: Document) -> Entry:
        cleaned = (self.cleaner.strip(doc.text, doc.site) if self.normalized else self.cleaner.clean(doc.text, doc.site)).text
        signature = self.fingerprinter.signature(cleaned)
        story = self.storyteller.record(cleaned, doc.lang, doc.date) if self.storyteller and cleaned.strip() else None
        record = doc.id if doc.source_line else None
        return Entry(doc.source or doc.id, record, doc.id, doc.source_line or 1, doc.date, signature, story)


class Sync:
    """Build and update (mixed into :class:`~cleaner.index.CorpusIndex`)."""

    @_guarded
    def build(self, paths: Iterable[str], rulebook, *, jobs: int = 1, on_error: Callable[[InputError], None] | None = None) -> UpdateStats:
        """Index every article under ``paths`` (the index is new), then assign canonicals corpus-wide.

        The lines each site repeats are learned from the whole corpus first (as ``run`` learns them)
        and kept in the index: every article is cleaned with them, and ``update`` and ``check`` use
        the same lines (a rebuild learns again)."""
        stats = self.update(paths, rulebook, jobs=jobs, on_error=on_error, assign=False, learn=True)
        started = time.monotonic()
        self._assign_all()
        stats.seconds += time.monotonic() - started
        return stats

    @_guarded
    def update(
        self,
        paths: Iterable[str] | None,
        rulebook,
        *,
        jobs: int = 1,
        on_error: Callable[[InputError], None] | None = None,
        assign: bool = True,
        learn: bool = False,
    ) -> UpdateStats:
        """Bring the index up to date with ``paths`` (default: those it was built from).

        In a git work tree the files are those committed at ``HEAD``, compared by blob id; outside
        git, the files on disk, compared by size and mtime first, then by content hash. Only files
        whose content changed are read, cleaned and fingerprinted; files under ``paths`` that are
        gone (deleted, or no longer committed) are dropped.
        """
        started = time.monotonic()
        self.verify()  # never write into a damaged file
        stats = UpdateStats()
        paths = list(paths) if paths else [str(self.root / p) for p in json.loads(self.meta["paths"])]
        known = {row[0]: row[1:] for row in self.con.execute("SELECT path, size, mtime_ns, hash FROM files")}
        seen: set[str] = set()
        changed: list[_Change] = []
        touched: list[tuple[int, int, str]] = []
        top = _git_top(self.root)
        for arg in paths:
            spec = _git_spec(top, arg)
            if spec is None:
                self._disk_changes(arg, known, seen, changed, touched, stats, on_error)
            else:
                self._git_changes(top, spec, arg, known, seen, changed, stats, on_error)
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
        with _Blobs(top) as blobs, Spool() as spool:
            # Learning reads and normalises every article first; it keeps them in a spool on disk,
            # so the indexing pass reads them back instead of reading and normalising them again.
            learned, spooled = self._learn(changed, blobs, rulebook, spool, on_error) if learn else (self.learned_lines(), [])
            indexer = Indexer(self.config, rulebook, learned=learned, normalized=bool(spooled))
            read_back, batches, ends = iter(spool), [], []  # ends[k]: articles read when batch k ended

            def documents() -> Iterator[Document]:  # read by the engine's feeder (a thread for jobs > 1)
                read = 0
                for number, start in enumerate(range(0, len(changed), _BATCH_FILES)):
                    if spooled:
                        batch, count = spooled[number]
                        docs = itertools.islice(read_back, count)
                    else:
                        batch = blobs.fetch(changed[start : start + _BATCH_FILES])
                        docs = self._documents(batch, on_error)
                    batches.append(batch)
                    for doc in docs:
                        read += 1
                        yield doc
                    ends.append(read)  # before any article of the next batch is handed out
                    blobs.drop(batch)  # read: the next batch's copies may take the same paths

            def write(number: int, entries: list[Entry]) -> None:  # every file of the batch has been read
                added, removed = self._write(lambda: self._replace_files(batches[number], entries, assign=assign))
                stats.docs_added, stats.docs_removed = stats.docs_added + added, stats.docs_removed + removed
                stats.files_changed += len(batches[number])

            # One map over every batch (one pool of workers, which load their word lists once);
            # each batch is written in its own transaction once an entry of a later one comes back.
            written, entries = 0, []
            for n, entry in enumerate(engine.map([indexer], documents())):
                while written < len(ends) and n >= ends[written]:
                    write(written, entries)
                    written, entries = written + 1, []
                entries.append(entry)
            for number in range(written, len(batches)):
                write(number, entries)
                entries = []
        self._write(lambda: self.con.execute("INSERT OR REPLACE INTO meta VALUES ('updated', ?)", (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),)))
        stats.seconds = time.monotonic() - started
        return stats

    def _learn(self, changed: list[_Change], blobs: _Blobs, rulebook, spool: Spool, on_error) -> tuple[dict, list]:
        """Learn what each site repeats from the (normalised) articles of ``changed``, as ``run`` learns
        it (:class:`cleaner.learned.Learner`), and keep it in ``meta``: ``learned`` (site -> exact line
        keys) and ``templates`` (site -> its line templates, JSON); nothing when learning is off.

        The normalised articles go to ``spool`` in order; returned with the learned lines: each
        batch of files with the number of articles it gave (empty when learning is off)."""
        batches = []
        if self.config.strip.learn is False:
            learned = {}
        else:
            cleaner, learner = Cleaner(self.config, rulebook), Learner(self.config.strip)
            for start in range(0, len(changed), _BATCH_FILES):
                batch, count = blobs.fetch(changed[start : start + _BATCH_FILES]), 0
                for doc in self._documents(batch, on_error):
                    doc.text, doc.original, count = cleaner.normalize(doc.text).text, None, count + 1
                    learner.add(doc.site, doc.text)
                    spool.add(doc)
                blobs.drop(batch)
                batches.append((batch, count))
            learned = learner.learned()
        lines = json.dumps({site or "": sorted(f"{k:016x}" for k in keys) for site, keys in learned.items() if keys}, sort_keys=True)
        templates = templates_to_json(learned)

        def store():
            self.con.execute("INSERT OR REPLACE INTO meta VALUES ('learned', ?)", (lines,))
            self.con.execute("INSERT OR REPLACE INTO meta VALUES ('templates', ?)", (templates,))

        self._write(store)
        return learned, batches

    def _disk_changes(self, arg: str, known: dict, seen: set, changed: list, touched: list, stats: UpdateStats, on_error) -> None:
        """The files on disk under ``arg`` that changed since they were indexed (size and mtime, then content hash)."""
        for file, _ident, shown in iter_files([arg], exclude=self.config.exclude, on_error=on_error):
            if file is None:
                continue
            rel = _relative(file, self.root)
            if rel in seen:
                continue
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
                changed.append(_Change(file, rel, st.st_size, st.st_mtime_ns, digest, shown))

    def _git_changes(self, top: Path, spec: str, arg: str, known: dict, seen: set, changed: list, stats: UpdateStats, on_error) -> None:
        """The files committed at HEAD under ``arg`` whose blob differs from the indexed one.

        Files on disk under ``arg`` that HEAD does not have (untracked, or staged but not committed)
        are counted in ``stats.files_uncommitted``.
        """
        committed = set()
        for name, blob, size, shown in _head_files(top, spec, arg, self.config.exclude):
            rel = _relative(top / name, self.root)
            committed.add(rel)
            if rel in seen:
                continue
            seen.add(rel)
            digest = f"git:{blob}"
            old = known.get(rel)
            if not (old and old[2] == digest):
                changed.append(_Change(top / name, rel, size, None, digest, shown, blob))
        stats.files_uncommitted += sum(
            1 for file, _ident, _shown in iter_files([arg], exclude=self.config.exclude, on_error=on_error)
            if file is not None and _relative(file, self.root) not in committed
        )

    def _documents(self, batch: list["_Change"], on_error) -> Iterator[Document]:
        shown = {str(c.file): c.shown for c in batch}
        for item in read_paths(list(shown), names=self.config.field_names):
            if isinstance(item, InputError):
                if on_error:
                    on_error(InputError(shown.get(item.path, item.path), item.line, item.problem))
                continue
            yield item

    def _replace_files(self, batch: list["_Change"], entries: list[Entry], *, assign: bool) -> tuple[int, int]:
        current = {row[0]: row[1] for row in self.con.execute(
            f"SELECT path, hash FROM files WHERE path IN ({','.join('?' * len(batch))})", [c.rel for c in batch])}
        todo = [c for c in batch if current.get(c.rel) != c.digest]  # another writer may have done some
        rels = {str(c.file): c.rel for c in todo}
        removed = self._remove_files([c.rel for c in todo], assign=assign, keep_file_rows=True)
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
            [(c.rel, c.size, c.mtime_ns, c.digest, counts[c.rel]) for c in todo],
        )
        return added, removed

    def _insert(self, rel: str, entry: Entry, canonical: int | None, df: Counter) -> None:
        story = entry.story
        sig = None if entry.signature is None else entry.signature.to_bytes()
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
            self.con.executemany("INSERT OR IGNORE INTO buckets VALUES (?, ?, ?)", [(b, h, rowid) for b, h in self.band_keys(entry.signature)])
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
                self.con.executemany("DELETE FROM buckets WHERE band = ? AND hash = ? AND doc = ?", [(b, h, rowid) for b, h in self.band_keys(Fingerprint.from_bytes(sig))])
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
            best = self._best(Fingerprint.from_bytes(sig), exclude=(file, record), before=rowid)
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
            dups.add(str(rowid), None if sig is None else Fingerprint.from_bytes(sig), date=date)
            rowids.append(rowid)
        matches = dups.assign()
        updates = [(int(m.canonical) if m.canonical else None, int(r)) for r, m in matches.items()]
        self._write(lambda: self.con.executemany("UPDATE docs SET canonical = ? WHERE rowid = ?", updates))
