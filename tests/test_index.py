"""The persistent corpus index: build, update, queries, safety (versions, two writers, SIGKILL)."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import invoke

from cleaner.check import check_paths
from cleaner.config import Config
from cleaner.documents import Document
from cleaner.index import SCHEMA_VERSION, CorpusIndex, CorpusIndexError, band_keys, band_params
from cleaner.pipeline import Pipeline
from cleaner.rulebook import Rulebook
from cleaner.stories import story_id

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
CONFIG = Config()
RULEBOOK = Rulebook.load(CONFIG.strip.rules, builtin=CONFIG.strip.builtin_rules)
_RNG = random.Random(5)
VOCABULARY = sorted({"".join(_RNG.choice("bcdfghklmnprstvz") + _RNG.choice("aeiou") for _ in range(_RNG.randint(2, 4))) for _ in range(4000)})


def article(seed: int, words: int = 240) -> str:
    """A distinct synthetic article: paragraphs of pseudo-words, deterministic per seed."""
    rng = random.Random(seed)
    body = [rng.choice(VOCABULARY) for _ in range(words)]
    return "\n\n".join(" ".join(body[i : i + 60]).capitalize() + "." for i in range(0, words, 60)) + "\n"


def near_copy(text: str) -> str:
    """The same article with a sentence added: Jaccard well above the 0.7 threshold."""
    return text + "\nOne more closing sentence was added by the editor.\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    """40 articles in tmp_path/corpus (c005 copies c003, c006 copies c005), cwd = tmp_path (the root)."""
    monkeypatch.chdir(tmp_path)
    for n in range(40):
        write(tmp_path / "corpus" / f"c{n:03d}.txt", article(n))
    write(tmp_path / "corpus" / "c005.txt", near_copy(article(3)))
    write(tmp_path / "corpus" / "c006.txt", near_copy(near_copy(article(3))))
    return tmp_path


def build(root: Path, path: str = "index.sqlite") -> CorpusIndex:
    index = CorpusIndex.create(root / path, CONFIG, ["corpus"], root=root)
    index.build(["corpus"], RULEBOOK)
    return index


def dup_pairs(result) -> set[tuple[str, str]]:
    """(path, the path it duplicates) for every DUP001 finding."""
    out = set()
    for f in result.findings:
        if f.code == "DUP001":
            other = re.search(r"duplicates (?:indexed article )?(\S+):\d+", f.message).group(1)
            out.add((Path(f.path).as_posix(), Path(other).as_posix()))
    return out


# ------------------------------------------------------------------ build and queries


def test_build_stores_every_article_with_its_buckets_and_canonicals(corpus):
    with build(corpus) as index:
        stats = index.stats()
        assert (stats["files"], stats["articles"], stats["duplicates"]) == (40, 40, 2)
        bands, rows, lead_bands, lead_rows = band_params(CONFIG)
        assert stats["buckets"] == 40 * (bands + lead_bands) and bands * rows <= CONFIG.duplicates.num_perm
        assert lead_bands * lead_rows <= CONFIG.duplicates.lead_size
        canon = dict(index.con.execute("SELECT d.file, c.file FROM docs d JOIN docs c ON c.rowid = d.canonical"))
        assert canon == {"corpus/c005.txt": "corpus/c003.txt", "corpus/c006.txt": "corpus/c003.txt"}
        assert index.con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert index.con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert stats["terms"] > 1000 and int(index.meta_value("df_docs")) == 40


def test_band_keys_are_stable_and_per_band(corpus):
    from cleaner.fingerprints import Fingerprinter

    from cleaner.fingerprints import Fingerprint

    sig = Fingerprinter(CONFIG.duplicates).signature(article(1))
    keys = band_keys(sig, 25, 5, 8, 4)
    again = band_keys(Fingerprint.from_bytes(sig.to_bytes()), 25, 5, 8, 4)
    assert keys == again and [b for b, _ in keys] == list(range(33))  # the lead's bands follow
    assert len({h for _, h in keys}) == 33


def test_match_finds_the_indexed_canonical_and_skips_the_file_itself(corpus):
    from cleaner.fingerprints import Fingerprinter

    fp = Fingerprinter(CONFIG.duplicates)
    with build(corpus) as index:
        hit = index.match(fp.signature(near_copy(article(7))), path="new.txt")
        assert (hit.id, hit.path) == ("corpus/c007.txt", "corpus/c007.txt") and hit.score > 0.9
        assert index.match(fp.signature(article(7)), path="corpus/c007.txt") is None  # not its own duplicate
        assert index.match(fp.signature(article(7)), path=str(corpus / "corpus" / "c007.txt")) is None  # any spelling
        assert index.match(fp.signature(article(999)), path="new.txt") is None
        # c005 is itself a copy of c003: a copy of it is reported against the canonical c003
        assert index.match(fp.signature(near_copy(article(3))), path="new.txt").path == "corpus/c003.txt"


def test_check_with_the_index_equals_an_index_free_run_over_the_whole_corpus(corpus):
    write(corpus / "new" / "n1.txt", near_copy(article(10)))  # copy of an indexed article
    write(corpus / "new" / "n2.txt", near_copy(near_copy(near_copy(article(3)))))  # copy of a copy
    write(corpus / "new" / "n3.txt", article(500))  # new
    write(corpus / "new" / "n4.txt", near_copy(article(500)))  # copy of another new one
    write(corpus / "new" / "n5.txt", article(501) + "\nLeave a Comment\n")  # new, with boilerplate
    write(corpus / "new" / "n6.txt", near_copy(near_copy(article(10))))  # copy of n1 and of c010
    new = [f"new/n{n}.txt" for n in range(1, 7)]
    full = check_paths(["corpus", *new], CONFIG, RULEBOOK)
    expected = {pair for pair in dup_pairs(full) if pair[0].startswith("new/")}
    with build(corpus) as index:
        indexed = check_paths(new, CONFIG, RULEBOOK, index=index)
    assert dup_pairs(indexed) == expected
    assert expected == {("new/n1.txt", "corpus/c010.txt"), ("new/n2.txt", "corpus/c003.txt"),
                        ("new/n4.txt", "new/n3.txt"), ("new/n6.txt", "corpus/c010.txt")}
    assert [f.code for f in indexed.findings if f.path == "new/n5.txt"] == ["COM001"]


def test_a_changed_indexed_file_is_compared_with_the_others_not_its_old_self(corpus):
    with build(corpus) as index:
        assert check_paths(["corpus/c007.txt"], CONFIG, RULEBOOK, index=index).findings == []
        write(corpus / "corpus" / "c007.txt", near_copy(article(8)))  # now a copy of c008
        result = check_paths(["corpus/c007.txt"], CONFIG, RULEBOOK, index=index)
        assert dup_pairs(result) == {("corpus/c007.txt", "corpus/c008.txt")}
        # c006 is indexed as a copy of c003: staged, it is still reported against c003, not itself
        assert dup_pairs(check_paths(["corpus/c006.txt"], CONFIG, RULEBOOK, index=index)) == {("corpus/c006.txt", "corpus/c003.txt")}


def test_pipeline_dedup_marks_copies_of_indexed_articles(corpus):
    with build(corpus) as index:
        docs = [Document("x", near_copy(article(12))), Document("y", article(600)), Document("z", near_copy(article(600)))]
        grouped = list(Pipeline(CONFIG, RULEBOOK, index=index).dedup(docs))
    assert {d.id: d.duplicate_of for d in grouped} == {"x": "corpus/c012.txt", "y": None, "z": "y"}
    story = {d.id: d.story for d in grouped}
    assert story["x"] == story_id("corpus/c012.txt")  # the story its indexed original starts
    assert story["z"] == story["y"] != story["x"]


def test_report_stories_names_the_story_a_new_article_joins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "corpus" / "seed.txt", SEEDS[0].read_text(encoding="utf-8"))
    for n in range(8):
        write(tmp_path / "corpus" / f"other{n}.txt", article(n))
    staged = write(tmp_path / "staged.txt", SEEDS[1].read_text(encoding="utf-8"))
    with build(tmp_path) as index:
        index.report_stories = True
        result = check_paths([staged.name], CONFIG, RULEBOOK, index=index, fix=True)
    stories = [f for f in result.findings if f.code == "STY001"]
    assert len(stories) == 1 and "corpus/seed.txt" in stories[0].message and not stories[0].fixable
    assert result.exit_code == 0  # informational only (the boilerplate was fixed)


# ------------------------------------------------------------------ update


def test_update_rehashes_only_changed_files_and_drops_deleted_ones(corpus):
    with build(corpus) as index:
        stats = index.update(None, RULEBOOK)
        assert (stats.files_seen, stats.files_hashed, stats.files_changed) == (40, 0, 0)
        write(corpus / "corpus" / "c010.txt", article(700))
        os.utime(corpus / "corpus" / "c011.txt", ns=(1, 1))  # touched, same content
        (corpus / "corpus" / "c003.txt").unlink()  # the canonical of c005 and c006
        stats = index.update(None, RULEBOOK)
        assert (stats.files_hashed, stats.files_changed, stats.files_removed) == (2, 1, 1)
        assert (stats.docs_added, stats.docs_removed) == (1, 2)
        assert index.update(None, RULEBOOK).files_hashed == 0  # the touched file's new mtime was recorded
        canon = dict(index.con.execute("SELECT d.file, c.file FROM docs d JOIN docs c ON c.rowid = d.canonical"))
        assert canon == {"corpus/c006.txt": "corpus/c005.txt"}  # the earliest remaining copy took over
        from cleaner.fingerprints import Fingerprinter

        fp = Fingerprinter(CONFIG.duplicates)
        assert index.match(fp.signature(article(700)), path="x.txt").path == "corpus/c010.txt"
        assert index.match(fp.signature(article(10)), path="x.txt") is None
        assert int(index.meta_value("df_docs")) == 39


# ------------------------------------------------------------------ safety


def test_an_index_of_another_version_is_refused_with_a_rebuild_hint(corpus):
    build(corpus).close()
    con = sqlite3.connect(corpus / "index.sqlite")
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(CorpusIndexError, match=r"schema version 99.*rebuild it with `cleaner index build"):
        CorpusIndex.open(corpus / "index.sqlite", CONFIG, root=corpus)


def test_an_index_made_with_other_settings_is_refused(corpus):
    build(corpus).close()
    other = CONFIG.replace(duplicates={"num_perm": 64})
    with pytest.raises(CorpusIndexError, match=r"num_perm.*rebuild"):
        CorpusIndex.open(corpus / "index.sqlite", other, root=corpus)


def test_not_an_index_is_refused(tmp_path):
    write(tmp_path / "junk.sqlite", "not a database at all " * 100)
    with pytest.raises(CorpusIndexError, match="rebuild"):
        CorpusIndex.open(tmp_path / "junk.sqlite", CONFIG, root=tmp_path)
    with pytest.raises(CorpusIndexError, match="cleaner index build"):
        CorpusIndex.open(tmp_path / "missing.sqlite", CONFIG, root=tmp_path)


def _cleaner(args: list[str], cwd: Path, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "cleaner", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def _consistent(index: CorpusIndex) -> None:
    """Integrity, and every article's buckets and DF agree with its rows."""
    con = index.con
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    docs = con.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
    assert con.execute("SELECT COUNT(*) FROM buckets").fetchone()[0] == docs * (index.bands + index.lead_bands)
    assert con.execute("SELECT COUNT(*) FROM docs d LEFT JOIN files f ON f.path = d.file WHERE f.path IS NULL").fetchone()[0] == 0
    assert con.execute("SELECT COUNT(*) FROM (SELECT file FROM docs GROUP BY file HAVING COUNT(*) > 1)").fetchone()[0] == 0
    assert int(index.meta_value("df_docs")) == docs


def test_two_writers_updating_at_once_leave_a_consistent_index(corpus):
    build(corpus).close()
    for n in range(40):
        write(corpus / "corpus" / f"c{n:03d}.txt", article(1000 + n))
    writers = [_cleaner(["index", "update", "--index", "index.sqlite", "-q"], corpus) for _ in range(2)]
    for w in writers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    with CorpusIndex.open(corpus / "index.sqlite", CONFIG, root=corpus) as index:
        _consistent(index)
        assert index.stats()["articles"] == 40
        from cleaner.fingerprints import Fingerprinter

        assert index.match(Fingerprinter(CONFIG.duplicates).signature(article(1017)), path="x.txt").path == "corpus/c017.txt"


def test_an_update_killed_midway_leaves_an_index_that_opens_answers_and_catches_up(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for n in range(700):
        write(tmp_path / "corpus" / f"c{n:03d}.txt", article(n, 120))
    build(tmp_path).close()
    for n in range(700):
        write(tmp_path / "corpus" / f"c{n:03d}.txt", article(5000 + n, 120))
    proc = _cleaner(["index", "update", "--index", "index.sqlite", "-q"], tmp_path)
    con = sqlite3.connect(tmp_path / "index.sqlite", timeout=30)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:  # wait for the first committed batch
        if con.execute("SELECT COUNT(*) FROM docs WHERE rowid > 700").fetchone()[0]:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the update finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    con.close()
    with CorpusIndex.open(tmp_path / "index.sqlite", CONFIG, root=tmp_path) as index:
        _consistent(index)
        from cleaner.fingerprints import Fingerprinter

        fp = Fingerprinter(CONFIG.duplicates)
        renewed = index.con.execute("SELECT COUNT(*) FROM docs WHERE rowid > 700").fetchone()[0]
        assert 0 < renewed < 700
        assert index.match(fp.signature(article(5000, 120)), path="x.txt").path == "corpus/c000.txt"  # in the first batch
        stats = index.update(None, RULEBOOK)
        assert stats.files_changed == 700 - renewed
        _consistent(index)
        assert index.match(fp.signature(article(5699, 120)), path="x.txt").path == "corpus/c699.txt"


# ------------------------------------------------------------------ CLI


def _invoke(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """The CLI in this process (:func:`conftest.invoke`): for tests of what it answers, not of the process."""
    return invoke(*args, cwd=cwd)


def test_cli_build_stats_update_and_check(corpus):
    built = _invoke(["index", "build", "corpus"], corpus)
    assert built.returncode == 0, built.stderr
    assert (corpus / ".cleaner" / "index.sqlite").is_file() and "40 articles indexed" in built.stderr
    stats = json.loads(_invoke(["index", "stats", "--json"], corpus).stdout)
    assert (stats["articles"], stats["duplicates"], stats["paths"]) == (40, 2, ["corpus"])
    assert "40 articles" in _invoke(["index", "stats"], corpus).stdout
    write(corpus / "n1.txt", near_copy(article(20)))
    write(corpus / "n2.txt", article(800))
    checked = _invoke(["check", "n1.txt", "n2.txt"], corpus)  # the default index is used when it exists
    assert checked.returncode == 1
    assert checked.stdout == (
        "n1.txt:1: DUP001 duplicates indexed article corpus/c020.txt:1 (similarity 0.96); remove one of the copies [no automatic fix]\n"
    )
    github = _invoke(["check", "--output-format", "github", "n1.txt"], corpus).stdout
    assert github.startswith("::error file=n1.txt,line=1,title=DUP001 duplicate-article::duplicates indexed article corpus/c020.txt")
    as_json = json.loads(_invoke(["check", "--output-format", "json", "n1.txt"], corpus).stdout)
    assert as_json[0]["code"] == "DUP001" and "corpus/c020.txt" in as_json[0]["message"]
    assert _invoke(["check", "--no-index", "n1.txt", "n2.txt"], corpus).returncode == 0
    dedup = _invoke(["dedup", "n1.txt", "n2.txt"], corpus)
    assert [json.loads(line)["duplicate_of"] for line in dedup.stdout.splitlines()] == ["corpus/c020.txt", None]
    write(corpus / "corpus" / "c020.txt", article(900))
    assert "1 changed" in _invoke(["index", "update"], corpus).stderr
    assert _invoke(["check", "n1.txt"], corpus).returncode == 0


def test_cli_refuses_a_missing_or_foreign_index_in_one_line(corpus):
    missing = _invoke(["check", "--index", "nope.sqlite", "corpus/c001.txt"], corpus)
    assert missing.returncode == 2 and missing.stderr.startswith("error: nope.sqlite: no index here")
    build(corpus).close()
    con = sqlite3.connect(corpus / "index.sqlite")
    con.execute("PRAGMA user_version = 7")
    con.close()
    foreign = _invoke(["index", "stats", "--index", "index.sqlite"], corpus)
    assert foreign.returncode == 2 and "rebuild it with `cleaner index build" in foreign.stderr
    assert len(foreign.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------ a killed build, a damaged file


def _answers(index: CorpusIndex) -> dict:
    """What an index answers: its counts, every canonical assignment, and a lookup."""
    from cleaner.fingerprints import Fingerprinter

    stats = {k: v for k, v in index.stats().items() if k != "bytes"}
    canon = sorted(index.con.execute("SELECT d.file, c.file FROM docs d LEFT JOIN docs c ON c.rowid = d.canonical"))
    hit = index.match(Fingerprinter(CONFIG.duplicates).signature(near_copy(article(7, 120))), path="x.txt")
    return {"stats": stats, "canonical": canon, "hit": hit and hit.path}


def _partial_docs(folder: Path) -> int:
    """The most articles any index-like database that a process is writing in ``folder`` holds now.

    Only databases with a ``-shm`` file (a connection has them open) are read, read-only, so the
    old index, closed, is never touched.
    """
    most = 0
    for db in folder.iterdir():
        if "index.sqlite" not in db.name or db.name.endswith(("-wal", "-shm", "-journal")) or not Path(f"{db}-shm").exists():
            continue
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
            try:
                most = max(most, con.execute("SELECT COUNT(*) FROM docs").fetchone()[0])
            finally:
                con.close()
        except sqlite3.Error:
            continue
    return most


def test_a_build_killed_midway_leaves_the_old_index_as_it_was(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for n in range(50):
        write(tmp_path / "corpus" / f"c{n:03d}.txt", article(n, 120))
    build(tmp_path).close()
    target = tmp_path / "index.sqlite"
    before = target.read_bytes()
    with CorpusIndex.open(target, CONFIG, root=tmp_path) as index:
        answers = _answers(index)
    assert answers["hit"] == "corpus/c007.txt" and answers["stats"]["articles"] == 50
    for n in range(50, 1200):
        write(tmp_path / "corpus" / f"c{n:04d}.txt", article(n, 120))
    proc = _cleaner(["index", "build", "corpus", "--index", "index.sqlite", "-q"], tmp_path)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and _partial_docs(tmp_path) < 256:
        time.sleep(0.02)  # until the new index has its first committed batch
    assert proc.poll() is None, "the build finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert target.read_bytes() == before, "the old index file was touched"
    assert not Path(f"{target}-wal").exists() and not Path(f"{target}-shm").exists()
    with CorpusIndex.open(target, CONFIG, root=tmp_path) as index:
        assert _answers(index) == answers
        _consistent(index)
    stats = _invoke(["index", "stats", "--index", "index.sqlite", "--json"], tmp_path)
    assert json.loads(stats.stdout)["articles"] == 50  # what commands use is the old index
    abandoned = sorted(p.name for p in tmp_path.glob(".index.sqlite.build-*"))
    assert abandoned and all(f"build-{proc.pid}-" in name for name in abandoned)
    rebuilt = CorpusIndex.rebuild(target, CONFIG, ["corpus"], RULEBOOK, root=tmp_path)
    assert rebuilt.docs_added == 1200
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # the killed build's files are gone
    with CorpusIndex.open(target, CONFIG, root=tmp_path) as index:
        _consistent(index)
        assert index.stats()["articles"] == 1200


def test_create_refuses_to_replace_a_file(corpus):
    build(corpus).close()
    with pytest.raises(CorpusIndexError, match="already there"):
        CorpusIndex.create(corpus / "index.sqlite", CONFIG, ["corpus"], root=corpus)
    with CorpusIndex.open(corpus / "index.sqlite", CONFIG, root=corpus) as index:
        assert index.stats()["articles"] == 40


def test_a_damaged_index_is_a_one_line_error_with_the_rebuild_command(corpus):
    build(corpus).close()
    path = corpus / "index.sqlite"
    data = bytearray(path.read_bytes())
    pages = len(data) // 4096
    start, end = pages // 4 * 4096, 3 * pages // 4 * 4096
    data[start:end] = random.Random(12).randbytes(end - start)  # garbage over the middle half, page-aligned
    path.write_bytes(bytes(data))
    write(corpus / "new.txt", near_copy(article(7)))
    for args in (["check", "new.txt"], ["run", "new.txt"], ["dedup", "new.txt"], ["index", "update"], ["index", "stats"]):
        proc = invoke(*args, "--index", "index.sqlite", cwd=corpus)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.startswith("error: index.sqlite: the index is damaged or unreadable ("), (args, proc.stderr)
        assert proc.stderr.endswith("; rebuild it with `cleaner index build PATH...`\n") and proc.stderr.count("\n") == 1
        assert proc.stdout == ""
    assert _invoke(["index", "build", "corpus", "--index", "index.sqlite", "-q"], corpus).returncode == 0
    assert invoke("check", "new.txt", "--index", "index.sqlite", cwd=corpus).returncode == 1  # the copy of c007 is found again


# ------------------------------------------------------------------ which files: committed at HEAD in git


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_in_a_git_work_tree_the_index_holds_the_files_committed_at_head(tmp_path, monkeypatch):
    from cleaner.fingerprints import Fingerprinter

    monkeypatch.chdir(tmp_path)
    for n in range(10):
        write(tmp_path / "corpus" / f"c{n:03d}.txt", article(n))
    write(tmp_path / "corpus" / ".hidden.txt", article(50))  # committed, but skipped as a folder walk skips them
    write(tmp_path / "corpus" / "node_modules" / "n.txt", article(51))
    write(tmp_path / "corpus" / "env" / "pyvenv.cfg", "home = /usr/bin\n")
    write(tmp_path / "corpus" / "env" / "lib.txt", article(52))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "corpus")
    write(tmp_path / "corpus" / "c001.txt", article(900))  # edited, not committed
    write(tmp_path / "corpus" / "untracked.txt", article(901))
    write(tmp_path / "corpus" / "staged.txt", article(902))
    _git(tmp_path, "add", "corpus/staged.txt")
    fp = Fingerprinter(CONFIG.duplicates)
    target = tmp_path / "index.sqlite"

    stats = CorpusIndex.rebuild(target, CONFIG, ["corpus"], RULEBOOK, root=tmp_path)
    assert (stats.files_seen, stats.docs_added, stats.files_uncommitted) == (10, 10, 2)
    assert "2 files not committed at HEAD left out" in stats.summary()
    with CorpusIndex.open(target, CONFIG, root=tmp_path) as index:
        files = sorted(r[0] for r in index.con.execute("SELECT path FROM files"))
        assert files == [f"corpus/c{n:03d}.txt" for n in range(10)]
        assert index.match(fp.signature(article(1)), path="x.txt").path == "corpus/c001.txt"  # HEAD's text
        for n in (900, 901, 902, 50, 51, 52):
            assert index.match(fp.signature(article(n)), path="x.txt") is None

        _git(tmp_path, "commit", "-qm", "staged")
        _git(tmp_path, "rm", "-q", "corpus/c002.txt")
        _git(tmp_path, "commit", "-qm", "drop c002")
        stats = index.update(None, RULEBOOK)
        assert (stats.files_changed, stats.files_removed, stats.files_uncommitted) == (1, 1, 1)
        assert index.match(fp.signature(article(902)), path="x.txt").path == "corpus/staged.txt"
        assert index.match(fp.signature(article(2)), path="x.txt") is None
        assert index.match(fp.signature(article(900)), path="x.txt") is None

        _git(tmp_path, "commit", "-qam", "c001 edited")
        assert index.update(None, RULEBOOK).files_changed == 1
        assert index.match(fp.signature(article(900)), path="x.txt").path == "corpus/c001.txt"
        assert index.match(fp.signature(article(1)), path="x.txt") is None
        assert index.update(None, RULEBOOK).files_changed == 0
        _consistent(index)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize("learn", [True, False])
def test_committed_files_of_one_name_in_many_folders_are_all_indexed(tmp_path, monkeypatch, learn):
    """Copies of committed files are made a batch of 256 at a time, in folders by position, so the
    next batch's copies take the paths of this one's: each batch's copies must be removed before the
    next is made, never after (then a copy was deleted before it was read, and its article lost)."""
    monkeypatch.chdir(tmp_path)
    config = CONFIG if learn else dataclasses.replace(CONFIG, strip=dataclasses.replace(CONFIG.strip, learn=False))
    for n in range(300):
        write(tmp_path / "corpus" / f"d{n:03d}" / "index.txt", article(n))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "corpus")
    target = tmp_path / "index.sqlite"
    stats = CorpusIndex.rebuild(target, config, ["corpus"], RULEBOOK, root=tmp_path)
    assert (stats.files_changed, stats.docs_added) == (300, 300)
    with CorpusIndex.open(target, config, root=tmp_path) as index:
        counts = dict(index.con.execute("SELECT path, docs FROM files"))
    assert counts == {f"corpus/d{n:03d}/index.txt": 1 for n in range(300)}
