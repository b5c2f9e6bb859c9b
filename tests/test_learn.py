"""Per-site learning of repeated lines (REP001), `rules learn`, and `--explain`, on a corpus made here.

The corpus: six articles of one site (distinct text, written to read like news), each carrying the
site's own furniture lines that no shipped rule names, plus two articles of another site with
their own lines; a learned line must be removed only for its own site.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import invoke as run_cli

EVENTS = [
    ("Harbour", "The harbour authority opened a second container terminal on Tuesday after three years of construction."),
    ("Council", "The city council voted to extend the night bus network to the northern suburbs from next spring."),
    ("Museum", "The maritime museum reopened its west wing after repairs to a roof damaged in the winter storms."),
    ("Bridge", "Engineers closed the old swing bridge for inspection after cracks were found in two of its supports."),
    ("School", "A new primary school in the eastern district admitted its first two hundred pupils this week."),
    ("Market", "The Saturday fish market moved to the quayside while its hall is rebuilt over the coming year."),
]
SITE_A = ["Port Gazette Morning Digest", "Tip line open around the clock for harbour news"]
SITE_B = ["Valley Courier Weekend Edition"]


def article(title: str, lead: str, extra: list[str]) -> str:
    body = [
        lead,
        f"Officials said the {title.lower()} project had been discussed at length with residents and local businesses before any decision was taken.",
        f"Residents who spoke to reporters said they welcomed the {title.lower()} plans, though several asked for clearer timetables and costs.",
    ]
    return "\n\n".join([title + " plans move ahead", *body, *extra]) + "\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("learn")
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as handle:
        for n, (title, lead) in enumerate(EVENTS):
            record = {"id": f"a{n}", "url": f"https://www.portgazette.example/news/{n}", "text": article(title, lead, SITE_A)}
            handle.write(json.dumps(record) + "\n")
        for n, (title, lead) in enumerate(EVENTS[:2]):
            # The other site's articles also carry one of site A's lines: it must stay there.
            record = {"id": f"b{n}", "url": f"https://valleycourier.example/{n}", "text": article(title, lead.replace("The", "Our"), SITE_B + [SITE_A[0]])}
            handle.write(json.dumps(record) + "\n")
    return folder


def records(stdout: str) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, stdout.splitlines())}


def test_repeated_site_lines_are_learned_and_removed_as_rep001(corpus):
    proc = run_cli("clean", "corpus.jsonl", cwd=corpus)
    assert proc.returncode == 0, proc.stderr
    out = records(proc.stdout)
    for n in range(len(EVENTS)):
        removed = {(r["rule"], r["text"]) for r in out[f"a{n}"]["removed"]}
        assert removed == {("REP001", line) for line in SITE_A}
        assert EVENTS[n][1] in out[f"a{n}"]["text"].split("\n")
    # Site B has two articles: too few to learn from, and site A's lines are not site B's.
    for n in range(2):
        assert out[f"b{n}"]["removed"] == []
        assert SITE_A[0] in out[f"b{n}"]["text"].split("\n")
    assert "learned 2 repeated site lines (REP001)" in proc.stderr


def test_no_learn_keeps_site_lines(corpus):
    proc = run_cli("clean", "corpus.jsonl", "--no-learn", "-q", cwd=corpus)
    assert proc.returncode == 0, proc.stderr
    out = records(proc.stdout)
    assert len(out) == 8 and all(r["removed"] == [] for r in out.values())
    assert all(SITE_A[0] in out[f"a{n}"]["text"].split("\n") for n in range(len(EVENTS)))


def test_small_corpus_does_not_learn_by_default(tmp_path, corpus):
    lines = (corpus / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:4]
    (tmp_path / "small.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_cli("clean", "small.jsonl", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = records(proc.stdout)
    assert len(out) == 4 and all(r["removed"] == [] for r in out.values())


def test_rules_learn_writes_a_pack_that_validates_and_removes_the_lines(corpus, tmp_path):
    proc = run_cli("rules", "learn", str(corpus / "corpus.jsonl"), "-o", "learned.toml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    pack = (tmp_path / "learned.toml").read_text(encoding="utf-8")
    assert pack.count("[[rules]]") == 2
    assert 'sites = ["portgazette.example"]' in pack
    assert "learned 2 line(s) from 1 site(s)" in proc.stderr
    tested = run_cli("rules", "test", "--no-builtin", "--rules", "learned.toml", cwd=tmp_path)
    assert tested.returncode == 0 and "2 rules, 4 examples: all passed" in tested.stdout
    # Kept as a rule pack, the lines go under their own codes even with learning off.
    out = records(run_cli("clean", str(corpus / "corpus.jsonl"), "--no-learn", "--rules", "learned.toml", "-q", cwd=tmp_path).stdout)
    assert {r["rule"] for r in out["a0"]["removed"]} == {"LRN001", "LRN002"}
    assert out["b0"]["removed"] == []


def test_explain_marks_removed_lines_with_rule_and_name(corpus):
    proc = run_cli("clean", "corpus.jsonl", "--explain", "-q", cwd=corpus)
    assert proc.returncode == 0, proc.stderr
    block = proc.stdout.split("== a0\n")[1].split("\n== ")[0]
    assert "- Port Gazette Morning Digest    [REP001]" in block
    assert f"  {EVENTS[0][1]}" in block
