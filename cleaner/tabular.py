"""Tables in and out: CSV (standard library) and Parquet (pyarrow, the optional ``cleaner[parquet]``).

Reading streams row by row (CSV) or batch by batch (Parquet), so memory does not grow with the
file; each row is a record (:func:`~cleaner.records.record_document`: the id and text columns as
mapped, every other column a field; a row without an id gets ``file:row``). Writing collects the
columns first: the records go to a temporary file, then into the table in batches.

A CSV cell is text: a field that is not a string is written as JSON (``612``, ``true``,
``[{"line": 3, ...}]``), a missing one as an empty cell. Parquet keeps types; a column whose values
have no common type is written as JSON text. Timestamps read from Parquet become ISO 8601 text.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
import tempfile
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from .documents import FieldNames
from .errors import CleanerError, InputError
from .records import Item, record_document

#: How to get pyarrow, in every message that needs it.
PARQUET_EXTRA = "Parquet needs pyarrow, the optional extra cleaner[parquet]: pip install 'cleaner[parquet]'"
#: Rows per Parquet batch read or written.
BATCH_ROWS = 1000
#: The longest CSV cell read (the csv module's default, 128 KiB, is shorter than some articles).
MAX_CELL = 2**31 - 1


class MissingExtra(CleanerError):
    """An optional dependency needed for this file is not installed."""


def pyarrow_parquet():
    """``pyarrow`` and ``pyarrow.parquet``, or :class:`MissingExtra` naming the extra to install."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise MissingExtra(PARQUET_EXTRA) from None
    return pyarrow, pyarrow.parquet


# ---------------------------------------------------------------- reading


def read_csv_file(path: Path, shown: str, names: FieldNames, base: str) -> Iterator[Item]:
    """Each row of a CSV file (UTF-8, a BOM allowed, a header row naming the columns) as a document.

    A row's number in messages is the file line it starts on. A row with more or fewer cells than
    the header is skipped with an error; malformed CSV or bytes that are not UTF-8 stop the file there.
    """
    csv.field_size_limit(MAX_CELL)
    line = 1
    try:
        with open(path, "rb") as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
            header = next(reader, None)
            if header is None:
                yield InputError(shown, None, "empty file (no text), skipped")
                return
            if len(set(header)) != len(header):
                twice = sorted({h for h in header if header.count(h) > 1})
                yield InputError(shown, 1, f"the header names a column twice: {', '.join(map(repr, twice))}, skipped")
                return
            line = reader.line_num + 1
            for row in reader:
                start, line = line, reader.line_num + 1
                if not row:
                    continue
                if len(row) != len(header):
                    yield InputError(shown, start, f"expected {len(header)} cells as in the header, got {len(row)}, skipped")
                    continue
                yield record_document(dict(zip(header, row)), shown, start, names=names, base=base)
    except UnicodeDecodeError as exc:
        yield InputError(shown, line, f"invalid UTF-8 (byte 0x{exc.object[exc.start:exc.start + 1].hex()}): re-encode it as UTF-8; the rest of the file skipped")
    except csv.Error as exc:
        yield InputError(shown, line, f"malformed CSV: {exc}; the rest of the file skipped")
    except OSError as exc:
        yield InputError(shown, None, f"cannot read: {exc.strerror or exc}")


def read_parquet_file(path: Path, shown: str, names: FieldNames, base: str) -> Iterator[Item]:
    """Each row of a Parquet file as a document, read in batches; rows are numbered from 1 in messages."""
    try:
        pa, pq = pyarrow_parquet()
    except MissingExtra as exc:
        yield InputError(shown, None, f"{exc}; skipped")
        return
    row = 0
    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
            for record in batch.to_pylist():
                row += 1
                yield record_document(plain(record), shown, row, names=names, base=base)
    except (OSError, pa.ArrowException) as exc:
        yield InputError(shown, row + 1 if row else None, f"cannot read Parquet: {exc}")


def plain(value: Any) -> Any:
    """A value read from Parquet as a JSON record holds it: times as ISO 8601 text, NaN as missing, bytes as text."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# ---------------------------------------------------------------- writing


def csv_cell(value: Any) -> str:
    """A field as a CSV cell: text as it is, nothing as an empty cell, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


class _Spool:
    """Records written once to a temporary file (JSON Lines) and read back as often as needed,
    with the columns seen, in first-seen order."""

    def __init__(self, records: Iterable[dict]):
        self.columns: dict[str, None] = {}
        self.count = 0
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8", prefix="cleaner-table-")
        for record in records:
            self.columns.update(dict.fromkeys(record))
            self._file.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            self.count += 1

    def batches(self, size: int = BATCH_ROWS) -> Iterator[list[dict]]:
        self._file.seek(0)
        batch: list[dict] = []
        for line in self._file:
            batch.append(json.loads(line))
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch

    def close(self) -> None:
        self._file.close()


def write_csv(records: Iterable[dict], handle: IO[str]) -> int:
    """Write the records as CSV (a header of every column seen, in first-seen order) to a text handle."""
    spool = _Spool(records)
    try:
        writer = csv.writer(handle, lineterminator="\n")
        columns = list(spool.columns)
        writer.writerow(columns)
        for batch in spool.batches():
            writer.writerows([csv_cell(record.get(column)) for column in columns] for record in batch)
        return spool.count
    finally:
        spool.close()


def write_parquet(records: Iterable[dict], handle: IO[bytes]) -> int:
    """Write the records as one Parquet table to a binary handle, a column per field seen.

    Each column's type is what its values have in common (an integer column with a decimal
    number becomes floating point, a column of null and text is text); a column whose values have
    nothing in common (text in one record, a number in another) is written as JSON text.
    """
    pa, pq = pyarrow_parquet()
    spool = _Spool(records)
    try:
        columns = list(spool.columns)
        types = _column_types(pa, spool, columns)
        schema = pa.schema([pa.field(c, pa.string() if types[c] is None else types[c]) for c in columns])
        with pq.ParquetWriter(handle, schema) as writer:
            for batch in spool.batches():
                arrays = [_column(pa, [r.get(c) for r in batch], types[c]) for c in columns]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        return spool.count
    finally:
        spool.close()


def _column_types(pa, spool: _Spool, columns: list[str]) -> dict[str, Any]:
    """Every column's common type over all batches; None for a column to write as JSON text."""
    types: dict[str, Any] = {}
    for batch in spool.batches():
        for column in columns:
            if column in types and types[column] is None:
                continue
            try:
                found = pa.array([r.get(column) for r in batch]).type
                known = types.get(column)
                types[column] = found if known is None else pa.unify_schemas(
                    [pa.schema([pa.field(column, known)]), pa.schema([pa.field(column, found)])], promote_options="permissive"
                ).field(column).type
            except (pa.ArrowException, TypeError, ValueError, OverflowError):
                types[column] = None
    return types


def _column(pa, values: list, kind):
    if kind is None:
        return pa.array([None if v is None else csv_cell(v) for v in values], type=pa.string())
    return pa.array(values, type=kind)
