"""Reading records: JSON Lines (optionally gzipped), as cleaner writes them and as other tools do.

A record is one JSON object with the article's id and text under the names the user maps
(:class:`~cleaner.documents.FieldNames`, ``id``/``text`` by default); every other field is carried
through. Records of other tools read as they come: trafilatura's ``--json`` output (``id`` often
null, the url under ``source``) and datatrove / Hugging Face records (a nested ``metadata``
object). A record without an id gets one derived from where it was read (``file:line``), stable
for the same input. CSV and Parquet rows go through :func:`record_document` too (:mod:`cleaner.tabular`).
"""

from __future__ import annotations

import gzip
import json
import math
import sys
import zlib
from pathlib import Path
from typing import IO, Iterator, Union

from .documents import DEFAULT_NAMES, Document, FieldNames, replace_surrogates
from .errors import InputError
from .sources import decode_utf8

Item = Union[Document, InputError]

#: JSON values nested deeper than this are an input error (nothing in an article needs it, and
#: writing the record back out would exhaust Python's recursion limit).
MAX_JSON_DEPTH = 100


class BadValue(ValueError):
    """A value the record cannot keep; the message names the field."""


def _json_int(digits: str) -> int:
    """A JSON integer, refusing one longer than Python converts (4,300 digits by default)."""
    try:
        return int(digits)
    except ValueError:
        raise BadValue(f"a number with {len(digits.lstrip('-'))} digits (at most {sys.get_int_max_str_digits()} are read)") from None


def field_value(value: object, field: str, path: str, depth: int = 1) -> object:
    """A field's value as the output may carry it: lone surrogates (in strings and keys) become U+FFFD.

    NaN and Infinity (literals, or numbers too large for a float) are not standard JSON, and
    nesting past :data:`MAX_JSON_DEPTH` cannot be written back: :class:`BadValue` naming the
    value's ``path`` in the record (``meta.tags[2]``), or for nesting the top-level ``field``.
    """
    if isinstance(value, str):
        return replace_surrogates(value)
    if isinstance(value, float) and not math.isfinite(value):
        spelled = "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
        raise BadValue(f"field {path!r} is {spelled} (NaN and Infinity are not standard JSON)")
    if isinstance(value, (dict, list)) and depth >= MAX_JSON_DEPTH:
        raise BadValue(f"field {field!r} is nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            key = replace_surrogates(str(key))
            out[key] = field_value(item, field, f"{path}.{key}", depth + 1)
        return out
    if isinstance(value, list):
        return [field_value(item, field, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    return value


def derived_id(base: str, line: int) -> str:
    """The id of a record that has none: where it was read, ``file:line`` (``corpus/a.jsonl:3``)."""
    return f"{base}:{line}"


def record_document(record: object, shown: str, line: int, id_field: str = "id", text_field: str = "text", *, names: FieldNames | None = None, base: str | None = None) -> Item:
    """A record (already parsed) as a document, or the reason it cannot be one.

    ``names`` (default: ``id_field`` and ``text_field`` with the other names as usual) say where
    the id and text are; the record keeps every key as it came, and the output writes the id and
    text back under the same names. A record without an id (missing, null or empty) gets
    :func:`derived_id` of ``base`` (default ``shown``) and ``line``; a record without a text is an error.
    Lone surrogates (``"\\udc80"``: half of an emoji cut by a UTF-16 producer) in the text and
    other fields become U+FFFD; in the id they are an error, as is a date no parser understands.
    An unknown ``lang`` or a malformed ``url`` is not an error (see :class:`Document`).
    """
    names = names or (DEFAULT_NAMES if (id_field, text_field) == ("id", "text") else FieldNames(id=id_field, text=text_field))
    if not isinstance(record, dict):
        return InputError(shown, line, f"expected a JSON object, got {type(record).__name__}")
    text = record.get(names.text)
    if text is None:
        return InputError(shown, line, f"missing required field {names.text!r} (map another field with --text-field)")
    ident = record.get(names.id)
    if ident is None or ident == "":
        ident = derived_id(base or shown, line)
    if not isinstance(ident, (str, int)) or isinstance(ident, bool):
        return InputError(shown, line, f"field {names.id!r} must be a string or integer")
    if not isinstance(text, str):
        return InputError(shown, line, f"field {names.text!r} must be a string, not {type(text).__name__}")
    fields = {}
    try:
        for key, value in record.items():
            if key not in (names.id, names.text):
                key = replace_surrogates(str(key))
                fields[key] = field_value(value, key, key)
    except BadValue as exc:
        return InputError(shown, line, str(exc))
    text = replace_surrogates(text)
    doc = Document(id=str(ident), text=text, fields=fields, source=shown, source_line=line, original=text, names=names)
    problem = doc.problem()
    return InputError(shown, line, problem) if problem else doc


def parse_jsonl_line(raw: bytes, shown: str, line: int, id_field: str = "id", text_field: str = "text", *, names: FieldNames | None = None, base: str | None = None) -> Item | None:
    """One line of a JSONL file as a document or an error; None for a blank line."""
    if not raw.strip():
        return None
    text = decode_utf8(raw, shown, line - 1)
    if isinstance(text, InputError):
        return text
    try:
        record = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        return InputError(shown, line, f"malformed JSON: {exc.msg} (column {exc.colno})")
    except BadValue as exc:
        return InputError(shown, line, f"malformed JSON: {exc}")
    except RecursionError:
        return InputError(shown, line, "malformed JSON: nested too deeply")
    return record_document(record, shown, line, id_field, text_field, names=names, base=base)


def read_jsonl_stream(stream: IO[bytes], shown: str, id_field: str = "id", text_field: str = "text", *, names: FieldNames | None = None, base: str | None = None) -> Iterator[Item]:
    """Each record of a JSONL byte stream, one line at a time (memory does not grow with the file)."""
    number = 0
    try:
        for number, raw in enumerate(stream, 1):
            item = parse_jsonl_line(raw, shown, number, id_field, text_field, names=names, base=base)
            if item is not None:
                yield item
    except (OSError, EOFError, zlib.error) as exc:
        yield InputError(shown, number + 1, f"cannot read compressed data: {exc}")


def read_jsonl_file(path: Path, shown: str, id_field: str = "id", text_field: str = "text", *, names: FieldNames | None = None, base: str | None = None) -> Iterator[Item]:
    """Each record of a ``.jsonl``, ``.jsonl.gz`` or (named on the command line) ``.json`` file, read as JSON Lines."""
    try:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rb") as stream:
            yield from read_jsonl_stream(stream, shown, id_field, text_field, names=names, base=base)
    except OSError as exc:
        yield InputError(shown, None, f"cannot read: {exc.strerror or exc}")
