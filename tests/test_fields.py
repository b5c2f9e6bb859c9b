"""The user's own field names: set in the configuration file (``id_field``, ``text_field``,
``url_field``, ``site_field``, ``date_field``, ``title_field``), overridden by ``--id-field``...,
honoured by every reader and by ``cleaner report``, and written back under the user's names."""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup

from conftest import SEED_A, SEED_B, by_id, invoke, kept_paragraphs, paragraphs, read_jsonl, seed_text

from cleaner import Config, ConfigError, Document, FieldNames, read_paths
from cleaner.config import config_from_table

CONFIG = """id_field = "doc_id"
text_field = "body"
url_field = "link"
date_field = "published"
title_field = "headline"
"""
ROWS = [
    {"doc_id": "a", "body": seed_text(SEED_A), "link": "https://www.jewishpress.com/a", "published": "2021-06-28", "headline": "US strikes militias"},
    {"doc_id": "b", "body": seed_text(SEED_A), "link": "https://www.jewishpress.com/b", "published": "2021-06-29", "headline": "US strikes militias again"},
    {"doc_id": "c", "body": seed_text(SEED_B), "link": "https://news.example.org/c", "published": "2021-06-30", "headline": "Translated report"},
]
USERS_KEYS = {"doc_id", "body", "link", "published", "headline"}


def corpus(tmp_path, config: str | None = CONFIG):
    (tmp_path / "mine.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    if config is not None:
        (tmp_path / "cleaner.toml").write_text(config, encoding="utf-8")


def report_data(path) -> dict:
    """The stories and articles a report page embeds (its ``report-data`` JSON)."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return json.loads(soup.find("script", id="report-data").string)


def test_field_names_from_the_configuration_file_are_read_and_written_back(tmp_path):
    corpus(tmp_path)
    proc = invoke("run", "mine.jsonl", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = {r["doc_id"]: r for r in read_jsonl(tmp_path / "out.jsonl")}
    assert set(out) == {"a", "b", "c"}
    for record in out.values():
        assert set(record) == USERS_KEYS | {"removed", "duplicate_of", "story"}, "no id/text/url/date/title keys added"
    assert out["b"]["duplicate_of"] == "a", "the mapped date makes the earlier copy canonical"
    assert paragraphs(out["a"]["body"]) == kept_paragraphs(SEED_A)
    assert [r["link"] for r in out.values()] == [r["link"] for r in ROWS]


def test_the_command_line_overrides_the_configuration(tmp_path):
    corpus(tmp_path, CONFIG.replace('date_field = "published"', 'date_field = "headline"').replace('title_field = "headline"\n', ""))
    wrong = invoke("clean", "mine.jsonl", cwd=tmp_path)
    assert wrong.returncode == 1
    assert "mine.jsonl:1: field 'headline': 'US strikes militias' is not a date" in wrong.stderr, "the file's mapping is used"
    proc = invoke("run", "mine.jsonl", "--date-field", "published", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = by_id([{**r, "id": r["doc_id"]} for r in read_jsonl(proc.stdout)])
    assert out["b"]["duplicate_of"] == "a"
    assert out["a"]["headline"] == ROWS[0]["headline"], "an unmapped field is carried through as it came"


def test_library_callers_get_the_same_names_from_the_configuration(tmp_path):
    corpus(tmp_path)
    config = config_from_table({"id_field": "doc_id", "text_field": "body", "url_field": "link", "date_field": "published", "title_field": "headline"})
    assert config.field_names == FieldNames(id="doc_id", text="body", url="link", date="published", title="headline")
    docs = list(read_paths([str(tmp_path / "mine.jsonl")], names=config.field_names))
    assert all(isinstance(d, Document) for d in docs), docs
    assert [(d.id, d.site, d.date, d.value("title")) for d in docs][0] == ("a", "jewishpress.com", "2021-06-28", "US strikes militias")
    assert set(docs[0].record()) == USERS_KEYS


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('url_field = ""', 'url_field = "": must be a non-empty field name'),
        ('site_field = 3', "site_field = 3: must be a string"),
        ('title_field = "doc_id"', 'title_field = "doc_id": id_field names the same field; each field needs its own name'),
        ('[fields]\nid = "x"', "unknown key 'fields'"),
    ],
)
def test_a_bad_field_setting_is_refused_naming_the_key(tmp_path, line, message):
    corpus(tmp_path, 'id_field = "doc_id"\n' + line + "\n")
    proc = invoke("clean", "mine.jsonl", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "cleaner.toml" in proc.stderr and message in proc.stderr, proc.stderr
    assert proc.stdout == ""


def test_two_fields_under_one_name_from_the_command_line_are_refused():
    with pytest.raises(ConfigError, match="url_field = \"id\": id_field names the same field"):
        Config().replace(url_field="id")


def test_a_report_reads_records_under_the_users_names(tmp_path):
    corpus(tmp_path)
    run = invoke("run", "mine.jsonl", "-o", "result.jsonl", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    proc = invoke("report", "result.jsonl", "-o", "report.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    stories = len({r["story"] for r in read_jsonl(tmp_path / "result.jsonl")})
    assert f"report: 3 articles, {stories} stories, 1 duplicates" in proc.stderr
    data = report_data(tmp_path / "report.html")
    rows = {row[0]: row for row in data["articles"]}
    assert set(rows) == {"a", "b", "c"}, "ids read from doc_id"
    assert rows["a"][1:2] == ["US strikes militias"], "the title read from headline"
    assert "https://www.jewishpress.com/a" in rows["a"] and "2021-06-28" in rows["a"], "url from link, date from published"
    assert data["sites"] == ["jewishpress.com", "news.example.org"], "sites from the mapped url"
    # The same result with the names given on the command line instead of a configuration file
    (tmp_path / "cleaner.toml").unlink()
    unmapped = invoke("report", "result.jsonl", "-o", "plain.html", cwd=tmp_path)
    assert unmapped.returncode == 1 and "result.jsonl:1: missing required field 'text'" in unmapped.stderr
    flags = ["--id-field", "doc_id", "--text-field", "body", "--url-field", "link", "--date-field", "published", "--title-field", "headline"]
    mapped = invoke("report", "result.jsonl", "-o", "flags.html", *flags, cwd=tmp_path)
    assert mapped.returncode == 0, mapped.stderr
    assert report_data(tmp_path / "flags.html") == data


def test_run_report_shows_the_mapped_titles(tmp_path):
    corpus(tmp_path)
    proc = invoke("run", "mine.jsonl", "-o", "result.jsonl", "--report", "run.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    titles = sorted(row[1] for row in report_data(tmp_path / "run.html")["articles"])
    assert titles == sorted(r["headline"] for r in ROWS)


def test_pages_and_the_records_file_of_a_tree_use_the_configured_names(tmp_path):
    page = ('<html lang="en"><head><title>Council approves the plan</title>'
            '<meta property="og:url" content="https://www.cityherald.example/plan"></head><body><article>'
            + "".join(f"<p>{p}</p>" for p in kept_paragraphs(SEED_A)) + "</article></body></html>")
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    (tmp_path / "cleaner.toml").write_text(CONFIG, encoding="utf-8")
    proc = invoke("clean", "page.html", "-o", "out/", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (record,) = read_jsonl(tmp_path / "out" / "records.jsonl")
    assert record["doc_id"] == "page.html" and record["headline"] == "Council approves the plan"
    assert record["link"] == "https://www.cityherald.example/plan" and record["site"] == "cityherald.example"
    assert not {"id", "text", "body", "title", "url"} & set(record), "the text is in its file; no default names"
    assert paragraphs((tmp_path / "out" / record["file"]).read_text(encoding="utf-8").replace("\n\n", "\n")) == kept_paragraphs(SEED_A)


def test_the_field_names_type_is_public():
    import cleaner

    assert "FieldNames" in cleaner.__all__ and cleaner.FieldNames is FieldNames
    assert re.search(r"url_field", Config.__doc__)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_table_round_trip_keeps_the_configured_names(tmp_path, suffix):
    corpus(tmp_path)
    if suffix == "parquet":
        pytest.importorskip("pyarrow")
    first = invoke("run", "mine.jsonl", "-o", f"out.{suffix}", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = invoke("run", f"out.{suffix}", "-o", "again.jsonl", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    out = {r["doc_id"]: r for r in read_jsonl(tmp_path / "again.jsonl")}
    for row in ROWS:
        record = out[row["doc_id"]]
        assert USERS_KEYS | {"removed", "duplicate_of", "story"} <= set(record) <= USERS_KEYS | {"removed", "duplicate_of", "story"}
        assert {k: record[k] for k in ("link", "published", "headline")} == {k: row[k] for k in ("link", "published", "headline")}
    assert out["b"]["duplicate_of"] == "a" and paragraphs(out["a"]["body"]) == kept_paragraphs(SEED_A)
