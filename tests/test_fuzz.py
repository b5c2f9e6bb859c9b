"""Fuzz properties (hypothesis) over the library and the command line.

What a user can feed in: random Unicode (U+2028, U+2029, U+0085, lone surrogates where the API
takes a ``str``, combining marks, right-to-left text, emoji), random bytes, huge lines, CR, CRLF
and mixed line ends, BOMs, NUL bytes, odd JSON (NaN and Infinity, huge integers, nesting, lists,
booleans as ids, missing fields), truncated or corrupt gzip, deep or malformed HTML, odd file
names. The properties:

* the CLI (``clean``, ``run``, ``dedup``, ``check``, ``check --fix``) never shows a traceback
  (:func:`conftest.invoke` fails on any escaped exception), exits 0, 1 or 2 only, and reports
  each bad input on an ``error:`` line naming it; with ``-o`` it writes either a complete output
  (one record per good input record, in input order, valid UTF-8 and standard JSON: no NaN) or,
  when it stops (exit 2), no file at all, and never leaves a temporary file behind;
* ``check --fix`` once equals twice (the second run changes no byte), and fixing changes only the
  records it reports as fixable (every other line of a JSONL file is kept byte for byte);
* ``clean`` never drops a line that no rule or learned template names: the normalised lines are
  exactly the kept lines plus the ``removed`` entries, each with a known code;
* normalisation is idempotent, and :meth:`Cleaner.clean`'s lines are a subsequence of the
  normalised lines.

Budget: each property runs a fixed number of examples (the argument of :func:`fuzz`),
derandomised, so CI runs the same examples every time and the whole file takes well under a
minute on two cores. ``CLEANER_FUZZ_SCALE=20 pytest tests/test_fuzz.py`` runs twenty times as
many, freshly random, for a longer hunt. File properties write into a fresh temporary folder per
example (function-scoped fixtures are not reset between hypothesis examples).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import invoke
from hypothesis import HealthCheck, event, example, given, note, settings
from hypothesis import strategies as st

from cleaner.check import check_paths
from cleaner.cleaning import Cleaner
from cleaner.codes import BUILTIN
from cleaner.config import Config
from cleaner.documents import Document
from cleaner.errors import InputError, printable
from cleaner.normalize import normalize_text
from cleaner.pipeline import Pipeline
from cleaner.rulebook import Rulebook

SCALE = float(os.environ.get("CLEANER_FUZZ_SCALE", "1"))


def fuzz(examples: int, *, cli: bool = False) -> settings:
    """Settings of one property: ``examples`` examples (times ``CLEANER_FUZZ_SCALE``), no deadline
    (a run's time varies with the machine's load), derandomised unless scaled, no example database
    (what CI runs follows from the code alone).

    ``cli``: the property runs the CLI on files, so an example takes a good part of a second; the
    too_slow health check (which is about slow data generation) would fail it for that alone.
    """
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=SCALE == 1,
        database=None,
        suppress_health_check=[HealthCheck.too_slow] if cli else [],
    )


CONFIG = Config()
RULEBOOK = Rulebook.configured(CONFIG.strip)
CLEANER = Cleaner(CONFIG, RULEBOOK)
KNOWN_CODES = {rule.code for rule in RULEBOOK} | {code.code for code in BUILTIN}
BOM = "\ufeff"
_SURROGATE = re.compile("[\ud800-\udfff]")

# ---------------------------------------------------------------------------- text

#: Characters and pieces that have broken text tools: line separators, controls, BOM, combining
#: marks, bidi controls, right-to-left scripts, emoji (with ZWJ), mojibake, entities, escapes.
SPECIAL = [
    "\u2028", "\u2029", "\x85", "\r", "\r\n", "\n", "\x0b", "\x0c", "\x1c", "\x1e", "\x00", "\x7f", BOM,
    "\u0301", "e\u0301", "\u0308\u0308", "\u200b", "\u200d", "\u200f", "\u202e", "\u2066",
    "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627", "\U0001f600",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467", "\U0001f1fa\U0001f1f8", "\ufffd", "&amp;", "&lt;p&gt;",
    "&nbsp;", "&#x2028;", "\u00e2\u20ac\u2122", "\u00c3\u00a9", "\u00c2\u00a0", "\u00e2\u20ac\u00a8",
    "\x1b[31m", "\t", "\u00a0", "\u3000", "\ufb01", "\uff21", "\u1100\u1161", "\u0130", "\u00df", " ", "  ",
    "\u201cquoted\u201d",
]
SURROGATES = ["\ud800", "\udc80", "\udfff", "\ud83d"]
BREAKS = ["\n", "\n", "\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\n\n", "\r\n\r\n", "\x0c"]
BOILERPLATE = sorted({example for rule in RULEBOOK for example in rule.must_match if "\n" not in example})
BODY = [
    "The minister said on Tuesday that the new budget would be presented to parliament next week.",
    "Officials in the capital confirmed that the talks would resume after the holiday, according to reports.",
    "Residents of the flooded valley were told to leave their homes before the river peaked on Sunday night.",
    (
        "\u05d4\u05e9\u05e8 \u05d0\u05de\u05e8 \u05d1\u05d9\u05d5\u05dd \u05e9\u05dc\u05d9\u05e9\u05d9 \u05e9\u05d4\u05ea\u05e7\u05e6\u05d9\u05d1"
        " \u05d4\u05d7\u05d3\u05e9 \u05d9\u05d5\u05e6\u05d2 \u05dc\u05db\u05e0\u05e1\u05ea \u05d1\u05e9\u05d1\u05d5\u05e2 \u05d4\u05d1\u05d0"
        " \u05d0\u05d7\u05e8\u05d9 \u05d4\u05d7\u05d2 \u05d5\u05dc\u05e4\u05e0\u05d9 \u05d4\u05d1\u05d7\u05d9\u05e8\u05d5\u05ea."
    ),
    "Le ministre a d\u00e9clar\u00e9 mardi que le nouveau budget serait pr\u00e9sent\u00e9 au parlement la semaine prochaine.",
]
#: Huge lines: many words, one 30,000-character word, two-byte characters, a repeated boilerplate phrase.
HUGE = ["word " * 4000, "x" * 30000, "\u00e9" * 20000, "Leave a Comment " * 2000]


def chars(surrogates: bool = False) -> st.SearchStrategy[str]:
    """Single characters of any kind (lone surrogates only when asked), mixed with :data:`SPECIAL`."""
    pool = SPECIAL + (SURROGATES if surrogates else [])
    any_char = st.characters(exclude_categories=() if surrogates else ("Cs",))
    return st.one_of(any_char, st.sampled_from(pool))


def unicode_text(max_size: int = 40, surrogates: bool = False) -> st.SearchStrategy[str]:
    return st.lists(chars(surrogates), max_size=max_size).map("".join)


PIECES = {
    surrogates: st.one_of(st.sampled_from(BOILERPLATE), st.sampled_from(BODY), unicode_text(30, surrogates), st.just(""))
    for surrogates in (False, True)
}
TRAILING = st.sampled_from(["", "", " ", "   ", "\t", "\u00a0", "\u3000"])


@st.composite
def articles(draw, surrogates: bool = False, max_lines: int = 10, huge: bool = False) -> str:
    """An article: boilerplate, body and random lines with trailing whitespace, joined by mixed line
    ends; sometimes a BOM, sometimes no final line end, now and then (``huge``) a huge line."""
    out = [draw(st.sampled_from(["", "", "", BOM]))]
    for _ in range(draw(st.integers(1, max_lines))):
        if huge and draw(st.integers(0, 15)) == 0:
            out.append(draw(st.sampled_from(HUGE)))
        else:
            out.append(draw(PIECES[surrogates]) + draw(TRAILING))
        out.append(draw(st.sampled_from(BREAKS)))
    if draw(st.booleans()):
        out.pop()
    return "".join(out)


def drop_surrogates(value):
    """What the readers make of a JSON value: every lone surrogate (in strings and keys) becomes U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {drop_surrogates(k): drop_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [drop_surrogates(v) for v in value]
    return value


def nonblank(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


# ---------------------------------------------------------------------------- JSONL


class Raw(str):
    """A JSON fragment written as it is: NaN, a 5,000-digit integer, nesting 150 levels deep..."""


def to_json(value, ascii_only: bool) -> str:
    """``value`` as JSON, :class:`Raw` fragments verbatim; strings holding a lone surrogate escaped
    (valid JSON that no UTF-8 file could hold raw)."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{to_json(k, ascii_only)}: {to_json(v, ascii_only)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v, ascii_only) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=ascii_only or bool(_SURROGATE.search(value)))
    return json.dumps(value)


MISSING = object()
#: Field names the output adds itself; an input field of that name would be overwritten.
OUTPUT_FIELDS = {"id", "text", "removed", "duplicate_of", "story"}
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    unicode_text(20, surrogates=True),
    st.sampled_from([Raw("1" * 4300), Raw("-0"), Raw("1e308"), Raw("1E-400"), Raw("[" * 60 + "]" * 60)]),
)
JSON_VALUES = st.recursive(
    SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(unicode_text(8, True), kids, max_size=3)), max_leaves=8
)
GOOD_FIELDS = {
    "title": unicode_text(30, surrogates=True),
    "url": st.sampled_from(["http://[bad", "https://www.example.com/a/b", "", "not a url", "http://ex\u00e4mple.com/x", "//x", 5, None]),
    "date": st.sampled_from(["2024-03-05", "2024-03-05T10:00:00Z", "2024-03-05T10:00:00+05:30", "Tue, 05 Mar 2024 10:00:00 GMT", "", None]),
    "lang": st.sampled_from(["en", "en-US", "eng", "english", "x", "fran\u00e7ais", "", None, 5, ["en"], {"a": 1}]),
    "extra": JSON_VALUES,
    "\u2028k\udc80": JSON_VALUES,
}
#: One change that makes a record bad, each one an input error of its line.
CORRUPTIONS = st.one_of(
    st.tuples(st.just("id"), st.sampled_from([True, False, 1.5, [], {}, [1], "\udc80", Raw("9" * 5000)])),
    st.tuples(st.just("text"), st.sampled_from([None, 3, [], {"a": 1}, True, MISSING])),
    st.tuples(st.sampled_from(["score", "extra"]), st.sampled_from([Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("1e400"), Raw("9" * 5000)])),
    st.tuples(st.just("meta"), st.sampled_from([{"x": [Raw("NaN")]}, Raw("[" * 150 + "]" * 150), Raw("[" * 5000 + "]" * 5000)])),
    st.tuples(st.just("date"), st.sampled_from(["2024/03/05", "yesterday", 20240305, [], "Tue, 32 Mar 2024 10:00:00 GMT"])),
)


@dataclass
class Line:
    """One line of a generated JSONL file: its bytes, and what the readers must make of it:
    ``id`` of a good record (the id the output has; :data:`DERIVED` for a record without one, which
    gets ``file:line``), ``bad`` for an input error, neither for a blank line."""

    raw: bytes
    id: str | None = None
    bad: bool = False
    record: dict | None = None  # a good record's fields, as the output must carry them


DERIVED = "<file:line>"


def good_ids(lines: list[Line], base: str) -> list[str]:
    """The ids of the good records, in order; a record without an id gets ``base:line``."""
    return [f"{base}:{n}" if line.id == DERIVED else line.id for n, line in enumerate(lines, 1) if line.id is not None]


@st.composite
def good_records(draw) -> dict:
    ident = draw(st.one_of(unicode_text(12), st.integers(), st.integers(min_value=10**200, max_value=10**201), st.sampled_from([None, "", MISSING])))
    record = {"id": ident, "text": draw(articles(surrogates=True, max_lines=8, huge=False))}
    if ident is MISSING:  # no id: the record gets one from where it is (file:line)
        del record["id"]
    for name, values in GOOD_FIELDS.items():
        if draw(st.integers(0, 3)) == 0:
            record[name] = draw(values)
    if draw(st.booleans()):
        record["site"] = draw(st.sampled_from(["example.com", "news.example.org", "\u05d0.co.il"]))
    return record


@st.composite
def jsonl_lines(draw, max_records: int = 6, bad: bool = True) -> list[Line]:
    """Lines of a JSONL file: good records (some with a BOM, spaces, raw U+2028, CRLF), bad ones
    (one corruption each, malformed, truncated, not an object, invalid UTF-8, NUL, a repeated id)
    and blank lines. Ids are judged in order: a good record reusing an earlier id is bad."""
    out: list[Line] = []
    seen: set[str] = set()
    for _ in range(draw(st.integers(1, max_records))):
        kind = draw(st.sampled_from(["good"] * 4 + (["corrupt", "raw", "blank"] if bad else ["blank"])))
        ending = draw(st.sampled_from([b"\n", b"\n", b"\r\n"]))
        if kind == "blank":
            out.append(Line(draw(st.sampled_from([b"", b"   ", b"\t"])) + ending))
            continue
        record = draw(good_records())
        if bad and draw(st.integers(0, 5)) == 0 and seen - {DERIVED}:  # reuse an earlier id
            record["id"] = draw(st.sampled_from(sorted(seen - {DERIVED})))
        text = to_json(record, ascii_only=draw(st.booleans()))
        data = text.encode("utf-8")
        if kind == "corrupt":
            field, value = draw(CORRUPTIONS)
            if value is MISSING:
                record.pop(field, None)
            else:
                record[field] = value
            out.append(Line(to_json(record, ascii_only=draw(st.booleans())).encode("utf-8") + ending, bad=True))
            continue
        if kind == "raw":
            broken = draw(st.sampled_from(["truncated", "garbage", "array", "string", "number", "null", "utf8", "nul"]))
            data = {
                "truncated": data[: draw(st.integers(1, len(data) - 1))],
                "garbage": b"#" + draw(st.binary(max_size=30)).replace(b"\n", b" "),
                "array": b"[1, 2]",
                "string": b'"text"',
                "number": b"3",
                "null": b"null",
                "utf8": b'{"id": "u", "text": "caf\xe9"}',
                "nul": data + b"\x00",
            }[broken]
            out.append(Line(data + ending, bad=True))
            continue
        ident = DERIVED if record.get("id") in (None, "") else str(record["id"])
        if ident in seen:
            out.append(Line(data + ending, bad=True))
            continue
        if ident != DERIVED:
            seen.add(ident)
        prefix = draw(st.sampled_from([b"", b"", b"", b"\xef\xbb\xbf", b"  "]))
        fields = {k: v for k, v in record.items() if k not in ("id", "text")}
        out.append(Line(prefix + data + ending, id=ident, record=json.loads(to_json(fields, True))))
    if draw(st.booleans()):  # no final line end
        last = out[-1]
        last.raw = last.raw.rstrip(b"\r\n")
    return out


def strict_json(line: str):
    """A JSON value, refusing what standard JSON does not have (NaN, Infinity)."""

    def refuse(name: str):
        raise AssertionError(f"non-standard JSON constant {name} in the output: {line[:200]!r}")

    return json.loads(line, parse_constant=refuse)


def read_output(path: Path) -> list[dict]:
    """The records of an output JSONL file: it must be UTF-8, one standard JSON object a line."""
    text = path.read_bytes().decode("utf-8")  # raises on anything that is not UTF-8
    assert text == "" or text.endswith("\n"), "the output ends with a complete line"
    records = [strict_json(line) for line in text.split("\n")[:-1]]
    assert all(isinstance(r, dict) for r in records)
    return records


def error_lines(stderr: str) -> list[str]:
    """With ``-q`` standard error holds only ``error:`` lines, one per problem (split on ``\\n`` only:
    a file name may hold U+001E or U+2028, which ``str.splitlines`` would break at)."""
    lines = stderr.split("\n")[:-1] if stderr else []
    assert stderr == "" or stderr.endswith("\n")
    assert all(line.startswith("error: ") for line in lines), stderr
    return lines


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# ---------------------------------------------------------------------------- the library


@fuzz(250)
@given(text=st.one_of(unicode_text(60, surrogates=True), articles(surrogates=True, huge=True)))
@example(text="\u2028")  # a final fixed line break left an empty last line: "\n", then ""
@example(text="body\n\n")  # a final blank line: "body\n", then "body"
@example(text="a  \u2028b")  # whitespace before a fixed line break stayed: "a  \nb", then "a\nb"
@example(text="\u00e2\u20ac\u2122\u00c4 ")  # trailing space kept ftfy from decoding the mojibake: "\u00e2\u20ac\u2122\u00c4", then "\u2019\u00c4"
@example(text="\u00dc\ud800\u2028\x80")  # the parts of a fixed line break decode on their own: "\u00dc\ufffd\n\u20ac", then "\ufffd\n\u20ac"
def test_normalize_is_idempotent(text):
    """normalize_text(normalize_text(x)) == normalize_text(x), and the second finds nothing to fix."""
    once = normalize_text(text)
    twice = normalize_text(once.text)
    assert twice.text == once.text
    assert twice.fixes == (), "normalised text has nothing left to fix"


@fuzz(120)
@given(text=articles(surrogates=True, huge=True), site=st.sampled_from([None, "example.com"]))
def test_clean_keeps_or_names_every_normalised_line(text, site):
    """Cleaner.clean: the kept lines are a subsequence of the normalised lines, and the normalised
    (non-blank) lines are exactly the kept ones plus the removed ones, each with a known code (a
    line a cut rule took the end of is kept as its start)."""
    cleaned = CLEANER.clean(text, site)
    normalized = cleaned.normalized.split("\n")
    assert cleaned.normalized == normalize_text(text, CONFIG.normalize).text
    removed, cut = {}, {}
    for removal in cleaned.removed:
        assert removal.rule in KNOWN_CODES
        line = normalized[removal.line - 1].strip()
        if removal.column is not None:  # a cut rule took the line from that column on
            assert removal.column > 1 and removal.text == line[removal.column - 1 :] and removal.text
            cut[removal.line - 1] = line[: removal.column - 1].rstrip()
        else:
            assert removal.text == line and removal.text
            removed[removal.line - 1] = removal
    kept = [cut.get(i, line.strip()) for i, line in enumerate(normalized) if line.strip() and i not in removed]
    assert (cleaned.text.split("\n") if cleaned.text else []) == kept


API_FIELD_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), unicode_text(10, surrogates=True)),
    lambda kids: st.one_of(st.lists(kids, max_size=3), st.dictionaries(unicode_text(6, True), kids, max_size=3)),
    max_leaves=6,
)


@fuzz(60)
@given(
    docs=st.lists(
        st.builds(
            lambda ident, text, fields: Document(ident, text, fields=fields),
            st.one_of(unicode_text(8, surrogates=True), st.integers(), st.none()),
            st.one_of(articles(surrogates=True, max_lines=5), st.none(), st.integers()),
            st.dictionaries(st.sampled_from(["title", "url", "site", "date", "lang", "score", "meta", "k\udc80"]), API_FIELD_VALUES, max_size=3),
        ),
        max_size=5,
    ),
    verb=st.sampled_from(["clean", "dedup", "run"]),
)
@example(docs=[Document("a", "body", fields={"score": float("nan")})], verb="clean")  # NaN reached the output
@example(docs=[Document("a", "body", fields={"t\udc80": "x"})], verb="clean")  # the writer failed on the surrogate
@example(docs=[Document("a", "caf\udce9", fields={})], verb="dedup")  # so it did on one in the text
def test_pipeline_takes_any_document(docs, verb):
    """Pipeline.clean/dedup/run over documents a caller built: each comes out or goes to
    ``on_error`` (a document that cannot go through, as :meth:`Document.problem` says), never an
    exception; what comes out is writable as standard JSON in UTF-8."""
    errors = []
    out = list(getattr(Pipeline(CONFIG, RULEBOOK, on_error=errors.append), verb)(docs))
    assert len(out) + len(errors) == len(docs)
    assert all(isinstance(e, InputError) for e in errors)
    for doc in out:
        json.dumps(doc.record(removed=True, groups=True), allow_nan=False, ensure_ascii=False, default=str).encode("utf-8")


# ---------------------------------------------------------------------------- the CLI on JSONL records


def write_jsonl(folder: Path, name: str, lines: list[Line], packing: str) -> Path:
    """The lines as ``folder/name``: plain, gzipped, or gzipped and cut short (``truncated``)."""
    data = b"".join(line.raw for line in lines)
    path = folder / name
    if packing == "plain":
        path.write_bytes(data)
    else:
        packed = gzip.compress(data, mtime=0)
        path.write_bytes(packed[: max(10, len(packed) * 2 // 3)] if packing == "truncated" else packed)
    return path


@fuzz(35, cli=True)
@given(
    lines=jsonl_lines(),
    command=st.sampled_from(["clean", "run", "dedup"]),
    packing=st.sampled_from(["plain", "plain", "plain", "gzip", "truncated"]),
    strict=st.integers(0, 4).map(lambda n: n == 0),
    stdin=st.integers(0, 3).map(lambda n: n == 0),
)
def test_cli_jsonl_records(lines, command, packing, strict, stdin):
    """One record per good input record, in order, carrying its fields; an error line naming each
    bad record's line; exit 0/1 (``--strict``: 2 and no file at the first bad record). The same
    for records on standard input (``-``), named ``<stdin>``."""
    name = "in.jsonl" if packing == "plain" else "in.jsonl.gz"
    stdin = stdin and packing == "plain"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_jsonl(folder, name, lines, packing)
        args = [command, "-" if stdin else name, "-o", "out.jsonl", "-q"] + (["--strict"] if strict else [])
        proc = invoke(*args, cwd=folder, input=path.read_bytes() if stdin else None)
        if stdin:
            name = "<stdin>"
        errors = error_lines(proc.stderr)
        note(f"exit {proc.returncode}; stderr: {proc.stderr}")
        event(f"exit {proc.returncode}")
        out = folder / "out.jsonl"
        assert files_under(folder) <= {path.name, "out.jsonl"}, "no temporary file is left behind"
        good = [line for line in lines if line.id is not None]
        expected_ids = good_ids(lines, name)
        bad_lines = [n for n, line in enumerate(lines, 1) if line.bad]
        if packing == "truncated":
            assert proc.returncode == (2 if strict else 1)
            assert any(e.startswith(f"error: {name}:") for e in errors)
            if strict:
                assert not out.exists()
                return
            ids = [r["id"] for r in read_output(out)]
            assert ids == expected_ids[: len(ids)], "a truncated file gives the records before the cut"
            return
        if strict and bad_lines:
            assert proc.returncode == 2 and not out.exists(), "--strict stops at the first bad record, writing nothing"
            assert len(errors) == 1 and errors[0].startswith(f"error: {name}:{bad_lines[0]}: ")
            return
        assert proc.returncode == (1 if bad_lines else 0)
        reported = sorted(int(m.group(1)) for e in errors if (m := re.match(rf"error: {re.escape(name)}:(\d+): ", e)))
        assert reported == bad_lines and len(errors) == len(bad_lines), "one error line per bad record, naming its line"
        records = read_output(out)
        assert [r["id"] for r in records] == expected_ids
        added = {"clean": {"removed"}, "run": {"removed", "duplicate_of", "story"}, "dedup": {"duplicate_of", "story"}}[command]
        ids = set(expected_ids)
        for record, line in zip(records, good):
            carried = {k: v for k, v in record.items() if k not in OUTPUT_FIELDS}
            assert carried == drop_surrogates(line.record), "every other field is carried through unchanged"
            assert set(record) - set(carried) == {"id", "text"} | added
            text = drop_surrogates(json.loads(line.raw.decode("utf-8-sig"))["text"])
            if command == "dedup":
                assert record["text"] == text, "dedup does not change the text"
            elif record["text"]:
                assert record["text"].split("\n") == nonblank(record["text"]), "cleaned text: one stripped paragraph a line"
            if "duplicate_of" in added:
                assert record["duplicate_of"] is None or record["duplicate_of"] in ids - {record["id"]}
                assert isinstance(record["story"], str) and record["story"]


@fuzz(20, cli=True)
@given(
    texts=st.lists(articles(max_lines=8), min_size=1, max_size=7),
    site=st.sampled_from([None, "example.com"]),
    repeated=st.sampled_from(["", "Copyright 2024 The Daily Example. All rights reserved worldwide", "Follow us on the river road"]),
    learn=st.sampled_from(["--learn", "--no-learn"]),
)
def test_cli_clean_never_drops_an_unnamed_line(texts, site, repeated, learn):
    """``clean``: each record's normalised lines are exactly its kept lines (in order) plus its
    ``removed`` lines, each at its line number with a known code (REP001 for a learned template)."""
    records = []
    for n, text in enumerate(texts):
        if repeated:  # a line the site repeats in every article: learned when there are enough of them
            text = f"{repeated}\n{text}"
        records.append({"id": f"a{n}", "text": text, **({"site": site} if site else {})})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        proc = invoke("clean", "in.jsonl", "-o", "out.jsonl", "-q", learn, cwd=folder)
        assert proc.returncode == 0 and proc.stderr == ""
        out = read_output(folder / "out.jsonl")
    assert [r["id"] for r in out] == [r["id"] for r in records]
    for source, record in zip(records, out):
        lines = normalize_text(source["text"], CONFIG.normalize).text.split("\n")
        removed, cut = {}, {}
        for entry in record["removed"]:
            assert set(entry) - {"column"} == {"line", "rule", "text"} and entry["rule"] in KNOWN_CODES
            line = lines[entry["line"] - 1].strip()
            if "column" in entry:  # a cut rule took the end of the line: the text is that end
                assert entry["column"] > 1 and entry["text"] == line[entry["column"] - 1 :], "a cut names its part"
                cut[entry["line"] - 1] = line[: entry["column"] - 1].rstrip()
            else:
                assert entry["text"] and entry["text"] == line, "a removal names its line"
                removed[entry["line"] - 1] = entry["rule"]
        kept = [cut.get(i, line.strip()) for i, line in enumerate(lines) if line.strip() and i not in removed]
        assert (record["text"].split("\n") if record["text"] else []) == kept


# ---------------------------------------------------------------------------- the CLI on folders of files

TAGS = ["div", "p", "span", "b", "script", "style", "nav", "table", "tr", "td", "li", "ul", "pre", "title", "body", "html", "head", "a", "footer", "template"]
HTML_TOKENS = st.one_of(
    st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
    st.sampled_from(["<!--", "-->", "<![CDATA[", "]]>", "<?php", "<!DOCTYPE html>", "<", ">", "&", "&amp;", "&#0;", "&#x110000;",
                     "<br/>", "<p class='x", "<meta charset=\"utf-7\">", "<div\n>", "\x00", "</", "<a href=\"http://[bad\">"]),
    st.sampled_from(BODY + BOILERPLATE[:20]),
    unicode_text(20),
)


@st.composite
def html_pages(draw) -> bytes:
    """Malformed HTML: random tags, unclosed comments and CDATA, entities, text; sometimes nested deeply."""
    depth = draw(st.sampled_from([0, 0, 0, 50, 1500]))
    body = "".join(draw(st.lists(HTML_TOKENS, max_size=40)))
    closed = draw(st.booleans())
    page = "<div>" * depth + body + ("</div>" * depth if closed else "")
    return page.encode("utf-8")


def text_bytes() -> st.SearchStrategy[bytes]:
    """The bytes of a text file: an article in UTF-8 (sometimes with a BOM), or bytes that are not
    UTF-8 (lone surrogates, UTF-16, Latin-1), NUL bytes, nothing or only whitespace, random bytes."""
    return st.one_of(
        articles(huge=True).map(lambda t: t.encode("utf-8")),
        articles().map(lambda t: t.encode("utf-8")),
        articles(surrogates=True).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from(BODY).map(lambda t: t.encode("utf-16")),
        st.sampled_from(BODY).map(lambda t: t.encode("latin-1", "replace") + b"\xe9"),
        st.sampled_from([b"", b"  \n\r\n", b"\xef\xbb\xbf", b"body\x00text", b"\xef\xbb\xbf\xef\xbb\xbfLeave a Comment\r\nbody"]),
        st.binary(max_size=60),
    )


def text_file_is_good(data: bytes) -> bool:
    """The README's rule for a text file: not empty, no NUL byte (binary), valid UTF-8."""
    if not data.strip() or b"\x00" in data[:8192]:
        return False
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return True


NAME_CHARS = st.characters(exclude_characters="/\x00", exclude_categories=("Cs",))
STEMS = st.one_of(
    st.text(NAME_CHARS, min_size=1, max_size=16),
    st.sampled_from(["-x", "--help", "a b", "caf\u00e9", "cafe\u0301", "\u202eevil", "\U0001f600", "x" * 200, "a:1", "%41", "\\", "~",
                     "two\nlines", "\x1b[31mred", "a\u2028b", "cr\r"]),
)
SUFFIXES = {".txt": "text", ".md": "text", ".TXT": "text", ".html": "html", ".htm": "html", ".HTML": "html",
            ".jsonl": "jsonl", ".jsonl.gz": "jsonl", ".json": None, "": None, ".txt.bak": None}


@dataclass
class InputFile:
    name: str  # as Python spells it (a name that is not UTF-8 holds surrogate escapes)
    kind: str | None  # text, html, jsonl, or None for a file the folder walk skips
    data: bytes
    lines: list[Line] | None = None  # for JSONL
    packing: str = "plain"

    @property
    def shown(self) -> str:
        """The path as messages show it: on one line (control characters and line separators
        escaped), bytes that are not UTF-8 as ``\\xe9``."""
        return printable("in/" + os.fsencode(self.name).decode("utf-8", "backslashreplace"))

    @property
    def path(self) -> str:
        """The path as JSON output holds it (``check --output-format json``)."""
        return "in/" + self.name

    @property
    def utf8_name(self) -> bool:
        try:
            self.name.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True


@st.composite
def input_files(draw, kinds=("text", "html", "jsonl", None), mostly_good: bool = False) -> InputFile:
    """A file of one of ``kinds`` with an odd name; ``mostly_good``: bad files and records are rare
    (so that ``check --fix`` has files to fix)."""
    suffix = draw(st.sampled_from([s for s, k in SUFFIXES.items() if k in kinds]))
    if draw(st.integers(0, 40 if mostly_good else 12)) == 0:
        name = os.fsdecode(b"caf\xe9" + suffix.encode())  # a file name that is not UTF-8
    else:
        name = draw(STEMS) + suffix
    if len(os.fsencode(name)) > 255:
        name = os.fsdecode(os.fsencode(name)[-255:])
    kind = SUFFIXES[suffix]
    good = mostly_good and draw(st.integers(0, 5)) > 0
    if kind == "jsonl":
        lines = draw(jsonl_lines(max_records=4, bad=not good))
        packing = "plain" if suffix == ".jsonl" else draw(st.sampled_from(["gzip", "gzip", "truncated"] if not good else ["gzip"]))
        return InputFile(name, kind, b"", lines, packing)
    if kind == "html":
        data = draw(html_pages() | st.binary(max_size=40))
    else:
        data = draw(articles(huge=True).map(lambda t: t.encode("utf-8")) if good else text_bytes())
    return InputFile(name, kind, data)


def unique_files(files: list[InputFile]) -> list[InputFile]:
    """One file per name, as a folder holds them."""
    seen: dict[bytes, InputFile] = {}
    for f in files:
        seen.setdefault(os.fsencode(f.name), f)
    return list(seen.values())


def write_folder(root: Path, files: list[InputFile]) -> Path:
    folder = root / "in"
    folder.mkdir()
    for f in files:
        if f.kind == "jsonl":
            write_jsonl(folder, f.name, f.lines, f.packing)
        else:
            (folder / f.name).write_bytes(f.data)
    return folder


def expected_reading(files: list[InputFile]) -> tuple[list[tuple[str, bool]], list[str]]:
    """What reading the folder must give: the ids in order, each marked True when it may be missing
    (an HTML page the parser finds no text in, reported), and the error prefixes that must appear."""
    ids: list[tuple[str, bool]] = []  # (id, optional)
    must_report: list[str] = []
    seen: set[str] = set()
    maybe: set[str] = set()  # ids of a truncated file: read or not, depending on where the cut is
    for f in sorted(files, key=lambda f: f.name):
        if f.kind is None or f.name.startswith("."):
            continue
        if not f.utf8_name:
            must_report.append(f"error: {f.shown}: ")
        elif f.kind == "text":
            if text_file_is_good(f.data):  # a file of only a BOM and blank lines: an article or an error, see below
                ids.append((f.name, not f.data.decode("utf-8-sig").strip()))
                seen.add(f.name)
            else:
                must_report.append(f"error: {f.shown}")
        elif f.kind == "html":
            ids.append((f.name, True))
            seen.add(f.name)
        else:
            truncated = f.packing == "truncated"
            for number, line in enumerate(f.lines, 1):
                ident = f"{f.name}:{number}" if line.id == DERIVED else line.id
                if ident is not None and ident not in seen:
                    ids.append((ident, truncated or ident in maybe))
                    (maybe if truncated else seen).add(ident)
                elif (line.bad or ident is not None) and not truncated:
                    must_report.append(f"error: {f.shown}:{number}: ")
            if f.packing == "truncated":
                must_report.append(f"error: {f.shown}:")
    return ids, must_report


def matches_leaving_out_optional(expected: list[tuple[str, bool]], out: list[str]) -> bool:
    """Whether ``out`` is ``expected`` with some of its optional entries left out (and nothing else)."""
    reachable = {0}  # how many of ``out`` can be matched after each prefix of ``expected``
    for ident, optional in expected:
        reachable = {j + 1 for j in reachable if j < len(out) and out[j] == ident} | (reachable if optional else set())
    return len(out) in reachable


def snapshot(folder: Path) -> dict[str, bytes]:
    return {os.fsdecode(p.name): p.read_bytes() for p in folder.iterdir()}


FOLDERS = st.lists(input_files(), min_size=1, max_size=6).map(unique_files)


@fuzz(30, cli=True)
@given(files=FOLDERS, command=st.sampled_from(["clean", "run", "dedup"]), strict=st.integers(0, 4).map(lambda n: n == 0))
# A file name with a line break or a terminal escape: the error message was printed raw, on two lines.
@example(files=[InputFile("two\nlines.txt", "text", b"bin\x00ary"), InputFile("\x1b[31mred.jsonl", "jsonl", b"", [Line(b"[1]\n", bad=True)])],
         command="run", strict=False)
def test_cli_folder_of_odd_files(files, command, strict):
    """A folder of odd files with odd names: every good article comes out once, in walk order;
    every bad file, record or name is reported on an error line naming it; inputs unchanged."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = write_folder(root, files)
        before = snapshot(folder)
        proc = invoke(command, "in", "-o", "out.jsonl", "-q", *(["--strict"] if strict else []), cwd=root)
        note(f"exit {proc.returncode}; stderr: {proc.stderr}")
        event(f"exit {proc.returncode}")
        errors = error_lines(proc.stderr)
        assert snapshot(folder) == before, "inputs are never changed"
        assert {p.name for p in root.iterdir()} <= {"in", "out.jsonl"}, "no temporary file is left behind"
        ids, must_report = expected_reading(files)
        shown = sorted(f.shown for f in files)
        assert all(any(e.startswith(f"error: {s}:") for s in shown) for e in errors), "an error names its input"
        if strict and errors:
            assert proc.returncode == 2 and len(errors) == 1 and not (root / "out.jsonl").exists()
            return
        for prefix in must_report:
            assert any(e.startswith(prefix) for e in errors), f"reported: {prefix}"
        assert proc.returncode == (1 if errors else 0)
        out = [r["id"] for r in read_output(root / "out.jsonl")]
        assert matches_leaving_out_optional(ids, out), "each good article once, in order"
        for name in (i for i, optional in ids if optional and i not in out):
            f = next((f for f in files if f.name == name), None)
            if f is not None:  # an HTML page without text (or a text file without any) is reported
                assert any(e.startswith(f"error: {f.shown}:") for e in errors)


@fuzz(20, cli=True)
@given(files=st.lists(input_files(kinds=("text", "jsonl"), mostly_good=True), min_size=1, max_size=4).map(unique_files))
def test_cli_check_and_fix(files):
    """``check`` changes nothing and exits 2 exactly when it reports an error; ``check --fix``
    changes only files (and JSONL records) with fixable findings, keeps every other JSONL line
    byte for byte, reaches the fixed point in one run (a second run changes no byte), and leaves
    no fixable finding behind in a file it could read."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = write_folder(root, files)
        before = snapshot(folder)
        checked = invoke("check", "in", "--no-index", "-q", "--output-format", "json", cwd=root)
        note(f"check: exit {checked.returncode}; stderr: {checked.stderr}")
        errors = error_lines(checked.stderr)
        findings = strict_json(checked.stdout)
        assert snapshot(folder) == before, "check alone writes nothing"
        assert checked.returncode == (2 if errors else 1 if findings else 0)
        _, must_report = expected_reading(files)
        for prefix in must_report:
            assert any(e.startswith(prefix) for e in errors), f"reported: {prefix}"
        fixable: dict[str, set[int]] = {}
        for finding in findings:
            if finding["fixable"]:
                fixable.setdefault(finding["path"], set()).add(finding["line"])

        fixed = invoke("check", "in", "--fix", "--no-index", "-q", "--output-format", "json", cwd=root)
        note(f"check --fix: exit {fixed.returncode}; stderr: {fixed.stderr}")
        event(f"check exit {checked.returncode}, --fix changed {sum(before[n] != d for n, d in snapshot(folder).items())} file(s)")
        assert fixed.returncode in (0, 1, 2)
        error_lines(fixed.stderr)
        once = snapshot(folder)
        assert set(once) == set(before), "no file appears or disappears"
        by_name = {f.name: f for f in files}
        for name, data in once.items():
            path = by_name[name].path
            if data == before[name]:
                continue
            assert path in fixable, f"{path} changed without a fixable finding"
            if by_name[name].kind == "jsonl":
                old = jsonl_payload(before[name], name).split(b"\n")
                new = jsonl_payload(data, name).split(b"\n")
                assert len(new) == len(old)
                for number, (a, b) in enumerate(zip(old, new), 1):
                    if a != b:
                        assert number in fixable[path], f"line {number} changed without a fixable finding"
                        x, y = json.loads(a.decode("utf-8-sig")), json.loads(b.decode("utf-8-sig"))
                        assert {k: v for k, v in x.items() if k != "text"} == {k: v for k, v in y.items() if k != "text"}
        named = {f.path for f in files if any(e.startswith(f"error: {f.shown}") for e in errors + error_lines(fixed.stderr))}
        for path in set(fixable) - named:
            assert path in {by_name[n].path for n, data in once.items() if data != before[n]}, f"{path} was not fixed"

        again = invoke("check", "in", "--fix", "--no-index", "-q", "--output-format", "json", cwd=root)
        assert again.returncode in (0, 1, 2)
        assert snapshot(folder) == once, "a second --fix changes nothing"
        left = strict_json(invoke("check", "in", "--no-index", "-q", "--output-format", "json", cwd=root).stdout)
        assert [f for f in left if f["fixable"] and f["path"] not in named] == [], "--fix leaves no fixable finding"


@fuzz(10, cli=True)
@given(
    texts=st.lists(articles(max_lines=5), min_size=5, max_size=7),
    at=st.lists(st.integers(0, 6), min_size=7, max_size=7),
    repeated=st.sampled_from(["Follow us on the river road", "Subscribe to the Daily Example for more news like this", "\u00a9 Example Media \u2028 all rights"]),
)
# The last article is the repeated line and a blank line with spaces: a fix would empty it, so it is
# left as it is; the others lose the line, so the next check no longer learns it, and then fixes the
# last one's trailing spaces: two runs were needed.
@example(texts=BODY + ["   "], at=[0, 0, 0, 0, 0, 1, 0], repeated="Follow us on the river road")
def test_cli_fix_with_learned_lines_is_idempotent(texts, at, repeated):
    """Lines a site repeats in every article are learned (REP001) and fixed away in one run; a
    second ``--fix`` changes nothing; records without a fixable finding keep their bytes."""
    records = []
    for n, (text, where) in enumerate(zip(texts, at)):
        lines = text.split("\n")
        lines.insert(min(where, len(lines)), repeated)
        records.append({"id": f"a{n}", "text": "\n".join(lines), "site": "example.com"})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        target = root / "in" / "site.jsonl"
        target.write_bytes(b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in records))
        before = target.read_bytes()
        findings = strict_json(invoke("check", "in", "--no-index", "-q", "--output-format", "json", cwd=root).stdout)
        fixable = {f["line"] for f in findings if f["fixable"]}
        first = invoke("check", "in", "--fix", "--no-index", "-q", cwd=root)
        assert first.returncode in (0, 1) and first.stderr == ""
        once = target.read_bytes()
        for number, (a, b) in enumerate(zip(before.split(b"\n"), once.split(b"\n")), 1):
            assert a == b or number in fixable, f"record {number} changed without a fixable finding"
        again = invoke("check", "in", "--fix", "--no-index", "-q", cwd=root)
        assert again.returncode in (0, 1) and target.read_bytes() == once, "a second --fix changes nothing"


def jsonl_payload(data: bytes, name: str) -> bytes:
    """A JSONL file's lines as bytes (decompressed for ``.gz``)."""
    return gzip.decompress(data) if name.lower().endswith(".gz") else data


# ---------------------------------------------------------------------------- -o DIR/

ODD_IDS = st.one_of(
    st.sampled_from([
        "story", "story.txt", "Story.TXT", "x", "x.txt/y", "x/y", "a" * 300, "\u00e9" * 200, "../x", "/abs", "a/../b", "a/./b",
        "a//b", ".", "x/", ".hidden", "a\\b", "\u2028", " ", "con", "cafe\u0301", "caf\u00e9", "\x07bell", "%41", "n.md", "n.html",
    ]),
    unicode_text(12),
    st.integers(),
)


@fuzz(15, cli=True)
@given(ids=st.lists(ODD_IDS, min_size=1, max_size=8, unique_by=str), texts=st.lists(articles(max_lines=4), min_size=8, max_size=8), existing=st.booleans())
def test_cli_tree_output_gives_each_article_its_own_file(ids, texts, existing):
    """``clean -o DIR/``: each record whose id the writer accepts gets a file of its own holding its
    cleaned paragraphs (the same text as the JSONL output); refused ids are reported by line; no
    staging folder is left; files already in DIR that no article names are left alone."""
    records = [{"id": ident, "text": text} for ident, text in zip(ids, texts)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        if existing:
            (root / "out").mkdir()
            (root / "out" / "zz-kept.bin").write_bytes(b"not an article")
        as_jsonl = invoke("clean", "in.jsonl", "-o", "out.jsonl", "-q", cwd=root)
        tree = invoke("clean", "in.jsonl", "-o", "out/", "-q", cwd=root)
        note(f"jsonl: exit {as_jsonl.returncode} {as_jsonl.stderr}; tree: exit {tree.returncode} {tree.stderr}")
        jsonl_errors, tree_errors = error_lines(as_jsonl.stderr), error_lines(tree.stderr)
        assert tree.returncode in (0, 1) and tree.returncode == (1 if tree_errors else 0)
        cleaned = read_output(root / "out.jsonl")
        refused = {int(m.group(1)) for e in tree_errors if (m := re.match(r"error: in\.jsonl:(\d+): ", e))}
        assert jsonl_errors == [] and len(cleaned) == len(records)
        assert len(refused) == len(tree_errors), "each refused id is reported at its line"
        accepted = [r for n, r in enumerate(cleaned, 1) if n not in refused]
        out = root / "out"
        written = {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file()} if out.exists() else {}
        if existing:
            assert written.pop("zz-kept.bin") == "not an article", "a file no article names is left alone"
        manifest = read_output(out / "records.jsonl") if accepted or existing else []
        written.pop("records.jsonl", None)
        assert [m["id"] for m in manifest] == [r["id"] for r in accepted], "records.jsonl lists each accepted article"
        assert len({m["file"] for m in manifest}) == len(manifest), "no two articles share a file"
        assert sorted(m["file"] for m in manifest) == sorted(written), "every file written is an article's"
        for entry, record in zip(manifest, accepted):
            paragraphs = nonblank(record["text"])
            assert written[entry["file"]] == ("\n\n".join(paragraphs) + "\n" if paragraphs else ""), "the file holds the cleaned text"
            assert {k: v for k, v in entry.items() if k != "file"} == {k: v for k, v in record.items() if k != "text"}
        assert not [p for p in root.rglob("*.tmp") if p.is_dir()], "no staging folder is left behind"
        assert {p.name for p in root.iterdir()} <= {"in.jsonl", "out.jsonl", "out"}


# ---------------------------------------------------------------------------- settings


def to_toml(value) -> str:
    """A TOML value: NaN and infinities as TOML spells them, tables inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else "inf" if value == math.inf else "-inf" if value == -math.inf else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(to_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {to_toml(v)}" for k, v in value.items()) + "}"


#: Setting values of every kind; numbers stay small (at most 1000: ``num_perm``, ``top_terms``... size
#: work), so that an accepted value cannot exhaust the machine.
SETTING_VALUES = st.one_of(
    st.booleans(),
    st.sampled_from([-1, 0, 1, 3, 7, 40, 1000]),
    st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.5, 0.0, 0.3, 1.0, 1.5, 1e300]),
    st.sampled_from(["", "auto", "true", "2", "NFC", "NFKD", "nfc", "none", "small", "large", "COM", "NOPE", "*.txt", "/", "\u2028"]),
    unicode_text(8),
    st.lists(st.sampled_from(["COM", "NAV001", "NOPE", "", "x", 3]), max_size=3),
    st.just({"a": 1}),
)


def _setting_keys() -> dict[str, list[str]]:
    keys = {section: [f.name for f in dataclasses.fields(getattr(CONFIG, section))] for section in ("normalize", "strip", "duplicates", "stories")}
    keys["stories"] = [k for k in keys["stories"] if not k.startswith("encoder")]  # could load a model
    keys[""] = ["jobs", "exclude", "select", "ignore", "learn", "unknown_key"]  # (id_field, text_field: records then lack them)
    keys["strip"].remove("rules")  # a path: tried by the rule-file tests
    return keys


SETTING_KEYS = _setting_keys()
SETTINGS = st.lists(
    st.sampled_from(sorted((section, key) for section, keys in SETTING_KEYS.items() for key in keys)).flatmap(
        lambda sk: st.tuples(st.just(sk), SETTING_VALUES)
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda item: item[0],
)
CORPUS = "".join(
    json.dumps({"id": f"a{n}", "text": f"{BODY[n % 3]}\nLeave a Comment\n{BODY[(n + 1) % 3]}", "site": "example.com"}) + "\n" for n in range(6)
)


@fuzz(30, cli=True)
@given(settings_=SETTINGS, command=st.sampled_from(["clean", "run", "check"]))
def test_cli_any_setting_is_used_or_refused_up_front(settings_, command):
    """Any value of any setting in ``cleaner.toml``: the command runs (exit 0 or 1 for check's
    findings) or refuses it before reading an article, with one ``error:`` line (exit 2, no output)."""
    sections: dict[str, dict] = {}
    for (section, key), value in settings_:
        if key == "jobs" and type(value) is int:  # a valid number of worker processes: at most 2 on this machine
            value = min(value, 2)
        sections.setdefault(section, {})[key] = value
    toml = "".join(f"{k} = {to_toml(v)}\n" for k, v in sections.pop("", {}).items())
    toml += "".join(f"[{s}]\n" + "".join(f"{k} = {to_toml(v)}\n" for k, v in table.items()) for s, table in sections.items())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "cleaner.toml").write_text(toml, encoding="utf-8")
        (root / "in.jsonl").write_text(CORPUS, encoding="utf-8")
        args = ["check", "in.jsonl", "--no-index"] if command == "check" else [command, "in.jsonl", "-o", "out.jsonl"]
        proc = invoke(*args, "-q", cwd=root)
        note(f"cleaner.toml:\n{toml}\nexit {proc.returncode}; stderr: {proc.stderr}")
        event(f"exit {proc.returncode}")
        errors = error_lines(proc.stderr)
        if proc.returncode == 2:
            assert len(errors) == 1 and not (root / "out.jsonl").exists()
            return
        assert errors == []
        if command == "check":
            assert proc.returncode in (0, 1)
        else:
            assert proc.returncode == 0 and len(read_output(root / "out.jsonl")) == 6


PATTERNS = st.one_of(
    st.sampled_from([
        r"^leave a comment$", r"comment", r".*", r"^$", r"(", r"[", r"\\", r"a{2,1}", r"(?<=a+)b", r"(?P<x>a)(?P<x>b)",
        r"(a+)+$", r"^(\w+\s?)+$", r"\p{L}+", r"(?i)COMMENT", r"\bthe\b", "\u2028", r"\x00", r"(?#comment)", r"x{100000}",
    ]),
    unicode_text(10),
)
RULE_VALUES = {
    "code": st.sampled_from(["TST001", "TST002", "COM001", "tst001", "T001", "TOOLONG001", "", 7]),
    "name": st.sampled_from(["test-rule", "Test Rule", "", "a--b", "x"]),
    "description": st.sampled_from(["A test rule.", "", 3]),
    "pattern": PATTERNS,
    "must_match": st.one_of(st.lists(st.sampled_from(["Leave a Comment", "comment", "", "x", 3]), max_size=2), st.just("Leave a Comment")),
    "must_not_match": st.one_of(st.lists(st.sampled_from(["The strike hit at dawn.", "", "comment"]), max_size=2), st.just(None)),
    "where": st.sampled_from(["anywhere", "head", "tail", "middle", "", 1]),
    "action": st.sampled_from(["line", "rest", "drop", True]),
    "max_words": st.sampled_from([0, 1, 25, -3, "5", 2.5, 10**20]),
    "with_next": st.sampled_from([0, 1, 3, -1, 10**20, "1"]),
    "with_previous": st.sampled_from([0, 2, -1, True]),
    "case_sensitive": st.sampled_from([True, False, "yes"]),
    "sites": st.sampled_from([["example.com"], [], "example.com", [3], ["\u2028"]]),
    "unknown": st.just(1),
}
RULES = st.lists(
    st.fixed_dictionaries(
        {k: RULE_VALUES[k] for k in ("code", "name", "description", "pattern", "must_match", "must_not_match")},
        optional={k: v for k, v in RULE_VALUES.items() if k not in ("code", "name", "description", "pattern", "must_match", "must_not_match")},
    ),
    min_size=1,
    max_size=3,
)


@fuzz(30, cli=True)
@given(rules=RULES, drop=st.sets(st.sampled_from(["code", "name", "description", "pattern", "must_match", "must_not_match"]), max_size=1),
       command=st.sampled_from(["run", "check", "rules-test"]))
def test_cli_any_rule_file_is_used_or_refused(rules, drop, command):
    """Any rule pack (``--rules``): the command uses it or refuses it with one ``error:`` line naming
    the file (exit 2, no output); a pattern that backtracks is stopped, not hung on."""
    body = '[pack]\nname = "fuzz"\ndescription = "Fuzzed rules."\n'
    for rule in rules:
        body += "\n[[rules]]\n" + "".join(f"{k} = {to_toml(v)}\n" for k, v in rule.items() if k not in drop and v is not None)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "fuzz.toml").write_text(body, encoding="utf-8")
        (root / "in.jsonl").write_text(CORPUS, encoding="utf-8")
        args = {
            "run": ["run", "in.jsonl", "-o", "out.jsonl"],
            "check": ["check", "in.jsonl", "--no-index"],
            "rules-test": ["rules", "test"],
        }[command]
        proc = invoke(*args, "--rules", "fuzz.toml", *(["-q"] if command != "rules-test" else []), cwd=root)
        note(f"fuzz.toml:\n{body}\nexit {proc.returncode}; stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr}")
        event(f"{command}: exit {proc.returncode}")
        lines = proc.stderr.split("\n")[:-1]
        errors = [line for line in lines if line.startswith("error: ")]
        if command == "rules-test":
            assert proc.returncode in (0, 1, 2)
            if proc.returncode == 2:
                assert len(errors) == 1 and "fuzz.toml" in errors[0]
            return
        assert all(line.startswith(("error: ", "warning: ")) for line in lines), proc.stderr
        if proc.returncode == 2:
            assert len(errors) == 1 and "fuzz.toml" in errors[0] and not (root / "out.jsonl").exists()
        elif command == "run":
            assert proc.returncode == 0 and errors == [] and len(read_output(root / "out.jsonl")) == 6
        else:
            assert proc.returncode in (0, 1) and errors == []


# ---------------------------------------------------------------------------- check --diff


@st.composite
def plain_files(draw) -> list[InputFile]:
    """Text and (uncompressed) JSONL files with plain names, for ``patch``."""
    out = []
    for n in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            out.append(InputFile(f"f{n}.jsonl", "jsonl", b"", draw(jsonl_lines(max_records=4, bad=draw(st.booleans())))))
        else:
            out.append(InputFile(f"f{n}.txt", "text", draw(articles(huge=False)).encode("utf-8")))
    return out


@fuzz(12, cli=True)
@given(files=plain_files())
# A BOM: the diff was of the text without it, so its first line did not match the file's.
@example(files=[InputFile("f0.txt", "text", b"\xef\xbb\xbfLeave a Comment\nThe strike hit at dawn.\n")])
def test_cli_diff_is_what_fix_writes(files):
    """``check --diff`` writes nothing, and its diff, applied with ``patch``, gives exactly the
    bytes ``check --fix`` writes.

    The diff is taken from :func:`check_paths` (what ``--diff`` prints): click's test runner turns
    ``\\r\\n`` into ``\\n`` in the output it captures, which would spoil a diff of CRLF files.
    """
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_folder(root, files)
        before = snapshot(root / "in")
        with contextlib.chdir(root):
            diff = "".join(check_paths(["in"], CONFIG, RULEBOOK, diff=True).diffs)
        note(f"diff:\n{diff!r}")
        assert snapshot(root / "in") == before, "--diff writes nothing"
        shutil.copytree(root / "in", root / "patched" / "in")
        if diff:
            patch = ["patch", "-p1", "-s", "--binary", "-N"]
            applied = subprocess.run(patch, cwd=root / "patched", input=diff.encode("utf-8"), capture_output=True, check=False)
            assert applied.returncode == 0, applied.stdout + applied.stderr
        invoke("check", "in", "--fix", "--no-index", "-q", cwd=root)
        patched = {k: v for k, v in snapshot(root / "patched" / "in").items() if not k.endswith((".orig", ".rej"))}
        assert patched == snapshot(root / "in"), "the diff, applied, gives what --fix writes"


# ---------------------------------------------------------------------------- found by the properties, fixed elsewhere


def test_a_finding_in_a_file_with_a_line_break_in_its_name_is_one_line(tmp_path):
    (tmp_path / "two\nlines.txt").write_text("Leave a Comment\nThe strike hit at dawn.\n", encoding="utf-8")
    proc = invoke("check", ".", "--no-index", "-q", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.split("\n")[:-1] == [
        "two\\nlines.txt:1: COM001 boilerplate (comment-form-label): 'Leave a Comment' [fixable with --fix]"
    ]


def test_a_file_holding_only_a_bom_is_an_empty_file(tmp_path):
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf\n \n")
    proc = invoke("run", "bom.txt", "-q", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "error: bom.txt: empty file (no text), skipped\n")
