"""The records that flow through a pipeline, and how their well-known fields are read.

``date``, ``lang`` and ``url`` come from anywhere; a value that cannot be understood must cost
at most that one record (:meth:`Document.problem`), never the batch. A record keeps the user's own
field names (:class:`FieldNames`); the well-known fields are also found where other tools put them
(:data:`ALIASES`, and a nested ``metadata`` object as datatrove and Hugging Face datasets write it).
"""

from __future__ import annotations

import math
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


def host_of(url: Any) -> str | None:
    """The host name of ``url`` without ``www.``, or None (also for a malformed url such as ``http://[bad``).

    >>> host_of("https://www.example.com/a"), host_of("http://[bad"), host_of("not a url")
    ('example.com', None, None)
    """
    if not url:
        return None
    try:
        host = urlsplit(str(url)).hostname or ""
    except ValueError:  # an unknown site, not a broken record
        return None
    return host.removeprefix("www.") or None


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


def unwritable(value: Any, where: str) -> str | None:
    """Why the field ``where`` holding ``value`` cannot be written as standard JSON in UTF-8, or None.

    NaN and Infinity are not standard JSON, and a lone surrogate (in a string or a key) is not
    UTF-8. Readers turn surrogates into U+FFFD and refuse NaN themselves; this catches documents
    that callers build.

    >>> unwritable({"a": [1.5, float("nan")]}, "meta"), unwritable("x\\udc80", "title"), unwritable([{"k": None}], "m")
    ("field 'meta.a[1]' is NaN (NaN and Infinity are not standard JSON)", "field 'title' holds a lone surrogate (U+DC80)", None)
    """
    pending = [(value, where)]
    while pending:  # iterative: no nesting depth exhausts the recursion limit
        value, where = pending.pop()
        if isinstance(value, float) and not math.isfinite(value):
            spelled = "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
            return f"field {where!r} is {spelled} (NaN and Infinity are not standard JSON)"
        if isinstance(value, str) and lone_surrogate(value):
            return f"field {where!r} holds a lone surrogate ({lone_surrogate(value)})"
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and lone_surrogate(key):
                    return f"field {where!r} has a key holding a lone surrogate ({lone_surrogate(key)})"
                pending.append((item, f"{where}.{key}"))
        elif isinstance(value, (list, tuple)):
            pending.extend((item, f"{where}[{i}]") for i, item in enumerate(value))
    return None


#: Other names of the well-known fields, as other tools write them: trafilatura's JSON output
#: (``source`` for the url, ``hostname`` for the site, ``language``).
ALIASES: dict[str, tuple[str, ...]] = {"url": ("source",), "site": ("hostname",), "lang": ("language",)}
#: The nested object in which datatrove and Hugging Face datasets keep a record's other fields.
METADATA = "metadata"


@dataclass(frozen=True)
class FieldNames:
    """The record keys of the id, the text and the well-known fields (``--id-field``, ``--url-field``...).

    Readers look the fields up under these names, and output records are written back under them.

    >>> FieldNames.mapped(id="doc_id", url=None).id, FieldNames.mapped(id="doc_id", url=None).url
    ('doc_id', 'url')
    """

    id: str = "id"
    text: str = "text"
    url: str = "url"
    site: str = "site"
    date: str = "date"
    title: str = "title"

    @classmethod
    def mapped(cls, **names: str | None) -> "FieldNames":
        """The default names with those given (``None`` keeps the default)."""
        return cls(**{key: value for key, value in names.items() if value})


DEFAULT_NAMES = FieldNames()


@dataclass(frozen=True)
class Removal:
    """A line taken out of an article: 1-based ``line`` of the normalised text, the ``rule`` code and the ``text``.

    ``column`` (1-based, in the stripped line) is set when only the end of the line was taken, from
    that column on (a ``cut`` rule: a cookie notice glued to a title); ``text`` is then what was taken."""

    line: int
    rule: str
    text: str
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "rule": self.rule, "text": self.text}
        if self.column is not None:
            out["column"] = self.column
        return out


@dataclass
class Document:
    """One article.

    ``fields`` holds every input field other than the id and text (``title``, ``url``, ``site``,
    ``date`` and anything else), carried through to the output unchanged; ``names`` are the keys of
    the id, the text and the well-known fields, under which :meth:`record` writes them back.
    ``source`` and ``source_line`` say where the article was read from (for messages and ``--fix``).
    Steps fill in ``removed`` (strip), ``fixes`` (normalise), ``duplicate_of`` and ``story`` (group);
    ``signature`` and ``prepared`` carry a step's work to a stage and are dropped there.
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
    #: What corpus stages' :meth:`~cleaner.engine.Stage.prepare` steps computed (stage name -> value),
    #: taken by the stage's ``observe``; never written out.
    prepared: dict | None = field(default=None, repr=False)
    normalized: str | None = field(default=None, repr=False)
    names: FieldNames = field(default=DEFAULT_NAMES, repr=False)

    def value(self, kind: str) -> Any:
        """A well-known field (``url``, ``site``, ``date``, ``title``, ``lang``), or None.

        Looked up under the mapped name (:class:`FieldNames`), then under its :data:`ALIASES`,
        first at the top of the record and then inside a nested ``metadata`` object.
        """
        keys = (getattr(self.names, kind, kind), *ALIASES.get(kind, ()))
        nested = self.fields.get(METADATA)
        for where in (self.fields, nested if isinstance(nested, dict) else {}):
            for key in keys:
                found = where.get(key)
                if found is not None and found != "":
                    return found
        return None

    @property
    def date(self) -> str | None:
        """The ``date`` field in ISO 8601 form, or None when absent or empty.

        An ISO date is kept as written; an RFC 2822 date is rewritten in ISO form with its own
        offset, so that dates of both kinds sort together. Raises :class:`ValueError` for
        anything else (see :meth:`problem`).
        """
        value = self.value("date")
        if value is None:
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
        return language_code(self.value("lang"))

    @property
    def site(self) -> str | None:
        """The publishing site: the ``site`` field, else the host of ``url`` (without ``www.``), else None.

        None also for a malformed url. A site found as a host name (trafilatura's ``hostname``)
        loses its ``www.`` too, so that both spellings of a site learn together.
        """
        explicit = self.fields.get(self.names.site)
        if explicit:
            return str(explicit)
        site = self.value("site")
        if site:
            return str(site).removeprefix("www.")
        return host_of(self.value("url"))

    def problem(self) -> str | None:
        """Why this document cannot go through a pipeline, or None.

        The id must be a string that UTF-8 can hold (no lone surrogate), the text a string too,
        every field writable as standard JSON (:func:`unwritable`), and the date one
        :func:`parse_date` understands. Readers skip such a record with an input error;
        :meth:`cleaner.pipeline.Pipeline.documents` checks documents built by callers too.
        """
        if not isinstance(self.id, str):
            return f"the id must be a string, not {type(self.id).__name__}"
        bad = lone_surrogate(self.id)
        if bad:
            return f"id {self.id!r} holds a lone surrogate ({bad}), which no UTF-8 output can hold"
        if not isinstance(self.text, str):
            return f"the text must be a string, not {type(self.text).__name__}"
        bad = lone_surrogate(self.text)
        if bad:
            return f"the text holds a lone surrogate ({bad}), which no UTF-8 output can hold (replace_surrogates() makes it U+FFFD)"
        for name, value in self.fields.items():
            if isinstance(name, str) and lone_surrogate(name):
                return f"field name {name!r} holds a lone surrogate ({lone_surrogate(name)})"
            problem = unwritable(value, name)
            if problem:
                return problem
        try:
            _ = self.date
        except ValueError as exc:
            return f"field {self.names.date!r}: {exc}"
        return None

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.fixes)

    def record(self, *, removed: bool = False, groups: bool = False) -> dict[str, Any]:
        """The output record: the input's fields, then the id and text (under the record's own
        names, ``id`` and ``text`` by default), then what the steps added."""
        out: dict[str, Any] = dict(self.fields)
        out[self.names.id] = self.id
        out[self.names.text] = self.text
        if removed:
            out["removed"] = [r.to_dict() for r in self.removed]
        if groups:
            out["duplicate_of"] = self.duplicate_of
            out["story"] = self.story
        return out
