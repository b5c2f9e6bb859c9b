"""One definition of "cleaned": run, check and the corpus index remove the same lines, including the
lines each site repeats (REP001) learned from the corpus."""

from __future__ import annotations

import json


from cleaner.cleaning import Cleaner
from cleaner.config import Config
from cleaner.fingerprints import Fingerprinter
from cleaner.index import CorpusIndex
from cleaner.rulebook import Rulebook
from conftest import invoke
from test_learn import EVENTS, SITE_A, article

SITE = "https://www.portgazette.example/news/{}"


def corpus(folder):
    """Six articles of one site as JSONL, each carrying the site's furniture lines (no rule names them)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as handle:
        for n, (title, lead) in enumerate(EVENTS):
            handle.write(json.dumps({"id": f"a{n}", "url": SITE.format(n), "text": article(title, lead, SITE_A)}) + "\n")
    return folder / "corpus.jsonl"


def test_run_and_check_remove_the_same_learned_site_lines(tmp_path):
    path = corpus(tmp_path)
    ran = invoke("run", "corpus.jsonl", "-q", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    removed_by_run = {(r["id"], x["line"], x["rule"]) for r in map(json.loads, ran.stdout.splitlines()) for x in r["removed"]}
    assert {code for _, _, code in removed_by_run} == {"REP001"} and len(removed_by_run) == 2 * len(EVENTS)
    checked = invoke("check", "corpus.jsonl", "--no-index", "--output-format", "json", cwd=tmp_path)
    assert checked.returncode == 1, checked.stderr
    findings = json.loads(checked.stdout)
    # check names the record and the line inside its text: "record 'a0' line 9: ..."
    found = {(f["record"], int(f["message"].split(" line ")[1].split(":")[0]), f["code"]) for f in findings if f["code"] != "DUP001"}
    assert found == removed_by_run
    assert path.read_text(encoding="utf-8").count(SITE_A[0]) == len(EVENTS)  # check alone changes nothing


def test_the_index_cleans_with_the_learned_lines_and_check_uses_them(tmp_path):
    path = corpus(tmp_path / "corpus")
    config = Config()
    rulebook = Rulebook.configured(config.strip)
    ran = invoke("run", str(path), "-q", cwd=tmp_path)
    cleaned = {r["id"]: r["text"] for r in map(json.loads, ran.stdout.splitlines())}
    assert all(SITE_A[0] not in text for text in cleaned.values())
    index_path = tmp_path / "index.sqlite"
    CorpusIndex.rebuild(index_path, config, [str(path)], rulebook, root=tmp_path)
    fingerprinter = Fingerprinter(config.duplicates)
    with CorpusIndex.open(index_path, config, root=tmp_path) as index:
        learned = index.learned_lines()
        stored = dict(index.con.execute("SELECT record, signature FROM docs"))
        # the index learned what run learned, and stores signatures of the text run writes
        assert learned.keys() == {"portgazette.example"} and len(learned["portgazette.example"]) == len(SITE_A)
        for doc_id, text in cleaned.items():
            assert stored[doc_id] == fingerprinter.signature(text).to_bytes()
    # A new article of that site, checked alone (too few articles to learn from), against the index:
    new = tmp_path / "new.jsonl"
    new.write_text(json.dumps({"id": "n1", "url": SITE.format(99), "text": article("Ferry", "The ferry timetable changes on Monday as the winter service begins.", SITE_A)}) + "\n", encoding="utf-8")
    checked = invoke("check", "new.jsonl", "--index", str(index_path), "--output-format", "json", cwd=tmp_path)
    assert [f["code"] for f in json.loads(checked.stdout) if f["code"] != "DUP001"] == ["REP001"] * len(SITE_A), checked.stdout
    alone = invoke("check", "new.jsonl", "--no-index", "-q", cwd=tmp_path)
    assert alone.returncode == 0 and alone.stdout == ""  # without the index nothing tells these lines apart
    # the same Cleaner, given the index's lines, removes exactly those lines
    text = json.loads(new.read_text(encoding="utf-8"))["text"]
    assert [r.text for r in Cleaner(config, rulebook, learned).clean(text, "portgazette.example").removed] == SITE_A
