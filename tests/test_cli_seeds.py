"""Acceptance on the two seed articles: `cleaner run seeds/` removes exactly their boilerplate.

One module-scoped run of the real CLI on a copy of ``seeds/`` (cwd = its parent, output with
``-o``) is shared by every test here; a second run to standard output checks that both ways
of writing give the same records.
"""

from __future__ import annotations

import shutil

import pytest

from conftest import (
    SEED_A,
    SEED_B,
    SEED_BOILERPLATE,
    SEEDS_DIR,
    assert_clean_stderr,
    by_id,
    kept_paragraphs,
    norm,
    paragraphs,
    read_jsonl,
    seed_line_number,
)


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory, cli):
    work = tmp_path_factory.mktemp("seeds_run")
    shutil.copytree(SEEDS_DIR, work / "seeds")
    proc = cli("run", "seeds/", "-o", "out.jsonl", cwd=work)
    return work, proc


@pytest.fixture(scope="module")
def records(seeds_run):
    work, proc = seeds_run
    assert proc.returncode == 0, proc.stderr
    return read_jsonl(work / "out.jsonl")


def test_run_succeeds_without_noise(seeds_run):
    work, proc = seeds_run
    assert proc.returncode == 0, proc.stderr
    assert_clean_stderr(proc.stderr)
    assert proc.stdout == "", "with -o FILE nothing goes to stdout"
    assert "2 articles read" in proc.stderr
    assert "0 inputs skipped" in proc.stderr


def test_ids_are_paths_relative_to_the_argument(records):
    assert [r["id"] for r in records] == [SEED_A, SEED_B]


def test_record_shape(records):
    for record in records:
        assert {"id", "text", "removed", "duplicate_of", "story"} <= set(record)
        assert isinstance(record["removed"], list)
        for removal in record["removed"]:
            assert set(removal) == {"line", "rule", "text"}
            assert isinstance(removal["line"], int) and removal["line"] >= 1
            assert isinstance(removal["rule"], str) and isinstance(removal["text"], str)


@pytest.mark.parametrize("name", [SEED_A, SEED_B])
def test_exactly_the_boilerplate_is_removed(records, name):
    removed = by_id(records)[name]["removed"]
    expected = SEED_BOILERPLATE[name]
    assert [r["text"] for r in removed] == [text for text, _ in expected]
    for removal, (text, code) in zip(removed, expected):
        assert removal["rule"].startswith(code), (text, removal["rule"], code)
        # ``line`` is the 1-based line of the (line-preserving) normalised text, i.e. of the seed file.
        assert removal["line"] == seed_line_number(name, text)


@pytest.mark.parametrize("name", [SEED_A, SEED_B])
def test_every_other_paragraph_is_kept_word_for_word(records, name):
    text = by_id(records)[name]["text"]
    assert paragraphs(text) == kept_paragraphs(name)
    for boiler, _ in SEED_BOILERPLATE[name]:
        assert norm(boiler) not in paragraphs(text)


def test_titles_and_subheadings_are_kept(records):
    b = paragraphs(by_id(records)[SEED_B]["text"])
    assert b[0] == "US strikes pro-Iran militias in Iraq, Syria"
    assert "40 attacks against the United States in 2021" in b
    a = paragraphs(by_id(records)[SEED_A]["text"])
    assert a[0].startswith("The US early Monday morning carried out airstrikes")
    assert a[-1].startswith("“The first time he used military force")


def test_seeds_share_one_story_and_are_not_duplicates(records):
    a, b = by_id(records)[SEED_A], by_id(records)[SEED_B]
    assert a["duplicate_of"] is None
    assert b["duplicate_of"] is None
    assert isinstance(a["story"], str) and a["story"]
    assert a["story"] == b["story"]


def test_stdout_output_matches_file_output(seeds_run, cli):
    work, _ = seeds_run
    proc = cli("run", "seeds/", "-q", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", "--quiet prints nothing on stderr"
    assert proc.stdout == (work / "out.jsonl").read_text(encoding="utf-8")
