"""Learned site templates (TPL001) in ``check`` and in the corpus index: the index learns a site's
templates when it is built and stores them, and a file of that site checked alone (too few articles to
learn from) is checked against them. The corpus is made here (the site of tests/test_templates.py),
in a real git work tree as the index's own tests make theirs."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import invoke
from test_templates import LEADS, article, corpus_records, furniture

from cleaner.cleaning import Cleaner
from cleaner.config import Config
from cleaner.fingerprints import Fingerprinter
from cleaner.index import CorpusIndex
from cleaner.learned import Learner, SiteLearning, templates_from_json, templates_to_json
from cleaner.rulebook import Rulebook
from cleaner.templates import CODE

SITE = "portgazette.example"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args], cwd=cwd, check=True, capture_output=True)


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _findings(proc) -> list[dict]:
    return [f for f in json.loads(proc.stdout) if f["code"] != "DUP001"]


@pytest.fixture
def indexed(tmp_path, monkeypatch):
    """Seven articles of the site committed in a git work tree, indexed; article 7 is the new one."""
    monkeypatch.chdir(tmp_path)
    _jsonl(tmp_path / "corpus" / "site.jsonl", corpus_records(7))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "corpus")
    text, lines, body = article(7)
    _jsonl(tmp_path / "new.jsonl", [{"id": "n7", "url": f"https://www.{SITE}/news/77", "text": text}])
    config = Config()
    CorpusIndex.rebuild(tmp_path / "index.sqlite", config, ["corpus"], Rulebook.configured(config.strip), root=tmp_path)
    return tmp_path, lines, body


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_index_stores_the_site_templates_run_learns(indexed):
    root, _, _ = indexed
    config = Config()
    with CorpusIndex.open(root / "index.sqlite", config, root=root) as index:
        learned = index.learned_lines()
        stored = dict(index.con.execute("SELECT record, signature FROM docs"))
        raw = index.meta_value("templates")
    assert set(learned) == {SITE} and isinstance(learned[SITE], SiteLearning)
    # the same templates as the learner run uses, learned from the same articles
    learner, cleaner = Learner(config.strip), Cleaner(config)
    for record in corpus_records(7):
        learner.add(SITE, cleaner.normalize(record["text"]).text)
    direct = learner.learned()[SITE]
    assert learned[SITE].templates and {t.shown() for t in learned[SITE].templates.values()} == {t.shown() for t in direct.templates.values()}
    assert templates_from_json(raw)[SITE] == learned[SITE].templates == templates_from_json(templates_to_json({SITE: direct}))[SITE]
    # every indexed article was cleaned with them: its signature is that of the text run writes
    ran = invoke("run", "corpus/site.jsonl", "-q", cwd=root)
    fingerprinter = Fingerprinter(config.duplicates)
    cleaned = {r["id"]: r for r in map(json.loads, ran.stdout.splitlines())}
    assert any(x["rule"] == CODE for r in cleaned.values() for x in r["removed"])
    for doc_id, record in cleaned.items():
        assert stored[doc_id] == fingerprinter.signature(record["text"]).to_bytes()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_check_of_a_new_file_uses_the_templates_the_index_learned(indexed):
    root, lines, body = indexed
    checked = invoke("check", "new.jsonl", "--index", "index.sqlite", "--output-format", "json", cwd=root)
    assert checked.returncode == 1, checked.stderr
    found = [f for f in _findings(checked) if f["code"] == CODE]
    removed_text = " ".join(f["message"] for f in _findings(checked) if f["code"] == CODE)
    # the new article's furniture (a new reporter, desk, section and headlines in the slots) is found
    assert len(found) == len(lines), _findings(checked)
    for line in lines:
        assert line[:40] in removed_text, (line, removed_text)
    assert not any(b[:40] in removed_text for b in body)
    # alone, one article teaches nothing: no template finding without the index
    alone = invoke("check", "new.jsonl", "--no-index", "--output-format", "json", cwd=root)
    assert not [f for f in _findings(alone) if f["code"] == CODE]
    # --fix with the index removes the furniture, keeps the body, and a second --fix changes nothing
    fixed = invoke("check", "new.jsonl", "--index", "index.sqlite", "--fix", "--exit-non-zero-on-fix", "-q", cwd=root)
    assert fixed.returncode == 1, fixed.stderr
    text = json.loads((root / "new.jsonl").read_text(encoding="utf-8"))["text"]
    assert all(b in text for b in body) and not any(line in text for line in lines)
    again = invoke("check", "new.jsonl", "--index", "index.sqlite", "--fix", "--exit-non-zero-on-fix", "-q", cwd=root)
    assert again.returncode == 0 and json.loads((root / "new.jsonl").read_text(encoding="utf-8"))["text"] == text


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_an_index_without_stored_templates_is_refused_with_the_rebuild_hint(indexed):
    root, _, _ = indexed
    con = sqlite3.connect(root / "index.sqlite")
    con.execute("PRAGMA user_version = 3")  # the version before templates were stored
    con.close()
    proc = invoke("check", "new.jsonl", "--index", "index.sqlite", cwd=root)
    assert proc.returncode == 2 and "schema version 3" in proc.stderr and "cleaner index build" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_without_an_index_learns_templates_from_the_checked_files(tmp_path):
    _jsonl(tmp_path / "site.jsonl", corpus_records(8))
    checked = invoke("check", "site.jsonl", "--no-index", "--output-format", "json", cwd=tmp_path)
    assert checked.returncode == 1, checked.stderr
    codes = {(f["record"], f["code"]) for f in _findings(checked)}
    assert ("a0", CODE) in codes and ("a7", CODE) in codes
    # the same lines run removes as TPL001
    ran = invoke("run", "site.jsonl", "-q", cwd=tmp_path)
    by_run = {(r["id"], x["line"]) for r in map(json.loads, ran.stdout.splitlines()) for x in r["removed"] if x["rule"] == CODE}
    by_check = {(f["record"], int(f["message"].split(" line ")[1].split(":")[0])) for f in _findings(checked) if f["code"] == CODE}
    assert by_check == by_run
    fixed = invoke("check", "site.jsonl", "--no-index", "--fix", "--exit-non-zero-on-fix", "-q", cwd=tmp_path)
    assert fixed.returncode == 1
    again = invoke("check", "site.jsonl", "--no-index", "--fix", "--exit-non-zero-on-fix", "-q", cwd=tmp_path)
    assert again.returncode == 0, again.stdout
    texts = {r["id"]: r["text"] for r in map(json.loads, (tmp_path / "site.jsonl").read_text(encoding="utf-8").splitlines())}
    assert LEADS[0] in texts["a0"] and furniture(0)[1][0] not in texts["a0"]


def test_the_templates_setting_turns_the_template_learner_off(tmp_path):
    _jsonl(tmp_path / "site.jsonl", corpus_records(8))
    (tmp_path / "cleaner.toml").write_text("templates = false\n", encoding="utf-8")
    checked = invoke("check", "site.jsonl", "--no-index", "--output-format", "json", cwd=tmp_path)
    assert not [f for f in _findings(checked) if f["code"] == CODE]
    (tmp_path / "cleaner.toml").write_text('templates = "no"\n', encoding="utf-8")
    bad = invoke("check", "site.jsonl", "--no-index", cwd=tmp_path)
    assert bad.returncode == 2 and 'templates = "no": must be true or false' in bad.stderr, bad.stderr


def test_the_templates_setting_turns_the_learner_off_in_run(tmp_path):
    """``templates = false`` in the configuration: run learns exact lines only (no TPL001)."""
    from cleaner import Config, Document, Pipeline
    from cleaner.config import StripConfig

    docs = []
    for i in range(8):
        body = f"Article {i} reports on the council budget vote held this week, with several quotes from members. " * 2
        docs.append(Document(id=f"a{i}", text=f"By Reporter{i} Name{i}, staff desk {i}\n{body.strip()}\nMore from section {i}: item {i}",
                             fields={"url": f"https://gazette.example/{i}"}))
    on = list(Pipeline(Config()).run(docs))
    off = list(Pipeline(Config(strip=StripConfig(templates=False))).run(docs))
    codes_on = {r.rule for d in on for r in d.removed}
    codes_off = {r.rule for d in off for r in d.removed}
    assert "TPL001" in codes_on
    assert "TPL001" not in codes_off
