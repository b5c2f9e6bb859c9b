"""The records that flow through a pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Removal:
    """A line taken out of an article: 1-based ``line`` of the normalised text, the ``rule`` code and the ``text``."""

    line: int
    rule: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "rule": self.rule, "text": self.text}


@dataclass
class Document:
    """One article.

    ``fields`` holds every input field other than the id and text (``title``, ``url``, ``site``,
    ``date`` and anything else), carried through to the output unchanged.
    ``source`` and ``source_line`` say where the article was read from (for messages and ``--fix``).
    Steps fill in ``removed`` (strip), ``fixes`` (normalise), ``duplicate_of`` and ``story`` (group).
    """

    id: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    source_line: int | None = None
    original: str | None = None
    removed: list[Removal] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    duplicate_of: str | None = None
    duplicate_score: float | None = None
    story: str | None = None
    signature: Any = field(default=None, repr=False)
    normalized: str | None = field(default=None, repr=False)

    @property
    def date(self) -> str | None:
        value = self.fields.get("date")
        return str(value) if value not in (None, "") else None

    @property
    def lang(self) -> str | None:
        value = self.fields.get("lang") or self.fields.get("language")
        return str(value) if value else None

    @property
    def site(self) -> str | None:
        """The publishing site: the ``site`` field, else the host of ``url``, else None."""
        site = self.fields.get("site")
        if site:
            return str(site)
        url = self.fields.get("url")
        if url:
            from urllib.parse import urlsplit

            host = urlsplit(str(url)).hostname or ""
            return host.removeprefix("www.") or None
        return None

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.fixes)

    def record(self, *, removed: bool = False, groups: bool = False) -> dict[str, Any]:
        """The output record: the input's fields, then ``id`` and ``text``, then what the steps added."""
        out: dict[str, Any] = dict(self.fields)
        out["id"] = self.id
        out["text"] = self.text
        if removed:
            out["removed"] = [r.to_dict() for r in self.removed]
        if groups:
            out["duplicate_of"] = self.duplicate_of
            out["story"] = self.story
        return out
