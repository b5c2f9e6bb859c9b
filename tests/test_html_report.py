"""`cleaner report`: the HTML report of a result, looked at in headless Chromium.

The page is rendered from a real `cleaner run` (the seeds plus a corpus made here: an exact copy
of a seed from another site, and an unrelated article) and opened in Debian's `chromium`;
``--dump-dom`` gives the DOM after the page's script ran, which BeautifulSoup (a dependency of
cleaner) reads. Views are opened through the URL's hash (``report.html#q=...``), as a person's
bookmark would. Tests that need no browser check the library and the command on their own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup

from cleaner.html_report import render_html
from cleaner.report_model import ARTICLE_TERMS, ReportBuilder, build_report, read_result
from cleaner.terms import tokenize
from conftest import SEED_A, SEED_B, SEEDS_DIR, UNRELATED_TXT, by_id, invoke, read_jsonl, seed_text

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# ---------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed with apt-get (once) when it is missing and this runs as root."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("chromium is not installed and cannot be installed here (needs root and apt-get): apt-get install chromium")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        try:
            proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
        except subprocess.TimeoutExpired:
            pytest.skip(f"chromium could not be installed: `{' '.join(command)}` timed out")
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            pytest.skip(f"chromium could not be installed: `{' '.join(command)}` failed: {tail[0]}")
    found = shutil.which("chromium")
    if not found:
        pytest.skip("chromium could not be installed: apt-get succeeded but there is no chromium on PATH")
    return found


def browse(chromium: str, page: Path, /, *args: str, **view: str) -> subprocess.CompletedProcess:
    """Open ``page`` (with ``view`` as its URL hash) in headless Chromium with a fresh profile."""
    url = page.resolve().as_uri() + ("#" + urlencode(view) if view else "")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        return subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
                              capture_output=True, text=True, timeout=180)


def dom(chromium: str, page: Path, /, **view: str) -> BeautifulSoup:
    """The page's DOM after its script ran."""
    proc = browse(chromium, page, "--dump-dom", **view)
    assert proc.returncode == 0 and "<html" in proc.stdout, proc.stderr[-2000:]
    soup = BeautifulSoup(proc.stdout, "html.parser")
    assert soup.html.get("data-first-render-ms") is not None, "the page's script did not finish its first render"
    return soup


def cards(soup: BeautifulSoup) -> list:
    return soup.select("#stories article.story")


def card_of(soup: BeautifulSoup, article_id: str):
    """The story card holding the article ``article_id``."""
    found = [c for c in cards(soup) if c.select_one(f'li.article[data-id="{article_id}"]')]
    assert len(found) == 1, f"{article_id} is in {len(found)} story cards"
    return found[0]


def item(card, article_id: str):
    return card.select_one(f'li.article[data-id="{article_id}"]')


# ---------------------------------------------------------------------- a real run

COPY_ID, UNRELATED_ID = "wire-copy", "oslo-rates"
COPY_TITLE = "US strikes Iran-backed militias on the Iraq-Syria border"
UNRELATED_TITLE = "Norwegian central bank raises interest rate to 4.25 percent"


@pytest.fixture(scope="module")
def seeds_report(tmp_path_factory) -> dict:
    """`cleaner run seeds/ corpus/ -o result.jsonl`, then `cleaner report result.jsonl -o report.html`.

    The corpus: seed A word for word, republished by wire.example (no date, so the seed, read
    first, stays the canonical article), and an unrelated, dated article.
    """
    work = tmp_path_factory.mktemp("seeds-report")
    corpus = work / "corpus"
    corpus.mkdir()
    records = [
        {"id": COPY_ID, "title": COPY_TITLE, "site": "wire.example", "url": "https://wire.example/us-strikes", "lang": "en", "text": seed_text(SEED_A)},
        {"id": UNRELATED_ID, "title": UNRELATED_TITLE, "url": "https://www.markets.example/oslo-rates", "date": "2023-06-22", "text": UNRELATED_TXT.read_text(encoding="utf-8")},
    ]
    (corpus / "wire.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    run = invoke("run", SEEDS_DIR, corpus, "-o", "result.jsonl", cwd=work)
    assert run.returncode == 0, run.stderr
    report = invoke("report", "result.jsonl", "-o", "report.html", cwd=work)
    assert report.returncode == 0, report.stderr
    assert "report: 4 articles, 2 stories, 1 duplicates -> report.html" in report.stderr
    return {"work": work, "page": work / "report.html", "records": by_id(read_jsonl(work / "result.jsonl"))}


def test_the_run_grouped_what_the_report_is_meant_to_show(seeds_report):
    records = seeds_report["records"]
    assert records[SEED_A]["story"] == records[SEED_B]["story"] == records[COPY_ID]["story"]
    assert records[COPY_ID]["duplicate_of"] == SEED_A and records[SEED_A]["duplicate_of"] is None
    assert records[UNRELATED_ID]["story"] != records[SEED_A]["story"]


def test_the_page_shows_the_seeds_story_with_both_titles_and_its_shared_terms(seeds_report, chromium):
    soup = dom(chromium, seeds_report["page"])
    assert len(cards(soup)) == 2
    story = card_of(soup, SEED_A)
    assert card_of(soup, SEED_B) is story
    assert cards(soup)[0] is story, "the story of three articles ranks above the story of one"
    # The seeds have no title field: the page shows their ids as titles, and their first lines.
    for seed in (SEED_A, SEED_B):
        assert item(story, seed).select_one(".title").get_text() == seed
    assert item(story, SEED_B).select_one(".lead").get_text() == "US strikes pro-Iran militias in Iraq, Syria"
    assert "3 articles" in story.select_one(".story-head").get_text()
    terms = [t.get_text() for t in story.select(".terms .term")]
    assert terms and {"militias", "pentagon"} & set(terms), terms
    seed_words = [set(tokenize(seeds_report["records"][s]["text"])) for s in (SEED_A, SEED_B)]
    assert all(t in seed_words[0] and t in seed_words[1] for t in terms), "a shared term must be in both seeds"
    other = card_of(soup, UNRELATED_ID)
    link = item(other, UNRELATED_ID).select_one("a.title")
    assert link.get_text() == UNRELATED_TITLE and link["href"] == "https://www.markets.example/oslo-rates"
    assert item(other, UNRELATED_ID).select_one(".meta").get_text(" ").split() == ["markets.example", "2023-06-22", UNRELATED_ID]
    figures = {f["data-figure"]: f.b.get_text() for f in soup.select(".figure")}
    removed = sum(len(r["removed"]) for r in seeds_report["records"].values())
    assert figures == {"articles": "4", "duplicates": "1", "stories": "2", "lines removed": str(removed)}


def test_the_duplicate_is_folded_under_its_canonical_article(seeds_report, chromium):
    soup = dom(chromium, seeds_report["page"])
    story = card_of(soup, SEED_A)
    canonical = item(story, SEED_A)
    fold = canonical.select_one("details.copies")
    assert fold is not None and not fold.has_attr("open"), "copies are folded (closed) by default"
    assert fold.summary.get_text() == "1 copy"
    copy = fold.select_one(f'li.article.copy[data-id="{COPY_ID}"]')
    assert copy is not None, "the copy is inside its canonical article's fold"
    assert copy.select_one("a.title").get_text() == COPY_TITLE
    assert copy.select_one(".meta").get_text(" ").split()[:2] == ["wire.example", "en"]
    top_level = [li["data-id"] for li in story.select("ul.articles > li.article")]
    assert top_level == [SEED_A, SEED_B], "the copy is not listed as an article of its own"


def test_search_narrows_the_list(seeds_report, chromium):
    page = seeds_report["page"]
    soup = dom(chromium, page, q="Norwegian")
    assert [c.select_one("li.article")["data-id"] for c in cards(soup)] == [UNRELATED_ID]
    assert soup.select_one("#status").get_text() == "Stories 1–1 of 1 matching (of 2)"
    soup = dom(chromium, page, q="quokka")
    assert cards(soup) == [] and soup.select_one("#status").get_text() == "No story matches these filters."
    soup = dom(chromium, page, q="MILITIAS 004_")  # every word must match, in any case: a shared term and an id
    story, = cards(soup)
    assert [li["data-id"] for li in story.select("ul.articles > li.article")] == [SEED_B]
    assert "1 of 2 articles match" in story.get_text()
    soup = dom(chromium, page, q="wire.example")  # only the copy matches: its canonical is shown, the fold open
    story, = cards(soup)
    assert [li["data-id"] for li in story.select("ul.articles > li.article")] == [SEED_A]
    assert item(story, SEED_A).select_one("details.copies").has_attr("open")
    assert "1 of 2 articles match" in story.get_text()


def test_filters_by_site_language_and_date(seeds_report, chromium):
    page = seeds_report["page"]
    soup = dom(chromium, page, site="markets.example")
    assert [c.select_one("li.article")["data-id"] for c in cards(soup)] == [UNRELATED_ID]
    assert [o["value"] for o in soup.select("#f-site option")] == ["", "markets.example", "wire.example"]
    soup = dom(chromium, page, lang="en")
    assert [c.select_one("li.article")["data-id"] for c in cards(soup)] == [SEED_A]
    soup = dom(chromium, page, **{"from": "2023-01-01", "to": "2023-12-31"})
    assert [c.select_one("li.article")["data-id"] for c in cards(soup)] == [UNRELATED_ID]
    soup = dom(chromium, page, **{"to": "2022-12-31"})
    assert cards(soup) == []


def test_the_cleaning_summary_counts_lines_per_rule_and_site_with_examples(seeds_report, chromium):
    soup = dom(chromium, seeds_report["page"], view="cleaning")
    assert soup.select_one("#view-stories").has_attr("hidden") and not soup.select_one("#view-cleaning").has_attr("hidden")
    per_rule: dict[str, int] = {}
    for record in seeds_report["records"].values():
        for r in record["removed"]:
            per_rule[r["rule"]] = per_rule.get(r["rule"], 0) + 1
    rows = {tr.td.get_text(): tr for tr in soup.select("table.rules tbody tr")}
    assert {code: int(tr.select("td")[2].get_text()) for code, tr in rows.items()} == per_rule
    assert rows["NAV001"].select("td")[1].get_text() == "previous-next-article"
    examples = [q.get_text() for q in rows["NAV001"].select(".examples q")]
    assert "Previous articleChallenges to Gaza Ceasefire Are Arising Quickly" in examples
    sites = {tr.td.get_text(): [td.get_text() for td in tr.select("td")] for tr in soup.select("table.sites tbody tr")}
    assert sites["wire.example"][1:4] == ["1", "1", str(len(seeds_report["records"][COPY_ID]["removed"]))]


def test_a_screenshot_for_people_to_look_at(seeds_report, chromium):
    shot = seeds_report["work"] / "report.png"
    proc = browse(chromium, seeds_report["page"], f"--screenshot={shot}", "--window-size=1280,1000")
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, "a blank page compresses to a few kB"
    print(f"\nscreenshot of the report: {shot}")


# ---------------------------------------------------------------------- hostile and odd records

HOSTILE_TITLE = '</script><script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'"> & <!-- more'


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory) -> Path:
    """A result whose fields are markup, a `javascript:` address, and a copy of an article not in it."""
    work = tmp_path_factory.mktemp("hostile")
    records = [
        {"id": "x<!--1", "title": HOSTILE_TITLE, "site": "<b>bold</b>.example", "url": "javascript:document.title='pwned'",
         "text": "Plain text.", "removed": [{"line": 2, "rule": "NAV001", "text": "</td></table><script>document.title='pwned'</script>"}],
         "duplicate_of": None, "story": "s-\"quoted\""},
        {"id": "copy-of-indexed", "title": "A copy of an indexed article", "text": "Plain text again.", "removed": [],
         "duplicate_of": "indexed-1", "story": "s-other"},
    ]
    (work / "result.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    proc = invoke("report", "result.jsonl", "-o", "report.html", cwd=work)
    assert proc.returncode == 0, proc.stderr
    return work / "report.html"


def test_markup_in_the_records_cannot_break_the_page(hostile_page, chromium):
    text = hostile_page.read_text(encoding="utf-8")
    assert text.count("<script") == 2, "only the data block and the page's own script"
    soup = dom(chromium, hostile_page)
    assert soup.title.get_text() == "cleaner report: result.jsonl"
    assert soup.select("#stories img, #stories script, #stories b") == []
    article = soup.select_one('li.article[data-id="x<!--1"]')
    assert article.select_one(".title").get_text() == HOSTILE_TITLE
    assert article.select_one("a") is None, "a javascript: address is not made a link"
    assert "<b>bold</b>.example" in article.select_one(".meta").get_text()
    cleaning = dom(chromium, hostile_page, view="cleaning")
    assert cleaning.title.get_text() == "cleaner report: result.jsonl"
    assert cleaning.select("#view-cleaning script") == []
    assert "</td></table><script>" in cleaning.select_one("table.rules .examples q").get_text()


def test_a_copy_of_an_article_not_in_the_result_stands_on_its_own(hostile_page, chromium):
    soup = dom(chromium, hostile_page)
    copy = soup.select_one('ul.articles > li.article[data-id="copy-of-indexed"]')
    assert copy.select_one(".badge").get_text() == "copy of indexed-1"


def test_stories_are_paginated_fifty_a_page(tmp_path, chromium):
    records = [{"id": f"a{i:03}", "title": f"Article {i}", "date": f"2024-01-{1 + i % 28:02}", "text": f"Text {i}.",
                "duplicate_of": None, "story": f"s-{i}"} for i in range(120)]
    (tmp_path / "result.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert invoke("report", "result.jsonl", "-o", "report.html", cwd=tmp_path).returncode == 0
    page = tmp_path / "report.html"
    first = dom(chromium, page)
    assert len(cards(first)) == 50 and first.select_one("#status").get_text() == "Stories 1–50 of 120"
    assert "page 1 of 3" in first.select_one("#pager").get_text()
    last = dom(chromium, page, page="3")
    assert len(cards(last)) == 20 and last.select_one("#status").get_text() == "Stories 101–120 of 120"
    newest = dom(chromium, page, sort="recent")
    dates = [c.select_one("time").get_text() for c in cards(newest)]
    assert dates == sorted(dates, reverse=True) and dates[0] == "2024-01-28"


# ---------------------------------------------------------------------- library and command, no browser


def records_builder(records: list[dict]) -> ReportBuilder:
    from cleaner.readers import record_document

    return build_report(record_document(r, "r.jsonl", n, "id", "text") for n, r in enumerate(records, 1))


def test_stories_rank_by_size_then_recency():
    def rec(i, story, date):
        return {"id": i, "text": "x y", "date": date, "story": story, "duplicate_of": None}

    builder = records_builder([rec("a", "old", "2024-01-01"), rec("b", "old", "2024-01-02"), rec("c", "new", "2024-03-01"),
                               rec("d", "new", "2024-03-01"), rec("e", "big", "2023-01-01"), rec("f", "big", "2023-01-02"),
                               rec("g", "big", "2023-01-03"), rec("h", "one", "2025-01-01")])
    assert [s.key for s in builder.stories()] == ["big", "new", "old", "one"]


def test_every_article_is_one_row_whatever_its_copies_point_at():
    def rec(i, dup, story="s"):
        return {"id": i, "text": f"Text {i}.", "story": story, "duplicate_of": dup}

    # b copies a; c copies the copy b (a chain cleaner never writes); d copies an indexed article;
    # e copies a but carries another story id: it follows its canonical article.
    builder = records_builder([rec("a", None), rec("b", "a"), rec("c", "b"), rec("d", "indexed-9"), rec("e", "a", "t")])
    rows = builder.data(builder.stories())["articles"]
    assert sorted(r[0] for r in rows) == ["a", "b", "c", "d", "e"]
    marks = {r[0]: (r[7] if len(r) > 7 else 0) for r in rows}
    assert marks == {"a": 0, "b": 1, "e": 1, "c": "b", "d": "indexed-9"}
    ids = [r[0] for r in rows]
    assert ids.index("a") + 1 == ids.index("b") and ids.index("b") + 1 == ids.index("e"), "copies follow their canonical row"


def test_shared_terms_are_shared_and_rare():
    rare = "zelenskyy kirby pentagon militias"
    builder = records_builder([
        {"id": "a", "text": f"The officials said {rare} on Monday about the strikes and a quokka.", "story": "s", "duplicate_of": None},
        {"id": "b", "text": f"Officials said {rare} after the strikes on Tuesday.", "story": "s", "duplicate_of": None},
        {"id": "c", "text": "A wholly different story about rates.", "story": "t", "duplicate_of": None},
    ])
    story = next(s for s in builder.stories() if s.key == "s")
    assert set(story.terms) >= set(rare.split()), story.terms
    assert not {"said", "the", "on", "quokka", "monday"} & set(story.terms), "common words, or one article's"
    assert all(len(a.terms) <= ARTICLE_TERMS for a in builder.articles)


def test_an_article_keeps_a_bounded_number_of_terms_and_no_text():
    long_text = " ".join(f"word{i}x" for i in range(2000))
    builder = records_builder([{"id": "a", "text": long_text, "story": "s", "duplicate_of": None}])
    article, = builder.articles
    assert len(article.terms) == ARTICLE_TERMS
    assert not any(isinstance(v, str) and len(v) > 200 for v in (getattr(article, k) for k in article.__slots__))


def test_the_page_is_self_contained(seeds_report):
    text = seeds_report["page"].read_text(encoding="utf-8")
    assert "default-src 'none'" in text, "a Content-Security-Policy forbids every request"
    soup = BeautifulSoup(text, "html.parser")
    assert soup.select("link, img, iframe, script[src]") == []
    assert "@import" not in text and "url(" not in soup.style.get_text()


def test_missing_and_wrong_inputs_are_refused_and_write_nothing(tmp_path):
    proc = invoke("report", "nope.jsonl", "-o", "out.html", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.strip() == "error: nope.jsonl: no such file"
    (tmp_path / "a.txt").write_text("An article.\n", encoding="utf-8")
    proc = invoke("report", "a.txt", "-o", "out.html", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("error: a.txt: not a result file")
    assert not (tmp_path / "out.html").exists()


def test_a_bad_record_is_skipped_or_stops_the_report_under_strict(tmp_path):
    good = {"id": "ok", "title": "Fine", "text": "Text.", "story": "s", "duplicate_of": None}
    bad_removed = {"id": "bad", "text": "Text.", "removed": "NAV001"}
    (tmp_path / "r.jsonl").write_text(json.dumps(good) + "\n{not json\n" + json.dumps(bad_removed) + "\n" + json.dumps(good) + "\n", encoding="utf-8")
    proc = invoke("report", "r.jsonl", "-o", "out.html", cwd=tmp_path)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert errors[0].startswith("error: r.jsonl:2: malformed JSON")
    assert errors[1] == "error: r.jsonl:3: field 'removed' must be a list of {line, rule, text} objects"
    assert errors[2] == "error: r.jsonl:4: id 'ok' already used at r.jsonl:1"
    assert "report: 1 articles" in proc.stderr and (tmp_path / "out.html").exists()
    (tmp_path / "out.html").unlink()
    proc = invoke("report", "r.jsonl", "-o", "out.html", "--strict", cwd=tmp_path)
    assert proc.returncode == 2 and "r.jsonl:2: malformed JSON" in proc.stderr and "(stopped: --strict)" in proc.stderr
    assert not (tmp_path / "out.html").exists()


def test_records_of_clean_have_each_article_as_its_own_story(tmp_path):
    (tmp_path / "r.jsonl").write_text(json.dumps({"id": "a", "text": "T.", "removed": []}) + "\n" + json.dumps({"id": "b", "text": "U.", "removed": []}) + "\n", encoding="utf-8")
    builder = build_report(read_result(str(tmp_path / "r.jsonl")))
    page, figures = render_html(builder, "r.jsonl")
    assert figures["stories"] == 2 and figures["duplicates"] == 0 and "No lines were removed" in page
