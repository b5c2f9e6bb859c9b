"""Web pages in: trafilatura's article text (and the further chunks of a body split in sibling
containers), the page's charset, metadata fields, gzipped pages,
pages with no article, and the BeautifulSoup fallback reader (which keeps what a <form> holds)."""

from __future__ import annotations

import gzip
import json

import lxml.html
import trafilatura
from conftest import SEED_A, SEEDS_DIR, by_id, invoke, read_jsonl

from cleaner.chunks import MAX_CHUNKS, read_on
from cleaner.pages import EXTRACTION, html_to_text, read_page

PARAGRAPHS = [
    "The city council approved the new transit plan on Tuesday after a debate that lasted more than six hours.",
    "Under the plan, three bus lines will run every ten minutes from March, and fares for students will fall by half.",
    "Council member Ana Ruiz said the vote was the most important decision the council had taken in a decade.",
    "Opponents argued that the plan would cost more than the city could afford and asked for a public referendum.",
    "The mayor is expected to sign the plan into law next week, and the first new buses are due in February.",
]
ARTICLE = "".join(f"<p>{p}</p>\n" for p in PARAGRAPHS)

# A whole page inside one <form>, as ASP.NET WebForms sites write it (two of the benchmark's pages).
FORM_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Council approves transit plan - City Herald</title></head>
<body><form method="post" action="./article.aspx" id="aspnetForm">
<input type="hidden" name="__VIEWSTATE" value="dDwtMTA4MzE0MjEwNTs7Pg==">
<div class="site-search"><label for="q">Search the Herald</label><input id="q" name="q"><button type="submit">Go</button></div>
<div id="main"><article><h1>Council approves transit plan</h1>
{ARTICLE}</article></div>
</form></body></html>
"""

META_PAGE = f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Council approves transit plan | City Herald</title>
<meta property="og:title" content="Council approves transit plan">
<meta property="og:url" content="https://www.cityherald.example/news/2024/03/05/transit-plan">
<link rel="canonical" href="https://www.cityherald.example/news/2024/03/05/transit-plan?ref=home">
<meta property="article:published_time" content="2024-03-05T09:30:00+00:00">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Council approves transit plan", "datePublished": "2024-03-05T09:30:00+00:00",
 "author": [{{"@type": "Person", "name": "Maria Lopez"}}, {{"@type": "Person", "name": "Tom Berg"}}]}}</script>
</head><body><article><h1>Council approves transit plan</h1>{ARTICLE}</article></body></html>
"""

# A single-page application's shell: the article is rendered by a script, the page holds no text.
SHELL_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>City Herald</title></head>
<body><div id="root"></div><script src="/static/app.js"></script></body></html>
"""


def test_an_article_inside_a_form_is_read(tmp_path):
    (tmp_path / "page.html").write_text(FORM_PAGE, encoding="utf-8")
    proc = invoke("clean", "page.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = read_jsonl(proc.stdout)[0]["text"]
    for paragraph in PARAGRAPHS:
        assert paragraph in text.split("\n")
    assert "VIEWSTATE" not in text and "Search the Herald" not in text


def test_the_fallback_reader_keeps_what_a_form_holds_and_drops_its_controls():
    text, title = html_to_text(FORM_PAGE)
    lines = text.split("\n\n")
    assert lines == ["Council approves transit plan", *PARAGRAPHS]
    assert title == "Council approves transit plan - City Herald"


def test_a_page_trafilatura_finds_nothing_in_is_read_by_the_fallback_reader(tmp_path):
    # One short paragraph and a truncated comment: trafilatura extracts nothing from it.
    page = "<p>The council meets again on Thursday to discuss the budget.</p><!--" + "x" * 5000
    (tmp_path / "cut.html").write_text(page, encoding="utf-8")
    proc = invoke("clean", "cut.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert read_jsonl(proc.stdout)[0]["text"] == "The council meets again on Thursday to discuss the budget."


def test_a_windows_1252_page_with_a_meta_charset_reads_correctly(tmp_path):
    body = "<p>“Smart quotes”, café au lait, 20 € and naïve résumés – all in one sentence of the article.</p>"
    page = f'<html><head><meta charset="windows-1252"><title>Café</title></head><body><article>{body * 4}</article></body></html>'
    (tmp_path / "cp1252.html").write_bytes(page.encode("cp1252"))
    # iso-8859-1 declared, windows-1252 written: browsers read such a page as windows-1252, and so does cleaner
    latin = page.replace('charset="windows-1252"', 'http-equiv="Content-Type" content="text/html; charset=iso-8859-1"')
    (tmp_path / "latin1.html").write_bytes(latin.encode("cp1252"))
    proc = invoke("clean", "cp1252.html", "latin1.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for record in read_jsonl(proc.stdout):
        assert "“Smart quotes”, café au lait, 20 € and naïve résumés – all in one sentence of the article." in record["text"], record["id"]
        assert record["title"] == "Café"


def test_a_non_utf8_page_that_declares_no_charset_is_an_input_error(tmp_path):
    (tmp_path / "bad.html").write_bytes(b"<html><body><p>Caf\xe9 au lait, without any charset.</p></body></html>")
    proc = invoke("clean", "bad.html", cwd=tmp_path)
    assert proc.returncode == 1
    assert "error: bad.html:1: invalid UTF-8 (byte 0xe9 at offset 18)" in proc.stderr


def test_page_metadata_become_record_fields(tmp_path):
    (tmp_path / "page.html").write_text(META_PAGE, encoding="utf-8")
    proc = invoke("clean", "page.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    record = read_jsonl(proc.stdout)[0]
    assert record["title"] == "Council approves transit plan"
    assert record["url"] == "https://www.cityherald.example/news/2024/03/05/transit-plan", "og:url before the canonical link"
    assert record["site"] == "cityherald.example", "the host without www."
    assert record["date"] == "2024-03-05"
    assert record["author"] == "Maria Lopez, Tom Berg"
    assert record["lang"] == "en-GB"
    assert record["text"].split("\n")[1:] == PARAGRAPHS


def test_the_canonical_link_and_the_heads_date_when_nothing_better_is_there():
    page = META_PAGE.replace('<meta property="og:url" content="https://www.cityherald.example/news/2024/03/05/transit-plan">', "")
    page = page.replace("2024/03/05/", "").replace('"datePublished": "2024-03-05T09:30:00+00:00",', "")
    page = page.replace('<meta property="article:published_time" content="2024-03-05T09:30:00+00:00">', '<meta name="pubdate" content="Tue, 05 Mar 2024 09:30:00 GMT">')
    doc = read_page(page.encode("utf-8"), "p.html", "p.html")
    assert doc.fields["url"] == "https://www.cityherald.example/news/transit-plan?ref=home"
    assert doc.site == "cityherald.example"
    assert doc.fields["date"].startswith("2024-03-05") and doc.date.startswith("2024-03-05")


def test_pages_of_one_site_are_learned_together(tmp_path):
    """Per-site learning needs a site: a folder of pages now has one (REP001 removes the repeated line)."""
    promo = "Subscribe to the City Herald newsletter for the morning briefing"
    for n in range(6):
        page = META_PAGE.replace("transit-plan", f"story-{n}").replace(ARTICLE, f"<p>Story number {n} starts with its own sentence about the city and the council.</p>{ARTICLE}<p>{promo}</p>")
        (tmp_path / f"p{n}.html").write_text(page, encoding="utf-8")
    proc = invoke("clean", ".", "--learn", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for record in read_jsonl(proc.stdout):
        assert promo not in record["text"]
        assert promo in [r["text"] for r in record["removed"]]


def test_a_page_with_no_article_is_an_input_error_and_the_others_are_written(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "app.html").write_text(SHELL_PAGE, encoding="utf-8")
    (pages / "form.html").write_text(FORM_PAGE, encoding="utf-8")
    (pages / "seed.txt").write_text((SEEDS_DIR / SEED_A).read_text(encoding="utf-8"), encoding="utf-8")
    proc = invoke("clean", "pages", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 1
    assert "error: pages/app.html: no article text found in the HTML page, skipped" in proc.stderr
    assert [r["id"] for r in read_jsonl(tmp_path / "out.jsonl")] == ["form.html", "seed.txt"]


def test_a_gzipped_page_is_read(tmp_path):
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(META_PAGE.encode("utf-8")))
    (tmp_path / "cut.html.gz").write_bytes(gzip.compress(META_PAGE.encode("utf-8"))[:-20])
    proc = invoke("clean", "page.html.gz", "cut.html.gz", cwd=tmp_path)
    assert proc.returncode == 1
    assert "error: cut.html.gz: cannot read compressed data" in proc.stderr
    record = by_id(read_jsonl(proc.stdout))["page.html.gz"]
    assert record["site"] == "cityherald.example"
    assert record["text"].split("\n")[1:] == PARAGRAPHS


def test_check_on_a_page_points_at_lines_of_the_extracted_text(tmp_path):
    page = META_PAGE.replace(ARTICLE, ARTICLE + "<p>Leave a Comment</p>")
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    proc = invoke("check", "page.html", "--no-index", "--output-format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)
    text = read_page(page.encode("utf-8"), "page.html", "page.html").text.split("\n")
    (finding,) = [f for f in findings if f["code"].startswith("COM")]
    assert text[finding["line"] - 1] == "Leave a Comment"


def test_a_page_gzipped_in_two_members_is_read_whole(tmp_path):
    """``cat head.gz body.gz > page.html.gz`` is one gzip file of two members, as gzip reads it."""
    half = len(META_PAGE) // 2
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(META_PAGE[:half].encode("utf-8")) + gzip.compress(META_PAGE[half:].encode("utf-8")))
    proc = invoke("clean", "page.html.gz", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (record,) = read_jsonl(proc.stdout)
    assert record["text"].split("\n")[1:] == PARAGRAPHS and record["author"] == "Maria Lopez, Tom Berg"


def test_a_gzipped_page_that_is_not_gzip_or_too_large_is_an_input_error(tmp_path, monkeypatch):
    import cleaner.pages

    (tmp_path / "plain.html.gz").write_text(META_PAGE, encoding="utf-8")
    (tmp_path / "big.html.gz").write_bytes(gzip.compress(META_PAGE.encode("utf-8") + b" " * 5000))
    (tmp_path / "page.html").write_text(META_PAGE, encoding="utf-8")
    monkeypatch.setattr(cleaner.pages, "MAX_PAGE_BYTES", len(META_PAGE.encode("utf-8")) + 100)
    proc = invoke("clean", "plain.html.gz", "big.html.gz", "page.html", cwd=tmp_path)
    assert proc.returncode == 1
    assert "error: plain.html.gz: cannot read compressed data: Not a gzipped file" in proc.stderr
    assert "error: big.html.gz: page larger than " in proc.stderr and " MiB once decompressed, skipped" in proc.stderr
    assert [r["id"] for r in read_jsonl(proc.stdout)] == ["page.html"]


# An article body written as several containers of one class with advertisements between them
# (as WIRED writes it): trafilatura's body search takes the first container only.
CHUNKED = [
    "The river authority said on Monday that water levels in the northern reservoirs had fallen to their lowest in forty years.",
    "Farmers in the valley have been told to expect cuts of up to a third in the water they may draw during the summer.",
    "Engineers are studying whether an old pipeline from the coast could be repaired in time to supply the largest towns.",
    "The authority's chair, Helen Marsh, said the decision had been taken after weeks of talks with councils and growers.",
    "Residents have been asked to water gardens only in the evening and to report leaks as soon as they see them.",
    "Rainfall since October has been less than half the average, according to figures from the national weather service.",
    "Several towns have already closed public fountains and swimming pools to save water for homes and hospitals.",
    "The government has promised an emergency fund to help farmers who lose crops because of the restrictions.",
    "Critics say the authority should have started repairing leaking mains years ago, when the first warnings came.",
]
HEADLINES = ('<p>Don\'t miss: <a href="/a">Storm closes the coast road for a week</a> '
             '<a href="/b">Council votes on the new harbour plan tonight</a></p>')


def _chunk(paragraphs, extra=""):
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return f'<div class="grid"><div class="body article__body">{body}{extra}</div></div>'


def _chunked_page(between='<div class="ad"><span>Advertisement</span></div>', extra=""):
    return ("<html><head><title>Reservoirs at a forty-year low</title></head><body>"
            '<main><article><h1>Reservoirs at a forty-year low</h1><div class="article__chunks">'
            + _chunk(CHUNKED[0:3]) + between + _chunk(CHUNKED[3:6], extra) + between + _chunk(CHUNKED[6:9])
            + "</div></article></main></body></html>")


def test_an_article_split_into_sibling_chunks_is_read_whole_and_in_order(tmp_path):
    page = _chunked_page(extra=HEADLINES)
    alone = trafilatura.extract(trafilatura.load_html(page), **EXTRACTION).split("\n")
    assert alone == CHUNKED[0:3]  # what trafilatura reads by itself: the first chunk
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    proc = invoke("clean", "page.html", "--no-learn", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = read_jsonl(proc.stdout)[0]["text"].split("\n")
    assert [line for line in lines if line in CHUNKED] == CHUNKED
    assert not any("Storm closes" in line for line in lines)  # a paragraph of links is not the body


def test_chunks_separated_by_headings_are_other_articles_and_not_read_on():
    # A blog's index: each post's title between bodies of the same class.
    page = _chunked_page(between="<h2>Another story from the valley</h2>")
    tree = trafilatura.load_html(page)
    text = trafilatura.extract(tree, **EXTRACTION)
    assert CHUNKED[3] not in text
    assert read_on(tree, text) == text


def test_a_listing_of_many_containers_of_one_class_is_not_read_on():
    # 150 teaser containers of the article's class, no headings between them: a listing, not chunks.
    teasers = "".join(f'<div class="c"><p>{paragraph} Item {n}.</p></div>' for n, paragraph in enumerate(CHUNKED * 20))
    markup = '<html><body><div class="c">' + "".join(f"<p>{p}</p>" for p in CHUNKED[:3]) + "</div>" + teasers + "</body></html>"
    tree = lxml.html.fromstring(markup)
    text = "\n".join(CHUNKED[:3])
    assert len(tree.findall(".//div")) > MAX_CHUNKS
    assert read_on(tree, text) == text
