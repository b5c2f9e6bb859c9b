"""`cleaner run --report report.html`: the HTML report of the run itself, the page `cleaner report`
makes of the same records (read without a browser: the figures and cleaning summary are static
HTML, the stories the page's embedded JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import SEED_A, SEED_B, SEEDS_DIR, UNRELATED_TXT, invoke, seed_text

COPY_ID, UNRELATED_ID = "wire-copy", "oslo-rates"
COPY_TITLE = "US strikes Iran-backed militias on the Iraq-Syria border"
UNRELATED_TITLE = "Norwegian central bank raises interest rate to 4.25 percent"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [
        {"id": COPY_ID, "title": COPY_TITLE, "site": "wire.example", "url": "https://wire.example/us-strikes", "lang": "en", "text": seed_text(SEED_A)},
        {"id": UNRELATED_ID, "title": UNRELATED_TITLE, "url": "https://www.markets.example/oslo-rates", "date": "2023-06-22", "text": UNRELATED_TXT.read_text(encoding="utf-8")},
    ]
    (corpus / "wire.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return tmp_path


def page_data(page: Path) -> tuple[BeautifulSoup, dict]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return soup, json.loads(soup.select_one("#report-data").string)


def figures(soup: BeautifulSoup) -> dict[str, int]:
    return {f["data-figure"]: int(f.b.get_text().replace(",", "")) for f in soup.select(".figure")}


def test_run_report_shows_the_runs_stories_copies_and_cleaning(work):
    proc = invoke("run", SEEDS_DIR, "corpus", "-o", "result.jsonl", "--report", "report.html", cwd=work)
    assert proc.returncode == 0, proc.stderr
    soup, data = page_data(work / "report.html")
    assert figures(soup) == {"articles": 4, "duplicates": 1, "stories": 2, "lines removed": figures(soup)["lines removed"]}
    assert figures(soup)["lines removed"] > 0
    text = json.dumps(data, ensure_ascii=False)
    for shown in (SEED_A, SEED_B, COPY_ID, COPY_TITLE, UNRELATED_TITLE, "wire.example", "2023-06-22"):
        assert shown in text, shown
    # The cleaning summary is static HTML: the seeds' rules with an example line each.
    rules = {row.select_one("code").get_text() for row in soup.select("table.rules tbody tr")}
    assert {"COM001", "CRD001", "NAV001"} <= rules
    assert "Leave a Comment" in soup.select_one("table.rules").get_text()
    assert soup.title.get_text() == "cleaner report: result.jsonl"


def test_run_report_is_the_page_cleaner_report_makes_of_the_same_result(work):
    assert invoke("run", SEEDS_DIR, "corpus", "-o", "result.jsonl", "--report", "direct.html", cwd=work).returncode == 0
    assert invoke("report", "result.jsonl", "-o", "after.html", cwd=work).returncode == 0
    direct, after = page_data(work / "direct.html"), page_data(work / "after.html")
    assert direct[1] == after[1], "the same stories, copies and terms"
    cleaning = [page.select_one("#view-cleaning") for page, _ in (direct, after)]
    assert cleaning[0] is not None and cleaning[0].select("table.sites tbody tr")
    assert str(cleaning[0]) == str(cleaning[1]), "the same cleaning summary"
    assert figures(direct[0]) == figures(after[0])


def test_run_report_with_explain_and_without_records_file(work):
    proc = invoke("run", SEEDS_DIR, "corpus", "--explain", "--report", "report.html", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert f"== {COPY_ID}" in proc.stdout
    soup, data = page_data(work / "report.html")
    assert figures(soup)["articles"] == 4 and figures(soup)["duplicates"] == 1
    assert soup.title.get_text() == "cleaner report: run"


def test_run_report_of_a_stopped_run_is_not_written(work):
    (work / "corpus" / "bad.jsonl").write_text("{broken\n", encoding="utf-8")
    proc = invoke("run", SEEDS_DIR, "corpus", "--strict", "-o", "result.jsonl", "--report", "report.html", cwd=work)
    assert proc.returncode == 2
    assert not (work / "report.html").exists() and not (work / "result.jsonl").exists()
