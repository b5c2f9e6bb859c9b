"""Input files as bytes: which kind a file is (from its name), reading it, decoding UTF-8.

Shared by the readers of each kind (:mod:`cleaner.readers`, :mod:`cleaner.records`,
:mod:`cleaner.pages`, :mod:`cleaner.tabular`) and by the folder walk (:mod:`cleaner.walk`).
Every problem is an :class:`~cleaner.errors.InputError` naming the file (and line).
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
#: Read as JSON Lines when named on the command line (trafilatura's ``--json`` output and Hugging
#: Face's ``to_json`` write one object per line), but not picked up by a folder walk: configuration
#: and other data files share the suffix.
JSON_SUFFIXES = (".json",)
CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet",)
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES + JSON_SUFFIXES + CSV_SUFFIXES + PARQUET_SUFFIXES
_KINDS = (("jsonl", JSONL_SUFFIXES), ("html", HTML_SUFFIXES), ("text", TEXT_SUFFIXES), ("csv", CSV_SUFFIXES), ("parquet", PARQUET_SUFFIXES))


def kind_of(path: Path, *, named: bool = False) -> str | None:
    """``text``, ``html``, ``jsonl``, ``csv`` or ``parquet`` from the file name, or None for a file a folder walk skips.

    ``named``: the file was named on the command line, so a ``.json`` file is ``jsonl`` too.
    """
    name = path.name.lower()
    for kind, suffixes in _KINDS:
        if name.endswith(suffixes):
            return kind
    return "jsonl" if named and name.endswith(JSON_SUFFIXES) else None


def missing(path: Path, shown: str) -> InputError | None:
    """Why ``path`` cannot be looked at (not there, or in a folder the user may not enter), or None."""
    try:
        path.stat()
    except FileNotFoundError:
        return InputError(shown, None, "no such file or directory")
    except OSError as exc:
        return InputError(shown, None, f"cannot read: {exc.strerror or exc}")
    return None


def read_bytes(path: Path, shown: str, *, compressed: bool = False) -> bytes | InputError:
    """A whole file's bytes; an error for a file that cannot be read, is empty, or is binary (a NUL byte).

    ``compressed``: the bytes are checked once decompressed, by the reader, not here.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        return InputError(shown, None, f"cannot read: {exc.strerror or exc}")
    return data if compressed and data else check_bytes(data, shown)


def check_bytes(data: bytes, shown: str) -> bytes | InputError:
    """``data``, or an error when it holds no text or is binary (a NUL byte in its first 8 KiB)."""
    if not data.removeprefix(b"\xef\xbb\xbf").strip():  # a BOM alone is no text either
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
