"""What "cleaned" means: the one definition that ``run``, ``check`` and the corpus index share.

A :class:`Cleaner` holds the configured normalisation, the selected rulebook and the lines each site
repeats (learned from a corpus, see :mod:`cleaner.learn`). Its :meth:`Cleaner.clean`
normalises an article and strips its boilerplate in one call, returning everything a caller may need:
the cleaned text, the normalised text the removals are numbered against, the line fixes and the
removals with their codes. Pipelines that learn site lines first normalise every article
(:meth:`Cleaner.normalize`), learn, then strip (:meth:`Cleaner.strip`): the same two halves.

>>> from cleaner.config import Config
>>> cleaned = Cleaner(Config()).clean("Leave a Comment\\nThe strike hit at dawn.  ")
>>> cleaned.text, [r.rule for r in cleaned.removed], cleaned.steps
('The strike hit at dawn.', ['COM001'], ['NRM007'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .config import Config
from .documents import Removal
from .normalize import LineFix, Normalized, normalize_text
from .rulebook import Rulebook
from .strip import Stripped, render_file, strip_text

#: site -> keys of the lines that site repeats (:func:`cleaner.learn.line_key`).
Learned = Mapping["str | None", frozenset]


@dataclass(frozen=True)
class Cleaned:
    """One article, cleaned: ``text`` (kept lines), ``normalized`` (what removals are numbered against),
    ``fixes`` (lines normalisation changed) and ``removed`` (lines stripped, with codes)."""

    text: str
    normalized: str
    fixes: tuple[LineFix, ...]
    removed: tuple[Removal, ...]
    removed_index: Mapping[int, str]
    cuts: Mapping[int, int] = field(default_factory=dict)

    @property
    def steps(self) -> list[str]:
        """The NRM codes of what normalisation changed."""
        return sorted({code for fix in self.fixes for code in fix.codes})

    def fixed_lines(self) -> list[str]:
        """The normalised text's lines with the removed lines taken out and the blank-line layout kept
        (what ``check --fix`` writes)."""
        return render_file(self.normalized.split("\n"), self.removed_index, self.cuts)


class Cleaner:
    """Normalise and strip articles with one configuration, rulebook and set of learned site lines."""

    def __init__(self, config: Config | None = None, rulebook: Rulebook | None = None, learned: Learned | None = None):
        self.config = config or Config()
        self.rulebook = rulebook if rulebook is not None else Rulebook.configured(self.config.strip)
        self.learned: Learned = learned or {}

    def with_learned(self, learned: Learned) -> "Cleaner":
        """The same cleaner with these learned site lines."""
        return Cleaner(self.config, self.rulebook, learned)

    def normalize(self, text: str) -> Normalized:
        return normalize_text(text, self.config.normalize)

    def strip(self, normalized: str, site: str | None) -> Stripped:
        return strip_text(normalized, self.rulebook, site=site, learned=self.learned.get(site))

    def clean(self, text: str, site: str | None = None) -> Cleaned:
        normalized = self.normalize(text)
        return self.cleaned(normalized, self.strip(normalized.text, site))

    @staticmethod
    def cleaned(normalized: Normalized, stripped: Stripped) -> Cleaned:
        return Cleaned(stripped.text, normalized.text, normalized.fixes, stripped.removed, stripped.removed_index, stripped.cuts)


__all__ = ["Cleaned", "Cleaner", "Learned"]
