"""One record must not stop a batch: odd field values, lone surrogates, NaN, huge numbers, odd file names.

Each case is a JSONL file holding the odd record between two good ones. A value that cannot be
understood is an input error naming file and line: that record is skipped, the good ones are
written and the exit status is 1; ``--strict`` stops with exit 2 and writes no output file. A
value that is merely unusual (an unknown ``lang``, a malformed ``url``, an RFC 2822 date) is no
error at all. The output is always valid UTF-8 and standard JSON.
"""

from __future__ import annotations

import json
import os

import pytest

from conftest import assert_clean_stderr, invoke, run_cli

from cleaner.documents import Document
from cleaner.errors import InputError
from cleaner.pipeline import Pipeline
from cleaner.readers import read_paths

GOOD_1 = {"id": "g1", "text": "The central bank raised its policy rate by a quarter point on Thursday, the fourth rise this year."}
GOOD_2 = {"id": "g2", "text": "Heavy rain flooded the low streets of the old town overnight, and the schools stayed closed on Monday."}
ODD_TEXT = "The city council approved the new budget for road repairs after a long debate on Tuesday evening."


def odd(**fields) -> str:
    """The middle line: a record with ``fields`` (raw JSON text where a value is a ``str`` starting with ``RAW:``)."""
    parts = [f"{json.dumps(k)}: {v[4:] if isinstance(v, str) and v.startswith('RAW:') else json.dumps(v)}" for k, v in {"id": "odd", "text": ODD_TEXT, **fields}.items()]
    return "{" + ", ".join(parts) + "}"


def write_batch(folder, middle: str, name: str = "in.jsonl"):
    path = folder / name
    path.write_text(json.dumps(GOOD_1) + "\n" + middle + "\n" + json.dumps(GOOD_2) + "\n", encoding="utf-8")
    return path


def output_records(path) -> list[dict]:
    """The output file's records, read strictly: valid UTF-8 and standard JSON (no NaN or Infinity)."""
    def refuse(name):
        raise AssertionError(f"non-standard JSON constant {name} in the output")

    text = path.read_bytes().decode("utf-8")
    return [json.loads(line, parse_constant=refuse) for line in text.splitlines()]


# name -> (middle line, expected message after "in.jsonl:2: ")
BAD_RECORDS = {
    "slash_date": (odd(date="2024/03/05"), "field 'date': '2024/03/05' is not a date: expected an ISO 8601 date"),
    "number_date": (odd(date=20240305), "field 'date': expected an ISO 8601 date"),
    "huge_integer_id": (odd(id="RAW:" + "7" * 5000), "malformed JSON: a number with 5000 digits (at most 4300 are read)"),
    "surrogate_id": (odd(id="RAW:\"story\\udc80\""), "id 'story\\udc80' holds a lone surrogate (U+DC80)"),
    "nan": (odd(score="RAW:NaN"), "field 'score' is NaN (NaN and Infinity are not standard JSON)"),
    "infinity_nested": (odd(meta="RAW:{\"v\": [1, -Infinity]}"), "field 'meta.v[1]' is -Infinity"),
    "overflowing_float": (odd(score="RAW:1e999"), "field 'score' is Infinity"),
    "too_deep_for_json": (odd(meta="RAW:" + "[" * 100_000 + "]" * 100_000), "malformed JSON: nested too deeply"),
}


@pytest.mark.parametrize("name", sorted(BAD_RECORDS))
def test_a_bad_record_is_skipped_and_the_batch_goes_on(tmp_path, name):
    middle, message = BAD_RECORDS[name]
    write_batch(tmp_path, middle)
    proc = invoke("run", "in.jsonl", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith("error: in.jsonl:2: ") and message in errors[0], proc.stderr
    assert [r["id"] for r in output_records(tmp_path / "out.jsonl")] == ["g1", "g2"]


@pytest.mark.parametrize("name", sorted(BAD_RECORDS))
def test_strict_stops_at_the_bad_record_without_output(tmp_path, name):
    middle, message = BAD_RECORDS[name]
    write_batch(tmp_path, middle)
    proc = invoke("run", "in.jsonl", "--strict", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "in.jsonl:2: " in proc.stderr and message in proc.stderr and "--strict" in proc.stderr
    assert not (tmp_path / "out.jsonl").exists()
    assert not list(tmp_path.glob(".out.jsonl*")), "no temporary file left behind"


def test_json_too_deep_to_write_back_is_an_input_error(tmp_path):
    """950 levels parse, but pickling the record into the spool then exhausted the recursion limit.

    A real process, as the limit depends on how deep the stack already is.
    """
    write_batch(tmp_path, odd(meta="RAW:" + "[" * 950 + "]" * 950))
    proc = run_cli("run", "in.jsonl", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert_clean_stderr(proc.stderr)
    assert "error: in.jsonl:2: field 'meta' is nested more than 100 levels deep" in proc.stderr.splitlines()
    assert [r["id"] for r in output_records(tmp_path / "out.jsonl")] == ["g1", "g2"]


# Values that are unusual, not wrong: the record is read and nothing is reported.
ODD_BUT_FINE = {
    "lang_name": {"lang": "english"},
    "lang_one_letter": {"lang": "x"},
    "lang_not_ascii": {"lang": "français"},
    "lang_not_a_string": {"lang": ["en"]},
    "malformed_url": {"url": "http://[bad"},
    "rfc2822_date": {"date": "Tue, 05 Mar 2024 10:00:00 GMT"},
}


@pytest.mark.parametrize("name", sorted(ODD_BUT_FINE))
def test_an_unusual_value_is_not_an_error(tmp_path, name):
    fields = ODD_BUT_FINE[name]
    write_batch(tmp_path, odd(**fields))
    proc = invoke("run", "in.jsonl", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "error" not in proc.stderr
    records = output_records(tmp_path / "out.jsonl")
    assert [r["id"] for r in records] == ["g1", "odd", "g2"]
    middle = records[1]
    assert middle["text"] == ODD_TEXT
    for key, value in fields.items():
        assert middle[key] == value, "fields are carried through unchanged"


def test_how_the_well_known_fields_are_read():
    doc = Document("a", "t", fields={"lang": "en-US", "url": "https://www.example.com/x", "date": "Tue, 05 Mar 2024 23:00:00 -0500"})
    assert (doc.lang, doc.site, doc.date) == ("en", "example.com", "2024-03-05T23:00:00-05:00")
    assert Document("a", "t", fields={"lang": "EN"}).lang == "en"
    assert Document("a", "t", fields={"lang": "iw"}).lang == "he", "deprecated codes are mapped"
    assert Document("a", "t", fields={"lang": "english"}).lang is None, "a name, not a tag: guessed from the text"
    assert Document("a", "t", fields={"url": "http://[bad"}).site is None
    assert Document("a", "t", fields={"date": " 2024-03-05 "}).date == "2024-03-05", "ISO dates are kept as written"


def test_rfc2822_dates_order_duplicates_like_iso_dates(tmp_path):
    """The copy dated earlier (RFC 2822, as feeds write it) is the canonical one."""
    body = "Officials said the bridge would reopen next week after repairs to its damaged supports were finished. " * 4
    records = [
        {"id": "late", "text": body, "date": "2024-03-06T08:00:00+00:00"},
        {"id": "early", "text": body, "date": "Tue, 05 Mar 2024 10:00:00 GMT"},
    ]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    proc = invoke("dedup", "in.jsonl", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = {r["id"]: r for r in output_records(tmp_path / "out.jsonl")}
    assert out["early"]["duplicate_of"] is None
    assert out["late"]["duplicate_of"] == "early"
    assert out["early"]["date"] == "Tue, 05 Mar 2024 10:00:00 GMT", "the field itself is unchanged"


def test_lone_surrogates_in_text_and_fields_become_replacement_characters(tmp_path):
    middle = odd(text=f"RAW:\"{ODD_TEXT} Cut emoji: \\ud83d\"", title="RAW:\"Title \\udc80\"", meta="RAW:{\"k\\udc81\": [\"v\\ud800\"]}")
    write_batch(tmp_path, middle)
    proc = invoke("clean", "in.jsonl", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = output_records(tmp_path / "out.jsonl")
    assert [r["id"] for r in records] == ["g1", "odd", "g2"]
    assert records[1]["text"] == f"{ODD_TEXT} Cut emoji: \ufffd"
    assert records[1]["title"] == "Title \ufffd"
    assert records[1]["meta"] == {"k\ufffd": ["v\ufffd"]}


def test_a_valid_surrogate_pair_is_one_character(tmp_path):
    write_batch(tmp_path, odd(title="RAW:\"Smile \\ud83d\\ude00\""))
    proc = invoke("clean", "in.jsonl", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert output_records(tmp_path / "out.jsonl")[1]["title"] == "Smile \U0001F600"


def make_bad_name_folder(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a_good.txt").write_text(GOOD_1["text"] + "\n", encoding="utf-8")
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "w", encoding="utf-8") as handle:
        handle.write(GOOD_2["text"] + "\n")
    os.mkdir(os.path.join(os.fsencode(folder), b"dossier-\xff"))
    (folder / "z_good.txt").write_text(ODD_TEXT + "\n", encoding="utf-8")
    return folder


def test_file_names_that_are_not_utf8_are_reported(tmp_path):
    make_bad_name_folder(tmp_path)
    proc = invoke("run", "corpus", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        "error: corpus/caf\\xe9.txt: file name is not valid UTF-8 (no output can hold it): rename the file, skipped",
        "error: corpus/dossier-\\xff: file name is not valid UTF-8 (no output can hold it): rename the file, skipped",
    ]
    assert [r["id"] for r in output_records(tmp_path / "out.jsonl")] == ["a_good.txt", "z_good.txt"]
    strict = invoke("run", "corpus", "--strict", "-o", "strict.jsonl", cwd=tmp_path)
    assert strict.returncode == 2 and "caf\\xe9.txt" in strict.stderr
    assert not (tmp_path / "strict.jsonl").exists()


def test_a_file_argument_that_is_not_utf8_is_reported(tmp_path):
    make_bad_name_folder(tmp_path)
    proc = invoke("clean", "corpus/a_good.txt", os.fsdecode(b"corpus/caf\xe9.txt"), "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "error: corpus/caf\\xe9.txt: file name is not valid UTF-8" in proc.stderr
    assert [r["id"] for r in output_records(tmp_path / "out.jsonl")] == ["corpus/a_good.txt"]


def test_repeated_id_names_the_line_once(tmp_path):
    write_batch(tmp_path, json.dumps({"id": "g1", "text": ODD_TEXT}))
    proc = invoke("run", "in.jsonl", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 1
    assert "error: in.jsonl:2: id 'g1' already used at in.jsonl:1, skipped" in proc.stderr.splitlines()


def test_readers_yield_every_problem_instead_of_raising(tmp_path):
    folder = make_bad_name_folder(tmp_path)
    write_batch(folder, odd(score="RAW:NaN"), "records.jsonl")
    items = list(read_paths([str(folder), str(tmp_path / "missing.txt")]))
    problems = [(str(i.path).removeprefix(str(tmp_path) + "/"), i.line) for i in items if isinstance(i, InputError)]
    assert problems == [("corpus/caf\\xe9.txt", None), ("corpus/dossier-\\xff", None), ("corpus/records.jsonl", 2), ("missing.txt", None)]
    assert [i.id for i in items if isinstance(i, Document)] == ["a_good.txt", "g1", "g2", "z_good.txt"]


def test_pipeline_reports_documents_built_by_callers(tmp_path):
    """Documents that do not come from a reader get the same checks, as errors passed to on_error."""
    errors: list[InputError] = []
    docs = [
        Document("ok", GOOD_1["text"]),
        Document("bad\udc80", GOOD_2["text"]),
        Document("dated", GOOD_2["text"], fields={"date": "5th of March"}),
        Document("ok", ODD_TEXT, source="mine.jsonl", source_line=7),
        Document("fine", ODD_TEXT, fields={"lang": "english", "url": "http://[bad", "date": "Tue, 05 Mar 2024 10:00:00 GMT"}),
    ]
    out = list(Pipeline(on_error=errors.append).run(docs))
    assert [d.id for d in out] == ["ok", "fine"]
    assert [str(e) for e in errors] == [
        "<input>: id 'bad\\udc80' holds a lone surrogate (U+DC80), which no UTF-8 output can hold",
        (
            "<input>: field 'date': '5th of March' is not a date: expected an ISO 8601 date (2024-03-05, 2024-03-05T10:00:00Z)"
            " or an RFC 2822 date (Tue, 05 Mar 2024 10:00:00 GMT)"
        ),
        "mine.jsonl:7: id 'ok' already used at <input>, skipped",
    ]
