"""Inputs and outputs: .txt/.md, .html, .jsonl(.gz), folders, stdin; -o FILE and -o DIR/ (web pages in detail:
test_pages.py; CSV, Parquet and other tools' records: test_tabular.py)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess

import pytest

from conftest import (
    SEED_A,
    SEED_B,
    SEEDS_DIR,
    UNRELATED_TXT,
    assert_clean_stderr,
    by_id,
    invoke,
    kept_paragraphs,
    paragraphs,
    read_jsonl,
    run_cli,
    seed_text,
)

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>  Central bank raises rates | The Daily Example </title>
<style>body { color: red; } .style-text-marker {}</style>
<script>var scriptTextMarker = "do not keep";</script>
</head>
<body>
<header><div class="logo">Header text marker</div></header>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">Navigation text marker</a></li></ul></nav>
<main><article>
<h1>Central bank raises rates again</h1>
<p>The central bank raised its policy rate by a quarter point on Thursday, the fourth rise this year.</p>
<p>Governor Ida Wolden Bache said inflation <em>remained</em> too high &amp; wages were rising fast.</p>
<ul><li>Policy rate: 4.25 percent</li><li>Next meeting: September 21</li></ul>
<aside>Aside text marker</aside>
<form><label>Form text marker</label><input type="email"></form>
</article></main>
<footer>Footer text marker</footer>
<script>console.log("late script text marker")</script>
</body></html>
"""
PAGE_LINES = [  # as trafilatura extracts the article (list items marked "- ")
    "Central bank raises rates again",
    "The central bank raised its policy rate by a quarter point on Thursday, the fourth rise this year.",
    "Governor Ida Wolden Bache said inflation remained too high & wages were rising fast.",
    "- Policy rate: 4.25 percent",
    "- Next meeting: September 21",
]

# Records with every kind of extra field: all must come out unchanged.
EXTRA = {
    "url": "https://www.example.com/world/2021/06/28/strikes",
    "date": "2021-06-28",
    "title": "US strikes pro-Iran militias in Iraq, Syria",
    "meta": {"section": "world", "tags": ["iran", "iraq"], "score": 0.75},
    "words": 612,
    "paywalled": False,
    "summary": None,
    "lede": "Ünïcödé “quotes” stay as they are",
}
TREE_IDS = ["a/page.html", "a/sub/x.txt", "b/z.md", "c.txt"]


def make_tree(root):
    (root / "a" / "sub").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "a" / ".hidden").mkdir()
    shutil.copy(SEEDS_DIR / SEED_A, root / "a" / "sub" / "x.txt")
    shutil.copy(SEEDS_DIR / SEED_B, root / "b" / "z.md")
    shutil.copy(UNRELATED_TXT, root / "c.txt")
    (root / "a" / "page.html").write_text(PAGE, encoding="utf-8")
    (root / "a" / ".hidden" / "secret.txt").write_text("Hidden folders are skipped.\n", encoding="utf-8")
    (root / ".dotfile.txt").write_text("Hidden files are skipped.\n", encoding="utf-8")
    (root / "notes.rst").write_text("Files of other types are skipped in folders.\n", encoding="utf-8")
    (root / "b" / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")


def records_for_jsonl():
    return [
        {"id": "r1", "text": seed_text(SEED_B), **EXTRA},
        {"id": 2, "text": "A short record with an integer id.", "site": "example.org"},
    ]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    work = tmp_path_factory.mktemp("inputs")
    make_tree(work / "tree")
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records_for_jsonl())
    (work / "records.jsonl").write_text(lines, encoding="utf-8")
    gz_records = [{"id": "g1", "text": seed_text(SEED_A), "source": "gzip"}]
    (work / "more.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in gz_records).encode()))
    return work


@pytest.fixture(scope="module")
def jsonl_out(work, cli):
    proc = cli("clean", "tree", "records.jsonl", "more.jsonl.gz", "-o", "out.jsonl", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert_clean_stderr(proc.stderr)
    assert proc.stdout == ""
    return read_jsonl(work / "out.jsonl")


def test_folders_walked_recursively_in_sorted_order_then_files(jsonl_out):
    assert [r["id"] for r in jsonl_out] == TREE_IDS + ["r1", "2", "g1"]


def test_text_and_markdown_files_are_cleaned(jsonl_out):
    records = by_id(jsonl_out)
    assert paragraphs(records["a/sub/x.txt"]["text"]) == kept_paragraphs(SEED_A)
    assert paragraphs(records["b/z.md"]["text"]) == kept_paragraphs(SEED_B)
    assert paragraphs(records["c.txt"]["text"]) == paragraphs(UNRELATED_TXT.read_text(encoding="utf-8"))
    assert records["c.txt"]["removed"] == []


def test_html_page_becomes_lines_and_title(jsonl_out):
    record = by_id(jsonl_out)["a/page.html"]
    assert record["title"] == "Central bank raises rates | The Daily Example"
    assert record["text"].split("\n") == PAGE_LINES
    assert "marker" not in record["text"].lower(), "script, style, header, nav, aside, form controls, footer dropped"


def test_html_source_line_breaks_inside_a_paragraph_are_spaces(tmp_path, cli):
    wrapped = PAGE.replace("too high &amp; wages were rising fast.", "too high &amp;\n    wages were\n    rising fast.")
    assert wrapped != PAGE
    (tmp_path / "wrapped.html").write_text(wrapped, encoding="utf-8")
    proc = cli("clean", "wrapped.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert read_jsonl(proc.stdout)[0]["text"].split("\n") == PAGE_LINES


def test_jsonl_fields_are_carried_through_unchanged(jsonl_out):
    record = by_id(jsonl_out)["r1"]
    for key, value in EXTRA.items():
        assert record[key] == value, key
    assert paragraphs(record["text"]) == kept_paragraphs(SEED_B)
    assert [r["text"] for r in record["removed"]] == [
        "Leave a Comment",
        "This site uses Akismet to reduce spam. Learn how your comment data is processed.",
    ]
    other = by_id(jsonl_out)["2"]
    assert other["site"] == "example.org"
    assert other["text"] == "A short record with an integer id."


def test_gzipped_jsonl_is_read(jsonl_out):
    record = by_id(jsonl_out)["g1"]
    assert record["source"] == "gzip"
    assert paragraphs(record["text"]) == kept_paragraphs(SEED_A)


def test_output_dir_mirrors_the_input_tree(work, cli):
    proc = cli("clean", "tree", "-o", "outdir/", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    out = work / "outdir"
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["a/page.html.txt", "a/sub/x.txt", "b/z.md", "c.txt", "records.jsonl"]
    assert (out / "a" / "sub" / "x.txt").read_text(encoding="utf-8") == "\n\n".join(
        " ".join(p.split()) for p in kept_paragraphs(SEED_A)
    ) + "\n"
    assert (out / "a" / "page.html.txt").read_text(encoding="utf-8") == "\n\n".join(PAGE_LINES) + "\n"
    assert "Leave a Comment" not in (out / "b" / "z.md").read_text(encoding="utf-8")
    assert (work / "tree" / "a" / "sub" / "x.txt").read_text(encoding="utf-8") == seed_text(SEED_A), "inputs untouched"
    records = read_jsonl(out / "records.jsonl")
    assert [(r["id"], r["file"]) for r in records] == [(i, f) for i, f in zip(TREE_IDS, files)]
    assert all("text" not in r for r in records), "the text is in the files"
    page = by_id(records)["a/page.html"]
    assert page["title"] == "Central bank raises rates | The Daily Example" and page["removed"] == []
    assert [r["text"] for r in by_id(records)["b/z.md"]["removed"]][0] == "Leave a Comment"


def test_output_dir_records_carry_the_groups_and_the_input_fields(tmp_path, cli):
    rows = [{"id": "a", "text": seed_text(SEED_A), "url": "https://www.jewishpress.com/a"}, {"id": "b", "text": seed_text(SEED_A), "section": "world"}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    proc = cli("run", "in.jsonl", "-o", "out/", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = by_id(read_jsonl(tmp_path / "out" / "records.jsonl"))
    assert records["a"]["url"] == rows[0]["url"] and records["b"]["section"] == "world"
    assert records["a"]["duplicate_of"] is None and records["b"]["duplicate_of"] == "a"
    assert records["a"]["story"] == records["b"]["story"]
    assert (records["a"]["file"], records["b"]["file"]) == ("a.txt", "b.txt")


def test_stdin_jsonl(tmp_path, cli):
    data = "".join(json.dumps(r) + "\n" for r in records_for_jsonl()).encode()
    proc = cli("run", "-", cwd=tmp_path, input=data)
    assert proc.returncode == 0, proc.stderr
    records = read_jsonl(proc.stdout)
    assert [r["id"] for r in records] == ["r1", "2"]
    assert records[0]["meta"] == EXTRA["meta"]
    assert "Leave a Comment" not in records[0]["text"]
    assert {"removed", "duplicate_of", "story"} <= set(records[0])


def test_id_and_text_field_mapping(tmp_path, cli):
    rows = [
        {"doc_id": "m1", "body": seed_text(SEED_A), "url": "https://www.jewishpress.com/news/x"},
        {"doc_id": "m2", "body": "Second mapped record, plain text."},
    ]
    (tmp_path / "mapped.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    unmapped = cli("clean", "mapped.jsonl", cwd=tmp_path)
    assert unmapped.returncode == 1
    assert "mapped.jsonl:1: missing required field 'text' (map another field with --text-field)" in unmapped.stderr
    proc = cli("clean", "mapped.jsonl", "--id-field", "doc_id", "--text-field", "body", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = read_jsonl(proc.stdout)
    assert [r["doc_id"] for r in records] == ["m1", "m2"], "written back under the user's own names"
    assert not {"id", "text"} & set(records[0])
    assert paragraphs(records[0]["body"]) == kept_paragraphs(SEED_A)
    assert records[0]["url"] == rows[0]["url"]
    assert records[1]["body"] == "Second mapped record, plain text."


def test_missing_path_and_unsupported_file_given_explicitly(tmp_path, cli):
    (tmp_path / "notes.rst").write_text("Not an article format.\n", encoding="utf-8")
    shutil.copy(UNRELATED_TXT, tmp_path / "good.txt")
    proc = cli("clean", "good.txt", "nope.txt", "notes.rst", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 1
    assert_clean_stderr(proc.stderr)
    assert "nope.txt: no such file or directory" in proc.stderr
    assert "notes.rst: unsupported file type" in proc.stderr
    assert [r["id"] for r in read_jsonl(tmp_path / "out.jsonl")] == ["good.txt"]


# ---------------------------------------------------------------- what a folder walk reads


def make_files(root, names):
    """Each relative name as a small article (a different sentence each, so none is a duplicate)."""
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"This short article lives at {name} and says so in a sentence of its own.\n", encoding="utf-8")


def walked_ids(proc, out) -> list[str]:
    assert proc.returncode == 0, proc.stderr
    assert "error" not in proc.stderr
    return [r["id"] for r in read_jsonl(out)]


def test_folder_walk_skips_environments_version_control_and_caches(tmp_path):
    corpus = tmp_path / "corpus"
    make_files(corpus, [
        "a.txt",
        "sub/b.md",
        "venv/lib/python3.11/site-packages/pkg/README.md",
        "tools-env/notes.txt",
        "node_modules/left-pad/README.md",
        "sub/__pycache__/cache.txt",
        ".git/description.txt",
        "sub/.hg/x.txt",
        ".svn/y.txt",
    ])
    (corpus / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    (corpus / "tools-env" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    proc = invoke("run", "corpus", "-o", "out.jsonl", cwd=tmp_path)
    assert walked_ids(proc, tmp_path / "out.jsonl") == ["a.txt", "sub/b.md"]
    named = "corpus/venv/lib/python3.11/site-packages/pkg/README.md"
    proc = invoke("clean", "corpus", named, "-o", "named.jsonl", cwd=tmp_path)
    assert walked_ids(proc, tmp_path / "named.jsonl") == ["a.txt", "sub/b.md", named], "a file named on the command line is read"


IGNORED_TREE = ["a.txt", "drafts/d1.txt", "x.tmp.txt", "sub/y.tmp.txt", "sub/secret.txt", "sub/kept.txt", "tracked.tmp.txt"]


def make_ignored_tree(repo):
    make_files(repo / "corpus", IGNORED_TREE)
    (repo / ".gitignore").write_text("drafts/\n*.tmp.txt\n", encoding="utf-8")
    (repo / "corpus" / "sub" / ".gitignore").write_text("secret.txt\n", encoding="utf-8")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_folder_walk_respects_gitignore_inside_a_git_work_tree(tmp_path):
    repo = tmp_path / "repo"
    make_ignored_tree(repo)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "-f", "corpus/tracked.tmp.txt"], check=True)
    expected = ["a.txt", "sub/kept.txt", "tracked.tmp.txt"]  # git reads a tracked file whatever .gitignore says
    proc = invoke("run", "corpus", "-o", "out.jsonl", cwd=repo)
    assert walked_ids(proc, repo / "out.jsonl") == expected
    proc = invoke("dedup", "repo/corpus", "-o", "from_outside.jsonl", cwd=tmp_path)
    assert walked_ids(proc, tmp_path / "from_outside.jsonl") == expected, "the folder's repository decides, not the working directory"
    proc = invoke("clean", "corpus", "corpus/x.tmp.txt", "-o", "named.jsonl", cwd=repo)
    assert walked_ids(proc, repo / "named.jsonl") == expected + ["corpus/x.tmp.txt"], "a file named on the command line is read"


def test_gitignore_means_nothing_outside_git(tmp_path):
    make_ignored_tree(tmp_path)
    proc = invoke("run", "corpus", "-o", "out.jsonl", cwd=tmp_path)
    assert walked_ids(proc, tmp_path / "out.jsonl") == sorted(IGNORED_TREE)


def test_exclude_globs_from_the_command_line_and_the_configuration(tmp_path):
    corpus = tmp_path / "corpus"
    make_files(corpus, ["2019/a.txt", "2019/b.txt", "drafts/d.txt", "sub/drafts/e.txt", "sub/drafts.txt", "keep.txt", "x.draft.txt", "sub/y.draft.txt"])
    (tmp_path / "cleaner.toml").write_text('exclude = ["*.draft.txt"]\n', encoding="utf-8")
    args = ["corpus", "--exclude", "drafts/", "--exclude", "2019/a*", "corpus/x.draft.txt", "-o"]
    proc = invoke("run", *args, "out.jsonl", cwd=tmp_path)
    # drafts/ is for folders only (sub/drafts.txt stays); the config's glob matches names at any depth.
    expected = ["2019/b.txt", "keep.txt", "sub/drafts.txt", "corpus/x.draft.txt"]
    assert walked_ids(proc, tmp_path / "out.jsonl") == expected
    proc = invoke("dedup", *args, "dedup.jsonl", cwd=tmp_path)
    assert walked_ids(proc, tmp_path / "dedup.jsonl") == expected
    anchored = invoke("clean", "corpus", "--exclude", "/sub/*", "--exclude", "**/2019", "-o", "anchored.jsonl", cwd=tmp_path)
    assert walked_ids(anchored, tmp_path / "anchored.jsonl") == ["drafts/d.txt", "keep.txt"]


def test_symlinked_folders_are_followed_once_and_loops_end(tmp_path):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    make_files(corpus, ["real/x.txt"])
    make_files(outside, ["y.txt"])
    os.symlink("real", corpus / "zz-link")  # inside the folder: x.txt is read once, under its own path
    os.symlink("..", corpus / "real" / "loop")  # a loop back to the folder walked
    os.symlink("../outside", corpus / "ext")  # elsewhere: followed
    os.symlink("../corpus", outside / "back")  # elsewhere, and back in
    os.symlink(".", outside / "self")  # a loop outside
    proc = run_cli("run", "corpus", "-o", "out.jsonl", cwd=tmp_path, timeout=60)
    assert_clean_stderr(proc.stderr)
    assert walked_ids(proc, tmp_path / "out.jsonl") == ["ext/y.txt", "real/x.txt"]
