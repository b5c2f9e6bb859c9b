"""Writing ``check --fix``: files are fixed from the bytes that were checked, never re-read.

How ``--fix`` writes (the way ruff does: its fixes are applied until the text is stable, and its
rewrite follows a symlink and keeps hard links):

* a file is fixed from the bytes that were checked: a JSONL file is rewritten record by record
  (lines split on ``\\n`` only), every record that is not fixed kept byte for byte;
* before writing, the file is compared with what was read (size, modification time, bytes);
  a file that changed since is not written, and that is an error (exit 2);
* a symlink is kept: its target is fixed; a file with several hard links is rewritten in place,
  so that every name still shows the same (fixed) file; any other file is written to a
  temporary file beside it and renamed over it (atomic; permissions kept);
* a read-only file (no write permission in its mode, whoever runs the check) or a file that
  cannot be written is not fixed, with an error naming the file.
"""

from __future__ import annotations

import difflib
import gzip
import io
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from .config import Config
from .documents import Document, FieldNames
from .errors import InputError
from .readers import Item, kind_of, read_article_file, read_jsonl_stream, read_paths
from .writers import atomic_write, dumps

if TYPE_CHECKING:
    from .check import CheckResult

_BOM = b"\xef\xbb\xbf"
#: Line breaks other than ``\n`` that normalisation (NRM004) turns into ``\n``.
_OTHER_BREAKS = ("\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")


def restyle(fixed: str, like: str) -> str:
    """``fixed`` (lines joined by ``\\n``) with the newline style and the final line end of ``like``.

    A final ``\\n`` is kept. A final lone ``\\r`` (or U+2028, U+0085...) became a ``\\n`` when
    normalisation fixed it, so a final line end is added only when the fixed text has none.
    """
    newline = "\r\n" if "\r\n" in like else "\n"
    ending = ""
    if like.endswith("\n") or (like.endswith(_OTHER_BREAKS) and not fixed.endswith("\n")):
        ending = newline
    return fixed.replace("\n", newline) + ending


@dataclass
class _Source:
    """A file as check read it: where, its size and modification time (from before the read), its bytes.

    ``data`` is what was read (for a text file: its text's UTF-8, with the BOM it had).
    ``lines`` (JSONL) holds the file's (decompressed) lines as read, each with its ``\\n``;
    ``complete`` says the reader got to the end (a truncated ``.gz`` is not rewritten).
    """

    path: Path
    shown: str
    size: int
    mtime_ns: int
    data: bytes = b""
    lines: list[bytes] = field(default_factory=list)
    complete: bool = False

    @classmethod
    def stat(cls, path: Path, shown: str) -> "_Source":
        st = path.stat()
        return cls(path, shown, st.st_size, st.st_mtime_ns)

    def jsonl_items(self, names: FieldNames) -> Iterator[Item]:
        """The records of the bytes read (as :func:`cleaner.records.read_jsonl_stream` parses them),
        under the configured field names."""
        stream = io.BytesIO(self.data)
        if self.path.name.lower().endswith(".gz"):
            stream = gzip.GzipFile(fileobj=stream)
        return read_jsonl_stream(self._keep_lines(stream), self.shown, names.id, names.text, names=names)

    def _keep_lines(self, stream) -> Iterator[bytes]:
        for raw in stream:
            self.lines.append(raw)
            yield raw
        self.complete = True


def _read_jsonl(path: Path, shown: str) -> _Source | InputError:
    """A JSONL file's bytes, read once, with its size and modification time from before the read."""
    try:
        source = _Source.stat(path, shown)
        source.data = path.read_bytes()
    except OSError as exc:
        return InputError(shown, None, f"cannot read: {exc.strerror or exc}")
    return source


def read_file(path: Path | None, ident: str, shown: str, config: Config) -> tuple[_Source | None, Iterable[Item]]:
    """The articles of one input file, and the :class:`_Source` to fix it from (None: not fixable)."""
    if path is None:
        return None, [InputError(shown, None, "check reads files, not standard input")]
    kind = kind_of(path)
    if not path.exists() or kind is None:
        return None, read_paths([shown])  # the readers' message for a missing or unsupported file
    if kind == "jsonl":
        source = _read_jsonl(path, shown)
        if isinstance(source, InputError):
            return None, [source]
        return source, source.jsonl_items(config.field_names)
    try:
        source = _Source.stat(path, shown) if kind == "text" else None
    except OSError as exc:
        return None, [InputError(shown, None, f"cannot read: {exc.strerror or exc}")]
    item = read_article_file(path, ident, shown, kind)
    if source is not None and isinstance(item, Document):
        data = item.original.encode("utf-8")  # the bytes read: UTF-8 of the text, BOM dropped
        source.data = _BOM + data if source.size == len(data) + len(_BOM) else data
    return source, [item]


def _split_lines(text: str) -> list[str]:
    """Lines of ``text`` split on ``\\n`` only, each with its ``\\n`` (a ``\\r`` or U+2028 stays inside its line)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    return out + [lines[-1]] if lines[-1] else out


def _diff(path: Path, before: str, after: str) -> str:
    """A unified diff that ``patch``/``git apply`` accept, also for a file without a final newline."""
    lines = difflib.unified_diff(_split_lines(before), _split_lines(after), f"a/{path.as_posix()}", f"b/{path.as_posix()}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def fix_text_file(source: _Source, raw: str, new: str, result: CheckResult, *, fix: bool, diff: bool) -> None:
    """Write (``fix``) or show (``diff``) a text file's fix; ``raw`` is its text as read (BOM dropped).

    A BOM is kept, and shown in the diff's first line as it stands in the file (else the diff
    would not apply to the file).
    """
    if new == raw:
        return
    bom = "\ufeff" if source.data.startswith(_BOM) else ""
    if diff:
        result.diffs.append(_diff(source.path, bom + raw, bom + new))
    if fix:
        payload = (bom + new).encode("utf-8")
        if not _write_fix(source, payload, result):
            return
    result.fixed[source.shown] = 1


def _record_line(raw: bytes, text_field: str, text: str) -> bytes:
    """A JSONL line with its record's ``text_field`` replaced; its BOM and line end kept.

    Written as UTF-8, or with ``\\u`` escapes when the record holds a lone surrogate (valid JSON,
    not encodable as UTF-8).
    """
    record = json.loads(raw.decode("utf-8-sig"))
    record[text_field] = text
    try:
        body = dumps(record).encode("utf-8")
    except UnicodeEncodeError:
        body = json.dumps(record, ensure_ascii=True, default=str).encode("ascii")
    ending = b"\r\n" if raw.endswith(b"\r\n") else b"\n" if raw.endswith(b"\n") else b""
    return (_BOM if raw.startswith(_BOM) else b"") + body + ending


def fix_jsonl_file(source: _Source, records: dict[int, str], text_field: str, result: CheckResult, *, fix: bool, diff: bool) -> None:
    """Write (``fix``) or show (``diff``) the fixed records of a JSONL file; every other line is kept byte for byte."""
    if not source.complete:
        result.errors.append(InputError(source.shown, None, "not fixed: the file could not be read to its end"))
        return
    lines = [(_record_line(raw, text_field, records[n]) if n in records else raw) for n, raw in enumerate(source.lines, 1)]
    old, new = b"".join(source.lines), b"".join(lines)
    if new == old:
        return
    if diff:
        result.diffs.append(_diff(source.path, old.decode("utf-8", "replace"), new.decode("utf-8", "replace")))
    if fix:
        if source.path.name.lower().endswith(".gz"):
            new = gzip.compress(new, mtime=int.from_bytes(source.data[4:8], "little"))
        if not _write_fix(source, new, result):
            return
    result.fixed[source.shown] = len(records)


def _write_fix(source: _Source, payload: bytes, result: CheckResult) -> bool:
    """Make ``payload`` the file's contents; False (and an error in ``result``) when it was not done.

    A symlink is followed (its target is fixed, the link kept). The file must still be what was
    read: same size, modification time and bytes, else nothing is written. A file with several
    hard links is rewritten in place (a rename would split it from its other names, as ruff,
    which writes in place, never does); any other file atomically (temporary file and rename).
    """
    target = Path(os.path.realpath(source.path))
    problem = None
    try:
        st = target.stat()
        if not stat.S_ISREG(st.st_mode):
            problem = "not a regular file; not fixed"
        elif not (st.st_mode & 0o222 and os.access(target, os.W_OK)):
            problem = "read-only file; not fixed (make it writable to fix it)"
        else:
            current = target.read_bytes()
            if current == payload:  # already fixed through another name of the same file
                return True
            if (st.st_size, st.st_mtime_ns, current) != (source.size, source.mtime_ns, source.data):
                problem = "changed since it was read; not fixed (check it again)"
            elif st.st_nlink > 1:
                with open(target, "r+b") as handle:
                    handle.write(payload)
                    handle.truncate()
                    handle.flush()
                    os.fsync(handle.fileno())
            else:
                with atomic_write(target, "wb", like=target) as handle:
                    handle.write(payload)
    except OSError as exc:
        problem = f"cannot write the fix: {exc.strerror or exc}; not fixed (--fix writes a temporary file in the file's folder)"
    if problem is None:
        return True
    result.errors.append(InputError(source.shown, None, problem))
    return False
