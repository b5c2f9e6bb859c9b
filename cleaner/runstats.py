"""The run summary as JSON (``--stats FILE.json``): what a run read, skipped, changed and grouped.

:func:`run_summary` builds it from the run's :class:`~cleaner.stages.Stats`, a :class:`RunTally`
(what ``Stats`` does not keep: removals per site, each skipped input with its reason) and the
:class:`~cleaner.progress.Progress` the pipeline was given (time per phase). The schema is
``docs/stats.schema.json``; :data:`SCHEMA_VERSION` is its ``version``. :func:`write_stats` writes
it atomically.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator

from .documents import Document
from .errors import InputError
from .progress import Progress
from .stages import Stats

SCHEMA_VERSION = 1
#: Skipped inputs listed one by one (all are counted).
SKIPPED_LISTED = 1000


class RunTally:
    """Counts, as documents come out of a pipeline and errors are reported, what ``Stats`` does not:
    lines removed per site (and per rule within each site) and every skipped input's reason."""

    def __init__(self) -> None:
        self.sites: dict[str, dict] = {}
        self.skipped: list[dict] = []
        self.skipped_count = 0

    def error(self, error: InputError) -> None:
        self.skipped_count += 1
        if len(self.skipped) < SKIPPED_LISTED:
            self.skipped.append({"path": error.path, "line": error.line, "reason": error.problem})

    def observe(self, doc: Document) -> None:
        if not doc.removed:
            return
        site = self.sites.setdefault(doc.site or "", {"articles": 0, "lines": 0, "rules": Counter()})
        site["articles"] += 1
        site["lines"] += len(doc.removed)
        site["rules"].update(r.rule for r in doc.removed)

    def documents(self, docs: Iterable[Document]) -> Iterator[Document]:
        """``docs`` as they are, each observed."""
        for doc in docs:
            self.observe(doc)
            yield doc


def run_summary(command: str, stats: Stats, tally: RunTally | None = None, progress: Progress | None = None, *, written: int | None = None) -> dict:
    """The summary of a finished run (``command``: ``clean``, ``dedup`` or ``run``), as in
    ``docs/stats.schema.json``. ``written``: the articles written (fewer than read with
    ``--drop-duplicates``). ``stories`` and ``duplicates`` are null for ``clean``, which groups nothing."""
    tally = tally or RunTally()
    grouped = stats.stories is not None
    sites = {
        site: {"articles": s["articles"], "lines": s["lines"], "rules": dict(sorted(s["rules"].items()))}
        for site, s in sorted(tally.sites.items(), key=lambda kv: (-kv[1]["lines"], kv[0]))
    }
    return {
        "version": SCHEMA_VERSION,
        "command": command,
        "articles": {
            "read": stats.read,
            "changed": stats.changed,
            "written": stats.read if written is None else written,
        },
        "skipped": {"count": stats.skipped, "listed": tally.skipped},
        "removed": {
            "lines": sum(stats.removed.values()),
            "per_rule": dict(sorted(stats.removed.items())),
            "per_site": sites,
        },
        "fixes": dict(sorted(stats.fixes.items())),
        "learned": {"site_lines": stats.learned, "templates": stats.templates},
        "duplicates": stats.duplicates if grouped else None,
        "stories": stats.stories,
        "phases": progress.times() if progress is not None else [],
        "seconds": round(time.monotonic() - stats.started, 3),
    }


def write_stats(path: str | Path, summary: dict) -> None:
    """Write ``summary`` to ``path`` as JSON, atomically (the file is whole or not there)."""
    from .writers import atomic_write

    with atomic_write(Path(path)) as out:
        out.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
