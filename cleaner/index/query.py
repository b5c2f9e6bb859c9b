"""Answering from the index without loading it: the canonical a signature duplicates, the story
a text joins, and what ``cleaner check`` reports about a staged article."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from ..check import DUPLICATE, DUPLICATE_NAME
from ..documents import Document
from ..duplicates import DuplicateIndex, canonical_key
from ..fingerprints import Fingerprint
from ..learned import SiteLearning, templates_from_json
from ..stories import StoryIndex
from .storage import _STORY_CANDIDATES, STORY, STORY_NAME, _guarded, _unpack
from .sync import Storyteller


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


@dataclass(frozen=True)
class _Row:
    rowid: int
    id: str
    file: str
    line: int
    record: str | None
    score: float = 0.0


class Queries:
    """Queries (mixed into :class:`~cleaner.index.CorpusIndex`)."""

    def _best(self, fp: Fingerprint | None, *, exclude: tuple[str | None, str | None] = (None, None), before: int | None = None):
        """The indexed canonical ``fp`` duplicates, verified as :meth:`DuplicateIndex.best` does
        (most similar first, earliest on ties), or None."""
        if fp is None:
            return None
        candidates: set[int] = set()
        for band, bucket in self.band_keys(fp):
            candidates.update(r for (r,) in self.con.execute("SELECT doc FROM buckets WHERE band = ? AND hash = ?", (band, bucket)))
        if before is not None:
            candidates = {c for c in candidates if c < before}
        if not candidates:
            return None
        file, record = exclude
        rows: dict[str, _Row] = {}
        found = []
        ordered = sorted(candidates)
        for start in range(0, len(ordered), 500):
            part = ordered[start : start + 500]
            for rowid, doc_id, other_file, line, other_record, date, sig in self.con.execute(
                f"SELECT rowid, id, file, line, record, date, signature FROM docs WHERE canonical IS NULL AND rowid IN ({','.join('?' * len(part))})",
                part,
            ):
                if other_file == file and (record is None or other_record == record):
                    continue  # the article itself, as indexed (possibly before it changed)
                rows[str(rowid)] = _Row(rowid, doc_id, other_file, line, other_record)
                found.append((str(rowid), Fingerprint.from_bytes(sig), canonical_key(rowid, date)))
        if self._verifier is None:
            self._verifier = DuplicateIndex(self.config.duplicates)
        match = self._verifier.best(fp, found)
        return None if match is None else dataclasses.replace(rows[match.canonical], score=match.score)

    @_guarded
    def learned_lines(self) -> dict[str | None, SiteLearning]:
        """What each site repeats, learned at build time: site -> :class:`cleaner.learned.SiteLearning`,
        the keys of its exact lines (:func:`cleaner.learn.line_key`; the frozenset itself) and its line
        templates (``templates``), as ``run`` would learn them from the whole corpus."""
        stored = json.loads(self.meta_value("learned") or "{}")
        lines = {site or None: frozenset(int(k, 16) for k in keys) for site, keys in stored.items()}
        templates = templates_from_json(self.meta_value("templates"))
        return {site: SiteLearning(lines.get(site, ()), templates.get(site)) for site in set(lines) | set(templates)}

    @_guarded
    def match(self, signature: Fingerprint | None, *, path: str | None = None, record: str | None = None) -> Hit | None:
        """The indexed canonical article that ``signature`` duplicates, or None.

        The article at ``path`` (and ``record`` for JSONL) is left out: a file is not its own duplicate.
        """
        row = self._best(signature, exclude=(self.key(path), record))
        return None if row is None else Hit(row.id, row.file, row.line, row.record, row.score)

    @_guarded
    def story_match(self, text: str, *, lang: str | None = None, date: str | None = None, path: str | None = None, record: str | None = None) -> Hit | None:
        """The indexed canonical article whose story this (cleaned) text joins, or None.

        Candidates share salient terms (the ``story_index`` table); each is scored with
        :meth:`StoryIndex.score` (cosine of the term vectors, date window) against the indexed
        document frequencies, and the best at or above the story threshold wins.
        """
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

    def check(self, doc: Document, cleaned: str, signature: Fingerprint | None, path: str) -> list[tuple[str, str, str]]:
        """What ``cleaner check`` reports about one staged article: (code, name, message) tuples.

        DUP001 when it duplicates an indexed canonical article; otherwise, with ``report_stories``,
        STY001 (informational) when it joins an indexed article's story.
        """
        record = doc.id if doc.source_line else None
        hit = self.match(signature, path=path, record=record)
        if hit is not None:
            return [(DUPLICATE, DUPLICATE_NAME, f"duplicates indexed article {hit.where()} (similarity {hit.score:.2f}); remove one of the copies")]
        if self.report_stories and cleaned.strip():
            story = self.story_match(cleaned, lang=doc.lang, date=doc.date, path=path, record=record)
            if story is not None:
                return [(STORY, STORY_NAME, f"joins the story of indexed article {story.where()} (similarity {story.score:.2f})")]
        return []
