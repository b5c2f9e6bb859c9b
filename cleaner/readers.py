"""Reading articles: text and Markdown files, web pages, JSONL, CSV and Parquet, folders, stdin.

:func:`read_paths` yields :class:`~cleaner.documents.Document` objects, and an
:class:`~cleaner.errors.InputError` (yielded, not raised) for each folder, file or record that
cannot be read, so that a batch can report it and go on. Each kind has its module:
:mod:`cleaner.walk` (folders), :mod:`cleaner.pages` (HTML), :mod:`cleaner.records` (JSON Lines),
:mod:`cleaner.tabular` (CSV, Parquet); :mod:`cleaner.sources` knows the kinds by file name.
The names below that come from those modules are imported here for the modules that read
through this one (check, fixing, the index, the report).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Iterable, Iterator

from .documents import DEFAULT_NAMES, Document, FieldNames
from .errors import InputError
from .pages import read_page
from .records import Item, read_jsonl_file, read_jsonl_stream, record_document
from .sources import SUFFIXES, decode_utf8, kind_of, missing, read_bytes
from .tabular import read_csv_file, read_parquet_file
from .walk import SKIPPED_FOLDERS, excluded, iter_files

__all__ = [
    "SKIPPED_FOLDERS", "Item", "excluded", "iter_files", "kind_of", "read_article_file", "read_file", "read_jsonl_file",
    "read_jsonl_stream", "read_paths", "record_document",
]


def read_paths(
    paths: Iterable[str],
    *,
    id_field: str = "id",
    text_field: str = "text",
    stdin: IO[bytes] | None = None,
    exclude: Iterable[str] = (),
    names: FieldNames | None = None,
) -> Iterator[Item]:
    """Every article under ``paths`` in order, with an :class:`InputError` for what cannot be read.

    ``names``: the record keys of the id, text and well-known fields (default: ``id_field``,
    ``text_field`` and the usual names); pages get their metadata fields under these names too.
    ``exclude``: globs of files and folders to leave out of the folders walked (:func:`excluded`).
    """
    names = names or FieldNames(id=id_field, text=text_field)
    problems: list[InputError] = []
    for path, ident, shown in iter_files(paths, exclude=exclude, on_error=problems.append):
        while problems:  # found while walking to this file: reported in walk order
            yield problems.pop(0)
        if path is None:
            yield from read_jsonl_stream(stdin or sys.stdin.buffer, shown, names=names, base="<stdin>")
            continue
        yield from read_file(path, ident, shown, names)
    yield from problems


def read_file(path: Path, ident: str, shown: str, names: FieldNames = DEFAULT_NAMES) -> Iterator[Item]:
    """The articles of one file, whatever its kind; ``ident`` is the id of a one-article file and
    the ``file`` part of a derived record id (``file:line``)."""
    kind = kind_of(path, named=True)  # a folder walk yields only the kinds it takes
    problem = missing(path, shown)
    if problem is not None:
        yield problem
    elif kind is None:
        yield InputError(shown, None, f"unsupported file type (expected one of: {', '.join(SUFFIXES)})")
    elif kind == "jsonl":
        yield from read_jsonl_file(path, shown, names=names, base=ident)
    elif kind == "csv":
        yield from read_csv_file(path, shown, names, ident)
    elif kind == "parquet":
        yield from read_parquet_file(path, shown, names, ident)
    else:
        yield read_article_file(path, ident, shown, kind, names)


def read_article_file(path: Path, ident: str, shown: str, kind: str, names: FieldNames = DEFAULT_NAMES) -> Item:
    """One ``.txt``/``.md`` file or web page as a document.

    A table is no one article: ``check`` (which reads files one article or record at a time to
    fix them) gets an error for it, naming the commands that read it.
    """
    if kind in ("csv", "parquet"):
        return InputError(shown, None, f"{kind.upper()} files are read by clean, dedup and run, not by check; skipped")
    gzipped = path.name.lower().endswith(".gz")
    data = read_bytes(path, shown, compressed=gzipped)
    if isinstance(data, InputError):
        return data
    if kind == "html":
        return read_page(data, ident, shown, gzipped=gzipped, names=names)
    text = decode_utf8(data, shown)
    if isinstance(text, InputError):
        return text
    return Document(id=ident, text=text, source=shown, original=text, names=names)
