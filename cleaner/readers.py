"""Reading articles: text and Markdown files, HTML pages, JSONL (optionally gzipped), folders, stdin.

:func:`read_paths` yields :class:`~cleaner.documents.Document` objects, and an
:class:`~cleaner.errors.InputError` (yielded, not raised) for each folder, file or line that
cannot be read, so that a batch can report it and go on. :func:`iter_files` walks the folders.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import os
import re
import subprocess
import sys
import time
import zlib
from fnmatch import fnmatchcase
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, Union

from .documents import Document, lone_surrogate, replace_surrogates
from .errors import InputError

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES

#: Folders never walked into: version control, dependency and cache folders (virtual
#: environments, recognised by their ``pyvenv.cfg``, are skipped too).
SKIPPED_FOLDERS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__"})
#: JSON values nested deeper than this are an input error (nothing in an article needs it, and
#: writing the record back out would exhaust Python's recursion limit).
MAX_JSON_DEPTH = 100
#: Seconds one HTML page may take to parse before it is reported and skipped.
HTML_SECONDS = 5.0

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


# ---------------------------------------------------------------- walking folders


def _raise(error: InputError) -> None:
    raise error


def _printable(name: str) -> str:
    """A file name as the user can read it: bytes that are not UTF-8 shown as ``\\xe9``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _bad_name(shown: str) -> InputError:
    return InputError(_printable(shown), None, "file name is not valid UTF-8 (no output can hold it): rename the file, skipped")


def iter_files(paths: Iterable[str], *, exclude: Iterable[str] = (), on_error: Callable[[InputError], None] | None = None) -> Iterator[tuple[Path | None, str, str]]:
    """(file, id prefix base, display path) for every input file; folders walked in sorted order.

    A file named in ``paths`` is always yielded. Inside a folder these are skipped: hidden files
    and folders (names starting with ``.``), files of other types, version-control, dependency
    and cache folders (:data:`SKIPPED_FOLDERS`), virtual environments (a folder holding
    ``pyvenv.cfg``), what git ignores when the folder is in a git work tree (``.gitignore``,
    ``.git/info/exclude``, the global excludes), and what an ``exclude`` glob names (see
    :func:`excluded`). Symbolic links to folders elsewhere are followed, each folder walked
    once (a link loop ends there); a link to a folder inside the one walked is not followed, as
    its files are read under their own path. ``-`` stands for standard input (file ``None``).

    Each problem (a folder that cannot be read, a file name that is not UTF-8)
    goes to ``on_error`` as an :class:`InputError`; without ``on_error`` it is raised.
    """
    report = on_error or _raise
    globs = tuple(exclude)
    for arg in paths:
        if arg == "-":
            yield None, "-", "<stdin>"
        elif lone_surrogate(arg):  # how Python spells the bytes of a name that is not UTF-8
            report(_bad_name(arg))
        elif os.path.isdir(arg):  # False, not an exception, for a path it cannot even look at
            yield from _walk(Path(arg), globs, report)
        else:
            yield Path(arg), arg, arg


def _walk(root: Path, globs: tuple[str, ...], report: Callable[[InputError], None]) -> Iterator[tuple[Path, str, str]]:
    """The files under ``root`` as :func:`iter_files` describes, depth first in name order.

    Iterative, so that no folder depth exhausts the recursion limit. A symbolic link to a folder
    inside ``root`` is not followed (the files are read under their own path), and no folder is
    walked twice (``walked`` holds their device and inode), so links never loop or make copies.
    """
    top = _listing(root, report)
    if top is None:
        return
    ignored = git_ignored(root)
    real_root = root.resolve()
    walked = {_identity(root)}
    stack = [(root, "", iter(top))]
    while stack:
        folder, prefix, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        name, path = entry.name, folder / entry.name
        rel = prefix + name
        is_dir = _is_dir(entry)
        if name.startswith(".") or rel in ignored or excluded(rel, is_dir, globs):
            continue
        if not is_dir:
            if kind_of(path) and lone_surrogate(name):
                report(_bad_name(str(path)))
            elif kind_of(path):
                yield path, rel, str(path)
            continue
        if name in SKIPPED_FOLDERS or os.path.isfile(path / "pyvenv.cfg"):  # (a folder it cannot read: False)
            continue
        if lone_surrogate(name):
            report(_bad_name(str(path)))
            continue
        if entry.is_symlink() and path.resolve().is_relative_to(real_root):
            continue
        identity = _identity(path)
        if identity not in walked:
            listing = _listing(path, report)
            if listing is not None:
                walked.add(identity)
                stack.append((path, rel + "/", iter(listing)))


def _listing(folder: Path, report: Callable[[InputError], None]) -> list[os.DirEntry] | None:
    """A folder's entries sorted by name, or None (reported) when it cannot be read."""
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError as exc:
        report(InputError(str(folder), None, f"cannot read folder: {exc.strerror or exc}, skipped"))
        return None


def _identity(path: Path) -> tuple[int, int]:
    """(device, inode) of a folder, through symbolic links (``is_dir`` just stat-ed it)."""
    st = path.stat()
    return st.st_dev, st.st_ino


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows symbolic links
    except OSError:
        return False


def excluded(rel: str, is_dir: bool, globs: Iterable[str]) -> bool:
    """Whether one of the ``exclude`` globs names the entry at ``rel`` (posix, relative to the folder argument).

    Gitignore-like, matched with :func:`fnmatch.fnmatchcase`: a glob without ``/`` matches the
    entry's name at any depth (``drafts``, ``*.tmp.txt``); one with a ``/`` matches the whole
    relative path (``2019/*``, a leading ``/`` or ``**/`` is allowed); a trailing ``/`` matches
    folders only. An excluded folder is not walked at all.

    >>> excluded("a/drafts", True, ["drafts/"]), excluded("a/b.txt", False, ["a/*"]), excluded("b.txt", False, ["/a/*"])
    (True, True, False)
    """
    name = rel.rpartition("/")[2]
    for glob in globs:
        if glob.endswith("/"):
            if not is_dir:
                continue
            glob = glob.rstrip("/")
        glob = glob.removeprefix("**/")
        if "/" in glob:
            if fnmatchcase(rel, glob.lstrip("/")):
                return True
        elif glob and fnmatchcase(name, glob):
            return True
    return False


def git_ignored(folder: Path) -> frozenset[str]:
    """The paths under ``folder`` (relative, posix, folders without the ``/``) that git ignores.

    Empty outside a git work tree or without git. ``git ls-files --others --ignored
    --exclude-standard --directory`` names an ignored folder once instead of every file in it,
    and never a tracked file (git reads those whatever ``.gitignore`` says). The folder's own
    repository decides: variables a hook may have inherited that point git elsewhere are dropped.
    When the folder itself is ignored, it was still asked for by name, and everything in it is read.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
    command = ["git", "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"]
    try:
        out = subprocess.run(command, cwd=folder, env=env, capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    if out.returncode != 0:  # not a work tree
        return frozenset()
    names = (os.fsdecode(name).rstrip("/") for name in out.stdout.split(b"\0"))
    return frozenset(name for name in names if name not in ("", "."))


# ---------------------------------------------------------------- reading files


def read_paths(
    paths: Iterable[str],
    *,
    id_field: str = "id",
    text_field: str = "text",
    stdin: IO[bytes] | None = None,
    exclude: Iterable[str] = (),
) -> Iterator[Item]:
    """Every article under ``paths`` in order, with an :class:`InputError` for what cannot be read.

    ``exclude``: globs of files and folders to leave out of the folders walked (:func:`excluded`).
    """
    problems: list[InputError] = []
    for path, ident, shown in iter_files(paths, exclude=exclude, on_error=problems.append):
        while problems:  # found while walking to this file: reported in walk order
            yield problems.pop(0)
        if path is None:
            yield from read_jsonl_stream(stdin or sys.stdin.buffer, shown, id_field, text_field)
            continue
        kind = kind_of(path)
        missing = _missing(path, shown)
        if missing is not None:
            yield missing
        elif kind is None:
            yield InputError(shown, None, f"unsupported file type (expected one of: {', '.join(SUFFIXES)})")
        elif kind == "jsonl":
            yield from read_jsonl_file(path, shown, id_field, text_field)
        else:
            yield read_article_file(path, ident, shown, kind)
    yield from problems


def _missing(path: Path, shown: str) -> InputError | None:
    """Why ``path`` cannot be looked at (not there, or in a folder the user may not enter), or None."""
    try:
        path.stat()
    except FileNotFoundError:
        return InputError(shown, None, "no such file or directory")
    except OSError as exc:
        return InputError(shown, None, f"cannot read: {exc.strerror or exc}")
    return None


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


# ---------------------------------------------------------------- HTML


def _decode_html(data: bytes, shown: str) -> str | InputError:
    """UTF-8, else the charset the page declares; lone surrogates (which UTF-7 can spell) become U+FFFD."""
    text = decode_utf8(data, shown)
    if not isinstance(text, InputError):
        return text
    declared = _CHARSET.search(data[:4096])
    if declared:
        try:
            return replace_surrogates(data.decode(declared.group(1).decode("ascii")))
        except (LookupError, ValueError):  # an unknown codec, bytes it cannot decode, or not a text codec
            pass
    return text


class HTMLTooSlow(Exception):
    """Parsing a page took longer than its time budget."""


@functools.cache
def _bounded_soup() -> type:
    """BeautifulSoup (``html.parser``) that raises :class:`HTMLTooSlow` once a parse passes its deadline.

    ``html.parser`` rescans the rest of the page for each construct it cannot complete, so a
    page of many unclosed comments or tags costs minutes. Every step of a parse ends in one of
    these three methods (a construct the parser gives up on becomes data), so checking the clock
    there bounds the whole parse.
    """
    from bs4 import BeautifulSoup

    class BoundedSoup(BeautifulSoup):
        def __init__(self, markup: str, deadline: float):
            self._deadline = deadline
            super().__init__(markup, "html.parser")

        def _on_time(self) -> None:
            if time.monotonic() > self._deadline:
                raise HTMLTooSlow

        def handle_starttag(self, *args, **kwargs):
            self._on_time()
            return super().handle_starttag(*args, **kwargs)

        def handle_endtag(self, *args, **kwargs):
            self._on_time()
            return super().handle_endtag(*args, **kwargs)

        def handle_data(self, data):
            self._on_time()
            return super().handle_data(data)

    return BoundedSoup


def html_to_text(markup: str, *, seconds: float = HTML_SECONDS) -> tuple[str, str | None]:
    """Visible text of an HTML page, block elements as lines, and its ``<title>``.

    Scripts, styles, navigation, header, footer, aside, forms and similar chrome are dropped.
    Raises :class:`HTMLTooSlow` when parsing takes more than ``seconds``; the rest of the work is
    one pass over the tree, linear however deeply it is nested.
    """
    # A tag cut off at the end of a truncated file would otherwise be kept as text.
    soup = _bounded_soup()(_TRUNCATED_TAG.sub("", markup), time.monotonic() + seconds)
    title_tag = soup.find("title")
    title = _SPACES.sub(" ", title_tag.get_text()).strip() if title_tag else None
    root = soup.body
    if root is None or root.find_parent(_DROP_TAGS) is not None:
        root = soup
    lines = (_SPACES.sub(" ", line).strip() for line in _visible_text(root, title_tag).split("\n"))
    return "\n\n".join(line for line in lines if line), title or None


def _visible_text(root, skip) -> str:
    """What ``root.get_text()`` gives once chrome and ``skip`` are left out and each block element is on lines of its own.

    Line breaks of the HTML source are spaces (except in ``<pre>``); only block elements make
    lines. One pass with an explicit stack (``None`` marks the end of a block element), so a
    page of 100,000 nested elements costs no more than 100,000 paragraphs.
    """
    from bs4 import CData, NavigableString

    out: list[str] = []
    pending: list = [(root, root.find_parent("pre") is not None)]
    while pending:
        node, in_pre = pending.pop()
        if node is None:
            out.append("\n")
        elif isinstance(node, NavigableString):
            if type(node) in (NavigableString, CData):  # not comments, doctypes, ruby annotations...
                out.append(node if in_pre else _SOURCE_BREAK.sub(" ", node))
        elif node is not skip and node.name not in _DROP_TAGS:
            in_pre = in_pre or node.name == "pre"
            if node.name in _BLOCK_TAGS:
                out.append("\n")
                pending.append((None, False))
            pending.extend((child, in_pre) for child in reversed(node.contents))
    return "".join(out)


def html_document(data: bytes, ident: str, shown: str) -> Item:
    markup = _decode_html(data, shown)
    if isinstance(markup, InputError):
        return markup
    try:
        text, title = html_to_text(markup)
    except HTMLTooSlow:
        return InputError(shown, None, f"HTML page too complex: parsing took more than {HTML_SECONDS:g} s (deeply nested or unclosed markup), skipped")
    except Exception as exc:  # noqa: BLE001 - the parser's own failure on hostile markup
        return InputError(shown, None, f"cannot parse HTML: {exc}")
    if not text.strip():
        return InputError(shown, None, "no text found in the HTML page, skipped")
    fields = {"title": title} if title else {}
    return Document(id=ident, text=text, fields=fields, source=shown)


# ---------------------------------------------------------------- JSONL


class _BadValue(ValueError):
    """A JSON value the record cannot keep; the message names the field."""


def _json_int(digits: str) -> int:
    """A JSON integer, refusing one longer than Python converts (4,300 digits by default)."""
    try:
        return int(digits)
    except ValueError:
        raise _BadValue(f"a number with {len(digits.lstrip('-'))} digits (at most {sys.get_int_max_str_digits()} are read)") from None


def _field_value(value: object, field: str, path: str, depth: int = 1) -> object:
    """A field's JSON value as the output may carry it: lone surrogates (in strings and keys) become U+FFFD.

    NaN and Infinity (literals, or numbers too large for a float) are not standard JSON, and
    nesting past :data:`MAX_JSON_DEPTH` cannot be written back: :class:`_BadValue` naming the
    value's ``path`` in the record (``meta.tags[2]``), or for nesting the top-level ``field``.
    """
    if isinstance(value, str):
        return replace_surrogates(value)
    if isinstance(value, float) and not math.isfinite(value):
        spelled = "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
        raise _BadValue(f"field {path!r} is {spelled} (NaN and Infinity are not standard JSON)")
    if isinstance(value, (dict, list)) and depth >= MAX_JSON_DEPTH:
        raise _BadValue(f"field {field!r} is nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            key = replace_surrogates(key)
            out[key] = _field_value(item, field, f"{path}.{key}", depth + 1)
        return out
    if isinstance(value, list):
        return [_field_value(item, field, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    return value


def record_document(record: object, shown: str, line: int, id_field: str, text_field: str) -> Item:
    """A JSONL record (already parsed) as a document, or the reason it cannot be one.

    Lone surrogates (``"\\udc80"``: half of an emoji cut by a UTF-16 producer) in the text and
    other fields become U+FFFD; in the id they are an error, as is a date no parser understands.
    An unknown ``lang`` or a malformed ``url`` is not an error (see :class:`Document`).
    """
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
    fields = {}
    try:
        for key, value in record.items():
            if key not in (id_field, text_field):
                key = replace_surrogates(key)
                fields[key] = _field_value(value, key, key)
    except _BadValue as exc:
        return InputError(shown, line, str(exc))
    text = replace_surrogates(text)
    doc = Document(id=str(ident), text=text, fields=fields, source=shown, source_line=line, original=text)
    problem = doc.problem()
    return InputError(shown, line, problem) if problem else doc


def parse_jsonl_line(raw: bytes, shown: str, line: int, id_field: str, text_field: str) -> Item | None:
    if not raw.strip():
        return None
    text = decode_utf8(raw, shown, line - 1)
    if isinstance(text, InputError):
        return text
    try:
        record = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        return InputError(shown, line, f"malformed JSON: {exc.msg} (column {exc.colno})")
    except _BadValue as exc:
        return InputError(shown, line, f"malformed JSON: {exc}")
    except RecursionError:
        return InputError(shown, line, "malformed JSON: nested too deeply")
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
