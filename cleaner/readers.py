"""Reading articles: text and Markdown files, HTML pages, JSONL (optionally gzipped), folders, stdin.

:func:`read_paths` yields :class:`~cleaner.documents.Document` objects, and an
:class:`~cleaner.errors.InputError` (yielded, not raised) for each file or line that cannot be
read, so that a batch can report it and go on.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import zlib
from pathlib import Path
from typing import IO, Iterator, Union

from .documents import Document
from .errors import InputError

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES

Item = Union[Document, InputError]

_DROP_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe", "svg", "button", "select")
_BLOCK_TAGS = (
    "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul", "title",
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_TRUNCATED_TAG = re.compile(r"<[A-Za-z/!][^<>]*\Z")
_SOURCE_BREAK = re.compile(r"\s*\n\s*")
_CHARSET = re.compile(rb"""charset=["']?([A-Za-z0-9_.:-]+)""", re.I)


def kind_of(path: Path) -> str | None:
    """``text``, ``html`` or ``jsonl`` from the file name, or None for other files."""
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(HTML_SUFFIXES):
        return "html"
    if name.endswith(TEXT_SUFFIXES):
        return "text"
    return None


def iter_files(paths: list[str]) -> Iterator[tuple[Path | None, str, str]]:
    """(file, id prefix base, display path) for every input file; folders walked in sorted order.

    Hidden files and folders (names starting with ``.``) inside a folder are skipped, and so
    are files of other types. ``-`` stands for standard input (file ``None``).
    """
    for arg in paths:
        if arg == "-":
            yield None, "-", "<stdin>"
            continue
        path = Path(arg)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                rel = f.relative_to(path)
                if f.is_file() and kind_of(f) and not any(part.startswith(".") for part in rel.parts):
                    yield f, rel.as_posix(), str(f)
        else:
            yield path, arg, arg


def read_paths(paths: list[str], *, id_field: str = "id", text_field: str = "text", stdin: IO[bytes] | None = None) -> Iterator[Item]:
    """Every article under ``paths`` in order, with an :class:`InputError` for what cannot be read."""
    for path, ident, shown in iter_files(paths):
        if path is None:
            yield from read_jsonl_stream(stdin or sys.stdin.buffer, shown, id_field, text_field)
            continue
        kind = kind_of(path)
        if not path.exists():
            yield InputError(shown, None, "no such file or directory")
        elif kind is None:
            yield InputError(shown, None, f"unsupported file type (expected one of: {', '.join(SUFFIXES)})")
        elif kind == "jsonl":
            yield from read_jsonl_file(path, shown, id_field, text_field)
        else:
            yield read_article_file(path, ident, shown, kind)


def _read_bytes(path: Path, shown: str) -> bytes | InputError:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return InputError(shown, None, f"cannot read: {exc.strerror or exc}")
    if not data.strip():
        return InputError(shown, None, "empty file (no text), skipped")
    nul = data.find(b"\x00", 0, 8192)
    if nul >= 0:
        return InputError(shown, data.count(b"\n", 0, nul) + 1, f"binary file (NUL byte at offset {nul}), skipped")
    return data


def decode_utf8(data: bytes, shown: str, line_offset: int = 0) -> str | InputError:
    """Decode UTF-8 (a BOM is dropped); an :class:`InputError` at the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = line_offset + data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        return InputError(shown, line, f"invalid UTF-8 (byte 0x{bad} at offset {exc.start}): re-encode it as UTF-8; skipped")


def read_article_file(path: Path, ident: str, shown: str, kind: str) -> Item:
    """One ``.txt``/``.md``/``.html`` file as a document."""
    data = _read_bytes(path, shown)
    if isinstance(data, InputError):
        return data
    if kind == "html":
        return html_document(data, ident, shown)
    text = decode_utf8(data, shown)
    if isinstance(text, InputError):
        return text
    return Document(id=ident, text=text, source=shown, original=text)


def _decode_html(data: bytes, shown: str) -> str | InputError:
    text = decode_utf8(data, shown)
    if not isinstance(text, InputError):
        return text
    declared = _CHARSET.search(data[:4096])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass
    return text


def html_to_text(markup: str) -> tuple[str, str | None]:
    """Visible text of an HTML page, block elements as lines, and its ``<title>``.

    Scripts, styles, navigation, header, footer, aside, forms and similar chrome are dropped.
    """
    from bs4 import BeautifulSoup, Comment, NavigableString

    # A tag cut off at the end of a truncated file would otherwise be kept as text.
    soup = BeautifulSoup(_TRUNCATED_TAG.sub("", markup), "html.parser")
    title_tag = soup.find("title")
    title = _SPACES.sub(" ", title_tag.get_text()).strip() if title_tag else None
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    if title_tag is not None and not title_tag.decomposed:
        title_tag.decompose()
    # Line breaks of the HTML source are spaces; only block elements make lines (except in <pre>).
    for node in soup.find_all(string=_SOURCE_BREAK):
        if not isinstance(node, Comment) and node.find_parent("pre") is None:
            node.replace_with(NavigableString(_SOURCE_BREAK.sub(" ", str(node))))
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before(NavigableString("\n"))
        tag.insert_after(NavigableString("\n"))
    root = soup.body or soup
    lines = (_SPACES.sub(" ", line).strip() for line in root.get_text().split("\n"))
    return "\n\n".join(line for line in lines if line), title or None


def html_document(data: bytes, ident: str, shown: str) -> Item:
    markup = _decode_html(data, shown)
    if isinstance(markup, InputError):
        return markup
    try:
        text, title = html_to_text(markup)
    except Exception as exc:  # noqa: BLE001 - the parser's own failure on hostile markup
        return InputError(shown, None, f"cannot parse HTML: {exc}")
    if not text.strip():
        return InputError(shown, None, "no text found in the HTML page, skipped")
    fields = {"title": title} if title else {}
    return Document(id=ident, text=text, fields=fields, source=shown)


def record_document(record: object, shown: str, line: int, id_field: str, text_field: str) -> Item:
    """A JSONL record (already parsed) as a document, or the reason it cannot be one."""
    if not isinstance(record, dict):
        return InputError(shown, line, f"expected a JSON object, got {type(record).__name__}")
    for key in (id_field, text_field):
        if key not in record or record[key] is None:
            hint = " (map another field with --id-field/--text-field)"
            return InputError(shown, line, f"missing required field {key!r}{hint}")
    ident, text = record[id_field], record[text_field]
    if not isinstance(ident, (str, int)) or isinstance(ident, bool):
        return InputError(shown, line, f"field {id_field!r} must be a string or integer")
    if not isinstance(text, str):
        return InputError(shown, line, f"field {text_field!r} must be a string, not {type(text).__name__}")
    fields = {k: v for k, v in record.items() if k not in (id_field, text_field)}
    return Document(id=str(ident), text=text, fields=fields, source=shown, source_line=line, original=text)


def parse_jsonl_line(raw: bytes, shown: str, line: int, id_field: str, text_field: str) -> Item | None:
    if not raw.strip():
        return None
    text = decode_utf8(raw, shown, line - 1)
    if isinstance(text, InputError):
        return text
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return InputError(shown, line, f"malformed JSON: {exc.msg} (column {exc.colno})")
    return record_document(record, shown, line, id_field, text_field)


def read_jsonl_stream(stream: IO[bytes], shown: str, id_field: str, text_field: str) -> Iterator[Item]:
    number = 0
    try:
        for number, raw in enumerate(stream, 1):
            item = parse_jsonl_line(raw, shown, number, id_field, text_field)
            if item is not None:
                yield item
    except (OSError, EOFError, zlib.error) as exc:
        yield InputError(shown, number + 1, f"cannot read compressed data: {exc}")


def read_jsonl_file(path: Path, shown: str, id_field: str, text_field: str) -> Iterator[Item]:
    """Each record of a ``.jsonl`` or ``.jsonl.gz`` file."""
    try:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rb") as stream:
            yield from read_jsonl_stream(stream, shown, id_field, text_field)
    except OSError as exc:
        yield InputError(shown, None, f"cannot read: {exc.strerror or exc}")
