"""The records that flow through a pipeline, and how their well-known fields are read.

``date``, ``lang`` and ``url`` come from anywhere; a value that cannot be understood must cost
at most that one record (:meth:`Document.problem`), never the batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from .terms import language_code

DATE_FORMS = "an ISO 8601 date (2024-03-05, 2024-03-05T10:00:00Z) or an RFC 2822 date (Tue, 05 Mar 2024 10:00:00 GMT)"
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_date(value: str) -> datetime:
    """An ISO 8601 or RFC 2822 (e-mail, RSS) date or datetime; naive times are taken as UTC.

    Raises :class:`ValueError` naming the forms understood.

    >>> parse_date("2024-03-05").isoformat(), parse_date("Tue, 05 Mar 2024 10:00:00 GMT").isoformat()
    ('2024-03-05T00:00:00+00:00', '2024-03-05T10:00:00+00:00')
    """
    text = value.strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (ValueError, TypeError, IndexError, OverflowError):
            raise ValueError(f"{value!r} is not a date: expected {DATE_FORMS}") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def lone_surrogate(text: str) -> str | None:
    """The first lone UTF-16 surrogate in ``text`` as ``U+DC80``, or None.

    JSON can spell one (``"\\udc80"``, half of a cut emoji), and Python a file name's bytes that
    are not UTF-8, although no UTF-8 output can hold it: the only characters UTF-8 cannot encode.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"U+{ord(text[exc.start]):04X}"
    return None


def replace_surrogates(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, the replacement character."""
    return _SURROGATE.sub("\ufffd", text) if lone_surrogate(text) else text


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
        """The ``date`` field in ISO 8601 form, or None when absent or empty.

        An ISO date is kept as written; an RFC 2822 date is rewritten in ISO form with its own
        offset, so that dates of both kinds sort together. Raises :class:`ValueError` for
        anything else (see :meth:`problem`).
        """
        value = self.fields.get("date")
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise ValueError(f"expected {DATE_FORMS}, not a JSON {type(value).__name__}")
        text = value.strip()
        try:
            datetime.fromisoformat(text)
        except ValueError:
            return parse_date(text).isoformat()
        return text

    @property
    def lang(self) -> str | None:
        """The language code of the ``lang`` (or ``language``) field (``en-US`` -> ``en``), or None.

        None also for a value that is not a language tag (``english``): the story level then
        guesses the language from the text (:func:`cleaner.terms.language_code`).
        """
        return language_code(self.fields.get("lang") or self.fields.get("language"))

    @property
    def site(self) -> str | None:
        """The publishing site: the ``site`` field, else the host of ``url``, else None (also for a malformed url)."""
        site = self.fields.get("site")
        if site:
            return str(site)
        url = self.fields.get("url")
        if url:
            try:
                host = urlsplit(str(url)).hostname or ""
            except ValueError:  # e.g. "http://[bad": an unknown site, not a broken record
                return None
            return host.removeprefix("www.") or None
        return None

    def problem(self) -> str | None:
        """Why this document cannot go through a pipeline, or None.

        The id must be a string that UTF-8 can hold (no lone surrogate), the text a string, and
        the date one :func:`parse_date` understands. Readers skip such a record with an input
        error; :meth:`cleaner.pipeline.Pipeline.documents` checks documents built by callers too.
        """
        if not isinstance(self.id, str):
            return f"the id must be a string, not {type(self.id).__name__}"
        bad = lone_surrogate(self.id)
        if bad:
            return f"id {self.id!r} holds a lone surrogate ({bad}), which no UTF-8 output can hold"
        if not isinstance(self.text, str):
            return f"the text must be a string, not {type(self.text).__name__}"
        try:
            _ = self.date
        except ValueError as exc:
            return f"field 'date': {exc}"
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
