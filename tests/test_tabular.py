"""Records as other tools write them, and tables: trafilatura's --json output, datatrove / Hugging Face
JSONL (a nested metadata object, no ids), the user's own field names written back, CSV and Parquet in and out."""

from __future__ import annotations

import csv
import json
import sys

import pytest

from conftest import SEED_A, SEED_B, by_id, invoke, kept_paragraphs, paragraphs, read_jsonl, seed_text

from cleaner import read_paths
from cleaner.documents import Document

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Strikes on militias</title>
<meta property="og:url" content="https://www.jewishpress.com/news/us-strikes">
<meta property="article:published_time" content="2021-06-28T08:00:00Z"></head>
<body><article><h1>US strikes pro-Iran militias</h1>{paragraphs}</article></body></html>
"""


def trafilatura_json(text: str) -> str:
    """What ``trafilatura --json`` prints for a page holding ``text``: trafilatura's own serializer."""
    import trafilatura

    page = PAGE.format(paragraphs="".join(f"<p>{p}</p>" for p in text.split("\n") if p.strip()))
    return trafilatura.extract(page, output_format="json", with_metadata=True)


def documents(*paths, **names) -> list[Document]:
    from cleaner.documents import FieldNames

    items = list(read_paths([str(p) for p in paths], names=FieldNames.mapped(**names)))
    assert all(isinstance(i, Document) for i in items), items
    return items


def test_trafilatura_json_output_is_read_as_it_comes(tmp_path):
    line = trafilatura_json(seed_text(SEED_A))
    record = json.loads(line)
    assert record["id"] is None and record["source"] and record["hostname"], "trafilatura leaves the id null"
    (tmp_path / "page.json").write_text(line + "\n", encoding="utf-8")
    (tmp_path / "pages.jsonl").write_text(line + "\n" + trafilatura_json(seed_text(SEED_B)) + "\n", encoding="utf-8")
    (doc,) = documents(tmp_path / "page.json")
    assert doc.site == "jewishpress.com" and doc.date == "2021-06-28"
    proc = invoke("clean", "page.json", "pages.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = read_jsonl(proc.stdout)
    assert [r["id"] for r in records] == ["page.json:1", "pages.jsonl:1", "pages.jsonl:2"], "ids derived from file and line"
    assert {k for k in record if k != "id"} <= set(records[0]), "trafilatura's fields carried through"
    assert records[0]["source"] == record["source"] and records[0]["hostname"] == record["hostname"]
    assert "Photo Credit: Marine Corps Sgt. Branden Bourque" not in records[0]["text"]


def test_json_files_are_read_when_named_and_skipped_by_a_folder_walk(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "page.json").write_text(trafilatura_json(seed_text(SEED_A)) + "\n", encoding="utf-8")
    (tmp_path / "out" / "settings.json").write_text('{"theme": "dark"}\n', encoding="utf-8")
    (tmp_path / "out" / "a.txt").write_text(seed_text(SEED_B), encoding="utf-8")
    walked = invoke("clean", "out", cwd=tmp_path)
    assert walked.returncode == 0, walked.stderr
    assert [r["id"] for r in read_jsonl(walked.stdout)] == ["a.txt"]
    named = invoke("clean", "out/page.json", cwd=tmp_path)
    assert named.returncode == 0, named.stderr
    assert [r["id"] for r in read_jsonl(named.stdout)] == ["out/page.json:1"]


def test_datatrove_records_with_nested_metadata_are_read_as_they_come(tmp_path):
    rows = [
        {"text": seed_text(SEED_A), "id": "<urn:uuid:1>", "metadata": {"url": "https://www.jewishpress.com/a", "date": "2021-06-28T05:48:54Z", "dump": "CC-MAIN-2021-25", "language": "en", "language_score": 0.97}},
        {"text": seed_text(SEED_B), "id": "<urn:uuid:2>", "metadata": {"url": "https://www.example.org/b", "date": "2021-06-29T11:00:00Z", "language": "de"}},
    ]
    (tmp_path / "fineweb.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    first, second = documents(tmp_path / "fineweb.jsonl")
    assert (first.site, first.date, first.lang) == ("jewishpress.com", "2021-06-28T05:48:54Z", "en")
    assert (second.site, second.lang) == ("example.org", "de")
    proc = invoke("run", "fineweb.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = read_jsonl(proc.stdout)
    assert [r["metadata"] for r in out] == [r["metadata"] for r in rows], "the nested object is written back as it came"
    assert paragraphs(out[0]["text"]) == kept_paragraphs(SEED_A)


def test_records_without_ids_get_stable_ids_from_file_and_line(tmp_path):
    (tmp_path / "corpus").mkdir()
    rows = [{"text": "The first record has no id at all."}, {"text": "Neither has the second.", "id": None}, {"text": "The third has an id.", "id": "x"}]
    (tmp_path / "corpus" / "hf.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    expected = ["hf.jsonl:1", "hf.jsonl:2", "x"]
    for cwd in (tmp_path, tmp_path / "corpus"):
        target = "corpus" if cwd == tmp_path else "."
        proc = invoke("clean", target, cwd=cwd)
        assert proc.returncode == 0, proc.stderr
        assert [r["id"] for r in read_jsonl(proc.stdout)] == expected, "relative to the folder argument, as file ids are"
    piped = invoke("clean", "-", cwd=tmp_path, input=(tmp_path / "corpus" / "hf.jsonl").read_bytes())
    assert [r["id"] for r in read_jsonl(piped.stdout)] == ["<stdin>:1", "<stdin>:2", "x"]


def test_mapped_field_names_are_read_and_written_back_under_the_users_names(tmp_path):
    rows = [
        {"doc_id": "a", "body": seed_text(SEED_A), "link": "https://www.jewishpress.com/a", "published": "2021-06-28", "headline": "Strikes"},
        {"doc_id": "b", "body": seed_text(SEED_A), "link": "https://www.jewishpress.com/b", "published": "2021-06-29", "headline": "Strikes again"},
    ]
    (tmp_path / "mine.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    names = dict(id="doc_id", text="body", url="link", date="published", title="headline")
    first = documents(tmp_path / "mine.jsonl", **names)[0]
    assert (first.id, first.site, first.date) == ("a", "jewishpress.com", "2021-06-28")
    flags = ["--id-field", "doc_id", "--text-field", "body", "--url-field", "link", "--date-field", "published", "--title-field", "headline"]
    proc = invoke("run", "mine.jsonl", *flags, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = by_id([{**r, "id": r["doc_id"]} for r in read_jsonl(proc.stdout)])
    assert set(out["a"]) == {"doc_id", "body", "link", "published", "headline", "removed", "duplicate_of", "story", "id"}
    assert out["b"]["duplicate_of"] == "a", "the earlier date is the canonical copy"
    bad = invoke("clean", "mine.jsonl", "--id-field", "doc_id", "--text-field", "body", "--date-field", "headline", cwd=tmp_path)
    assert bad.returncode == 1
    assert "mine.jsonl:1: field 'headline': 'Strikes' is not a date" in bad.stderr


def test_pages_get_their_metadata_under_the_users_names(tmp_path):
    (tmp_path / "page.html").write_text(PAGE.format(paragraphs="".join(f"<p>{p}</p>" for p in kept_paragraphs(SEED_A))), encoding="utf-8")
    proc = invoke("clean", "page.html", "--url-field", "link", "--title-field", "headline", "--text-field", "body", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (record,) = read_jsonl(proc.stdout)
    assert record["link"] == "https://www.jewishpress.com/news/us-strikes" and record["headline"] == "Strikes on militias"
    assert "url" not in record and "title" not in record and "body" in record


# ---------------------------------------------------------------- CSV

CSV_ROWS = [
    {"doc_id": "a1", "body": seed_text(SEED_A), "url": "https://www.jewishpress.com/a1", "section": "world", "words": "612", "note": 'says "hi", twice\non two lines'},
    {"doc_id": "a2", "body": "A short article, in one line, with commas.", "url": "", "section": "", "words": "9", "note": ""},
]


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_round_trip_keeps_every_field_and_the_users_names(tmp_path):
    write_csv(tmp_path / "in.csv", CSV_ROWS)
    proc = invoke("clean", "in.csv", "--id-field", "doc_id", "--text-field", "body", "-o", "out.csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = read_csv(tmp_path / "out.csv")
    assert list(out[0]) == ["url", "section", "words", "note", "doc_id", "body", "removed"]
    for row, original in zip(out, CSV_ROWS):
        for key in ("doc_id", "url", "section", "words", "note"):
            assert row[key] == original[key], key
    assert paragraphs(out[0]["body"]) == kept_paragraphs(SEED_A)
    assert out[1]["body"] == CSV_ROWS[1]["body"]
    assert [r["rule"] for r in json.loads(out[0]["removed"])] and json.loads(out[1]["removed"]) == []
    again = invoke("clean", "out.csv", "--id-field", "doc_id", "--text-field", "body", "-o", "again.csv", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert [r["body"] for r in read_csv(tmp_path / "again.csv")] == [r["body"] for r in out], "a second run changes nothing"


def test_csv_rows_that_do_not_fit_are_skipped_with_their_line(tmp_path):
    (tmp_path / "in.csv").write_text('id,text\nr1,"A first row, fine."\nr2,too,many,cells\n"r3","A third row\nover two lines."\nr4,"The last row."\n', encoding="utf-8")
    proc = invoke("clean", "in.csv", cwd=tmp_path)
    assert proc.returncode == 1
    assert "error: in.csv:3: expected 2 cells as in the header, got 4, skipped" in proc.stderr
    assert [r["id"] for r in read_jsonl(proc.stdout)] == ["r1", "r3", "r4"]
    assert read_jsonl(proc.stdout)[1]["text"] == "A third row\nover two lines."


def test_jsonl_to_csv_writes_nested_fields_as_json(tmp_path):
    rows = [{"id": "r1", "text": seed_text(SEED_B), "meta": {"tags": ["iran", "iraq"]}, "score": 0.75, "paywalled": False, "summary": None}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    proc = invoke("run", "in.jsonl", "-o", "out.csv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (row,) = read_csv(tmp_path / "out.csv")
    assert json.loads(row["meta"]) == rows[0]["meta"]
    assert (row["score"], row["paywalled"], row["summary"], row["duplicate_of"]) == ("0.75", "false", "", "")


# ---------------------------------------------------------------- Parquet


def parquet_table():
    pa = pytest.importorskip("pyarrow")
    import datetime as dt

    return pa.table({
        "doc_id": ["p1", "p2"],
        "body": [seed_text(SEED_A), "A second, short article."],
        "url": ["https://www.jewishpress.com/p1", None],
        "words": pa.array([612, 5], type=pa.int64()),
        "tags": [["iran", "iraq"], []],
        "meta": [{"section": "world", "score": 0.5}, {"section": None, "score": 1.5}],
        "published": pa.array([dt.datetime(2021, 6, 28, 8, 0), dt.datetime(2021, 6, 29, 9, 30)], type=pa.timestamp("s")),
    })


def test_parquet_round_trip_keeps_every_field_and_the_users_names(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(parquet_table(), tmp_path / "in.parquet")
    flags = ["--id-field", "doc_id", "--text-field", "body", "--date-field", "published"]
    proc = invoke("run", "in.parquet", *flags, "-o", "out.parquet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = pq.read_table(tmp_path / "out.parquet")
    assert set(out.column_names) == {"doc_id", "body", "url", "words", "tags", "meta", "published", "removed", "duplicate_of", "story"}
    rows = out.to_pylist()
    assert [r["doc_id"] for r in rows] == ["p1", "p2"]
    assert [r["words"] for r in rows] == [612, 5] and str(out.schema.field("words").type) == "int64"
    assert [r["tags"] for r in rows] == [["iran", "iraq"], []]
    assert [r["meta"] for r in rows] == [{"section": "world", "score": 0.5}, {"section": None, "score": 1.5}]
    assert [r["published"] for r in rows] == ["2021-06-28T08:00:00", "2021-06-29T09:30:00"], "timestamps as ISO 8601 text"
    assert paragraphs(rows[0]["body"]) == kept_paragraphs(SEED_A)
    assert [x["rule"] for x in rows[0]["removed"]] and rows[1]["removed"] == []
    to_jsonl = invoke("clean", "in.parquet", *flags, cwd=tmp_path)
    assert [r["url"] for r in read_jsonl(to_jsonl.stdout)] == ["https://www.jewishpress.com/p1", None]


def test_parquet_rows_are_read_in_batches(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    n = 2500
    pq.write_table(pa.table({"id": [f"r{i}" for i in range(n)], "text": [f"Article number {i} says one thing." for i in range(n)]}), tmp_path / "big.parquet", row_group_size=500)
    items = read_paths([str(tmp_path / "big.parquet")])
    first = next(items)
    assert first.id == "r0" and first.source_line == 1
    assert sum(1 for _ in items) == n - 1


def test_a_column_of_mixed_types_is_written_as_json_text(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [{"id": "a", "text": "One article about the council vote.", "extra": 5}, {"id": "b", "text": "Another article about the harbour.", "extra": "five"}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    proc = invoke("clean", "in.jsonl", "-o", "out.parquet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert pq.read_table(tmp_path / "out.parquet").column("extra").to_pylist() == ["5", "five"]


def test_without_pyarrow_parquet_is_a_clear_error_naming_the_extra(tmp_path, monkeypatch):
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(parquet_table(), tmp_path / "in.parquet")
    (tmp_path / "a.txt").write_text(seed_text(SEED_B), encoding="utf-8")
    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed: importing it fails
    proc = invoke("clean", "a.txt", "in.parquet", "--id-field", "doc_id", "--text-field", "body", cwd=tmp_path)
    assert proc.returncode == 1
    assert "error: in.parquet: Parquet needs pyarrow, the optional extra cleaner[parquet]: pip install 'cleaner[parquet]'; skipped" in proc.stderr
    assert [r["doc_id"] for r in read_jsonl(proc.stdout)] == ["a.txt"]
    out = invoke("clean", "a.txt", "-o", "out.parquet", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr == "error: Parquet needs pyarrow, the optional extra cleaner[parquet]: pip install 'cleaner[parquet]'\n"
    assert not (tmp_path / "out.parquet").exists()
