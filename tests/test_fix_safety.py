"""`check --fix` never loses data: right record, unchanged-since-read, links, permissions, fixed point.

Each test writes real files in a temporary folder, runs the check (in-process unless a real
process matters) and asserts on the files' bytes and the messages. The property tests at the
end (hypothesis) check that one ``--fix`` reaches the fixed point and that fixing a JSONL file
never touches a record it does not fix.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import site
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from cleaner.check import Checker, check_paths
from cleaner.config import Config
from cleaner.rulebook import Rulebook
from conftest import ROOT, assert_clean_stderr, invoke

CONFIG = Config()
RULEBOOK = Rulebook.configured(CONFIG.strip)
BOM = b"\xef\xbb\xbf"
BODY = "The minister said on Tuesday that the new budget would be presented to parliament next week."
BODY2 = "Officials in the capital confirmed that the talks would resume after the holiday, according to reports."


def check(*args, cwd: Path):
    return invoke("check", "--no-index", *args, cwd=cwd)


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


# ------------------------------------------------------------------ JSONL: the right record, from the bytes read

U2028_FILE = (
    b'{"id":"a","text":"ok","title":"x\xe2\x80\xa8y"}\n'
    b'{"id":"b","text":"KEEP ME"}\n'
    b'{"id":"c","text":"Leave a Comment\\nbody"}\n'
)


def test_issue_repro_u2028_in_a_field_does_not_shift_the_records(tmp_path):
    target = tmp_path / "m.jsonl"
    target.write_bytes(U2028_FILE)
    proc = check("--fix", "m.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = target.read_bytes().split(b"\n")
    assert lines[:2] == U2028_FILE.split(b"\n")[:2], "records a and b kept byte for byte"
    assert json.loads(lines[2]) == {"id": "c", "text": "body"}
    assert lines[3:] == [b""] and len(lines) == 4


@pytest.mark.parametrize("variant", ["lf", "crlf", "bom", "gz", "no-final-newline"])
def test_jsonl_fix_rewrites_only_the_fixed_record(tmp_path, variant):
    ending = b"\r\n" if variant == "crlf" else b"\n"
    records = [
        b'{"id": "r1", "text": "' + BODY.encode() + b'\\nLeave a Comment", "n": 1}',
        b'{"id":"r2","title":"caf\xc3\xa9 \xe2\x80\xa8 \xc2\x85","text":"' + BODY2.encode() + b'","x":[1,2.50,null]}',
        b'not json at all, kept as it is',
        b'{"id":"r3","text":"' + BODY2.encode() + b'\\nLeave a Comment"}',
    ]
    data = ending.join(records) + (b"" if variant == "no-final-newline" else ending)
    if variant == "bom":
        data = BOM + data
    name = "f.jsonl.gz" if variant == "gz" else "f.jsonl"
    (tmp_path / name).write_bytes(gzip.compress(data) if variant == "gz" else data)
    proc = check("--fix", name, cwd=tmp_path)
    assert proc.returncode == 2, "the malformed line is an input error"
    assert errors(proc.stderr) == [f"error: {name}:3: malformed JSON: Expecting value (column 1)"]
    after = (tmp_path / name).read_bytes()
    after = gzip.decompress(after) if variant == "gz" else after
    before_lines, after_lines = data.split(b"\n"), after.split(b"\n")
    assert len(after_lines) == len(before_lines)
    assert after_lines[1:3] == before_lines[1:3], "the untouched record and the bad line are byte-identical"
    first, last = after_lines[0], after_lines[3]
    if variant == "bom":
        assert first.startswith(BOM)
        first = first[len(BOM):]
    for line, body, rid in ((first, BODY, "r1"), (last, BODY2, "r3")):
        assert line.endswith(b"\r") == (variant == "crlf"), "the line end of a fixed record is kept"
        assert json.loads(line)["text"] == body and json.loads(line)["id"] == rid
    assert json.loads(first)["n"] == 1


def test_jsonl_fix_of_a_record_with_a_lone_surrogate_elsewhere_writes_valid_json(tmp_path):
    line = json.dumps({"id": "s", "text": BODY + "\nLeave a Comment", "note": "\udc81"})
    (tmp_path / "s.jsonl").write_text(line + "\n", encoding="ascii")
    proc = check("--fix", "s.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    record = json.loads((tmp_path / "s.jsonl").read_text(encoding="utf-8"))
    assert record == {"id": "s", "text": BODY, "note": "\udc81"}


def test_diff_of_a_jsonl_file_with_u2028_changes_only_the_fixed_record(tmp_path):
    (tmp_path / "m.jsonl").write_bytes(U2028_FILE)
    proc = check("--diff", "--quiet", "m.jsonl", cwd=tmp_path)
    assert proc.returncode == 1
    diff = proc.stdout[: proc.stdout.index("m.jsonl:3: ")]
    removed = [l for l in diff.split("\n") if l.startswith("-") and not l.startswith("---")]
    added = [l for l in diff.split("\n") if l.startswith("+") and not l.startswith("+++")]
    assert removed == ['-{"id":"c","text":"Leave a Comment\\nbody"}']
    assert [json.loads(l[1:]) for l in added] == [{"id": "c", "text": "body"}]
    assert (tmp_path / "m.jsonl").read_bytes() == U2028_FILE


# ------------------------------------------------------------------ a file that changed since it was read


@pytest.mark.parametrize("name, content, change", [
    ("a.txt", f"{BODY}\n\nLeave a Comment\n", "Someone else's edit.\n"),
    ("a.jsonl", json.dumps({"id": "x", "text": f"{BODY}\nLeave a Comment"}) + "\n", '{"id": "y", "text": "new"}\n'),
])
def test_a_file_changed_while_check_runs_is_not_written(tmp_path, monkeypatch, name, content, change):
    target = tmp_path / name
    target.write_text(content, encoding="utf-8")
    settle = Checker.settle

    def settle_while_someone_edits(self, examined, site):
        with target.open("a", encoding="utf-8") as handle:  # another writer, after check read the file
            handle.write(change)
        return settle(self, examined, site)

    monkeypatch.setattr(Checker, "settle", settle_while_someone_edits)
    proc = check("--fix", name, cwd=tmp_path)
    assert proc.returncode == 2
    assert errors(proc.stderr) == [f"error: {name}: changed since it was read; not fixed (check it again)"]
    assert target.read_text(encoding="utf-8") == content + change, "nothing written over the other edit"
    assert f"{name}:" in proc.stdout and "fixable with --fix" in proc.stdout, "the findings are still reported"


# ------------------------------------------------------------------ special files: symlinks, hard links, read-only


ARTICLE = f"{BODY}\n\n{BODY2}\n\nLeave a Comment\n"
FIXED = f"{BODY}\n\n{BODY2}\n"


def test_fix_through_a_symlink_fixes_the_target_and_keeps_the_link(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "target.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "link.txt").symlink_to("real/target.txt")
    proc = check("--fix", "link.txt", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "link.txt").is_symlink() and os.readlink(tmp_path / "link.txt") == "real/target.txt"
    assert (tmp_path / "real" / "target.txt").read_text(encoding="utf-8") == FIXED
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["target.txt"], "no temporary file left"


def test_fix_of_a_hard_link_keeps_the_names_linked(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    os.link(tmp_path / "a.txt", tmp_path / "b.txt")
    (tmp_path / "a.txt").chmod(0o640)
    proc = check("--fix", "a.txt", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    a, b = (tmp_path / "a.txt").stat(), (tmp_path / "b.txt").stat()
    assert (a.st_ino, a.st_nlink) == (b.st_ino, 2), "still one file with two names"
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == FIXED
    assert stat.S_IMODE(a.st_mode) == 0o640


def test_both_names_of_a_hard_link_checked_together(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    os.link(tmp_path / "a.txt", tmp_path / "b.txt")
    proc = check("--fix", "a.txt", "b.txt", cwd=tmp_path)
    assert errors(proc.stderr) == [], proc.stderr
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == FIXED
    assert (tmp_path / "a.txt").stat().st_ino == (tmp_path / "b.txt").stat().st_ino


def test_a_read_only_file_is_not_rewritten(tmp_path):
    target = tmp_path / "ro.txt"
    target.write_text(ARTICLE, encoding="utf-8")
    target.chmod(0o444)  # the tests run as root: the mode bits decide, not EACCES
    before = target.stat()
    proc = check("--fix", "ro.txt", cwd=tmp_path)
    assert proc.returncode == 2
    assert_clean_stderr(proc.stderr)
    assert errors(proc.stderr) == ["error: ro.txt: read-only file; not fixed (make it writable to fix it)"]
    assert target.read_text(encoding="utf-8") == ARTICLE
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns, stat.S_IMODE(after.st_mode)) == (before.st_ino, before.st_mtime_ns, 0o444)
    assert "ro.txt:5: COM001" in proc.stdout


def _python_for_nobody() -> tuple[str, dict] | None:
    """An interpreter user 65534 can run with this checkout and its packages, and its environment."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *site.getsitepackages()]), HOME="/tmp")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for python in (sys.executable, shutil.which(version), f"/usr/bin/{version}"):
        if not python:
            continue
        try:
            probe = subprocess.run([python, "-c", "import cleaner.cli, cleaner.check"], env=env, cwd="/",
                                   preexec_fn=lambda: os.setuid(65534), capture_output=True, timeout=60)
        except OSError:
            continue
        if probe.returncode == 0:
            return python, env
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the check as another user (uid 65534)")
def test_a_file_in_a_read_only_folder_is_a_clear_error_as_another_user():
    found = _python_for_nobody()
    if found is None:
        pytest.skip("no Python interpreter that user 65534 can run with this checkout's packages")
    python, env = found
    base = Path(tempfile.mkdtemp(prefix="cleaner-ro-"))  # not under pytest's tmp_path, which only root can enter
    folder = base / "corpus"
    try:
        base.chmod(0o755)
        folder.mkdir()
        target = folder / "a.txt"
        target.write_text(ARTICLE, encoding="utf-8")
        target.chmod(0o666)  # the file is writable by anyone; its folder is not
        folder.chmod(0o555)
        proc = subprocess.run([python, "-m", "cleaner", "check", "--fix", "--no-index", "corpus/a.txt"], cwd=base, env=env,
                              preexec_fn=lambda: os.setuid(65534), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert_clean_stderr(proc.stderr)
        assert errors(proc.stderr) == ["error: corpus/a.txt: cannot write the fix: Permission denied; not fixed"
                                       " (--fix writes a temporary file in the file's folder)"]
        assert target.read_text(encoding="utf-8") == ARTICLE
        assert sorted(p.name for p in folder.iterdir()) == ["a.txt"]
    finally:
        if folder.exists():
            folder.chmod(0o755)
        shutil.rmtree(base)


# ------------------------------------------------------------------ one --fix reaches the fixed point

LINE_ENDS = {"cr": "\r", "crlf": "\r\n", "lf": "\n"}


@pytest.mark.parametrize("style", ["cr", "crlf", "lf", "mixed"])
def test_one_fix_reaches_the_fixed_point(tmp_path, style):
    if style == "mixed":
        content = "trailing   \r\nLeave a Comment\rmore text  \nLeave a Comment\r"
        expected = b"trailing\r\nmore text\r\n"  # a file with CRLF gets CRLF throughout
    else:
        nl = LINE_ENDS[style]
        content = f"trailing   {nl}Leave a Comment{nl}"
        expected = ("trailing" + ("\n" if style == "cr" else nl)).encode()
    target = tmp_path / "a.txt"
    target.write_bytes(content.encode())
    first = check("--fix", "a.txt", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert target.read_bytes() == expected
    mtime = target.stat().st_mtime_ns
    again = check("--fix", "a.txt", cwd=tmp_path)
    assert again.returncode == 0 and "fixed" not in again.stderr, again.stderr
    assert target.read_bytes() == expected and target.stat().st_mtime_ns == mtime, "not even rewritten"
    plain = check("a.txt", cwd=tmp_path)
    assert plain.returncode == 0 and plain.stdout == ""


def test_one_fix_also_removes_what_a_first_removal_exposes(tmp_path):
    # The commenter header is removed only once the headline link after it is gone: one pass
    # of the rules is not enough, and one --fix must do both.
    text = f"{BODY2}\n\nbobmillion says:\n\nAudio-Technica ATH-G1WL Review: My new go-to wireless gaming headset [Video]\n"
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    first = check("--fix", "a.txt", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == f"{BODY2}\n"
    again = check("--fix", "a.txt", cwd=tmp_path)
    assert again.returncode == 0 and "fixed" not in again.stderr


# ------------------------------------------------------------------ an article made only of boilerplate


def test_a_file_of_boilerplate_only_is_left_as_it_is_with_a_finding(tmp_path):
    content = "Leave a Comment\n\nThis site uses Akismet to reduce spam. Learn how your comment data is processed.\n"
    (tmp_path / "b.txt").write_text(content, encoding="utf-8")
    proc = check("--fix", "b.txt", cwd=tmp_path)
    assert proc.returncode == 1
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == content, "not emptied"
    assert (f"b.txt:1: CHK001 every line of the article is boilerplate (COM001, COM002); --fix would leave"
            " nothing, so it leaves the file as it is: delete the file if it holds no article [no automatic fix]") in proc.stdout
    assert "fixable with --fix" not in proc.stdout
    later = check("b.txt", cwd=tmp_path)
    assert later.returncode == 1 and errors(later.stderr) == [], "a later check is not an error"


def test_a_record_of_boilerplate_only_is_left_as_it_is(tmp_path):
    lines = [json.dumps({"id": "x", "text": "Leave a Comment"}), json.dumps({"id": "y", "text": f"{BODY}\nLeave a Comment"})]
    (tmp_path / "r.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = check("--fix", "r.jsonl", cwd=tmp_path)
    assert proc.returncode == 1
    after = (tmp_path / "r.jsonl").read_text(encoding="utf-8").split("\n")
    assert after[0] == lines[0] and json.loads(after[1])["text"] == BODY
    assert f"r.jsonl:1: CHK001 record 'x': every line of the article is boilerplate" in proc.stdout
    assert check("--fix", "r.jsonl", cwd=tmp_path).returncode == 1


# ------------------------------------------------------------------ check's own failures are exit 2; inputs as run


def _truncated_gz(tmp_path: Path) -> tuple[Path, bytes]:
    lines = [json.dumps({"id": "r0", "text": f"{BODY}\nLeave a Comment"})]
    lines += [json.dumps({"id": f"r{n}", "text": f"{n} " + os.urandom(400).hex()}) for n in range(1, 60)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    target = tmp_path / "t.jsonl.gz"
    target.write_bytes(data[: len(data) // 2])
    return target, target.read_bytes()


def test_truncated_gz_is_reported_as_run_reports_it_and_not_rewritten(tmp_path):
    target, data = _truncated_gz(tmp_path)
    run = invoke("run", "--no-index", "t.jsonl.gz", "-o", "out.jsonl", cwd=tmp_path)
    proc = check("--fix", "t.jsonl.gz", cwd=tmp_path)
    assert proc.returncode == 2
    assert_clean_stderr(proc.stderr)
    read_error = errors(run.stderr)
    assert len(read_error) == 1 and "cannot read compressed data" in read_error[0]
    assert errors(proc.stderr) == read_error + ["error: t.jsonl.gz: not fixed: the file could not be read to its end"]
    assert "t.jsonl.gz:1: COM001" in proc.stdout, "the records before the damage are checked"
    assert target.read_bytes() == data


def test_corrupt_gz_is_reported_as_run_reports_it(tmp_path):
    data = gzip.compress(b'{"id": "a", "text": "Leave a Comment"}\n' * 50)
    (tmp_path / "c.jsonl.gz").write_bytes(data[:20] + b"garbage!" * 4 + data[52:])
    run = invoke("run", "--no-index", "c.jsonl.gz", "-o", "out.jsonl", cwd=tmp_path)
    proc = check("c.jsonl.gz", cwd=tmp_path)
    assert proc.returncode == 2
    assert errors(proc.stderr) == errors(run.stderr) and len(errors(run.stderr)) == 1


def test_jsonl_with_a_bom_is_read_as_run_reads_it(tmp_path):
    data = BOM + (json.dumps({"id": "a", "text": f"{BODY}\nLeave a Comment"}) + "\n" + json.dumps({"id": "b", "text": BODY2}) + "\n").encode()
    (tmp_path / "bom.jsonl").write_bytes(data)
    run = invoke("run", "--no-index", "bom.jsonl", "-o", "out.jsonl", cwd=tmp_path)
    assert run.returncode == 0 and [json.loads(l)["id"] for l in (tmp_path / "out.jsonl").read_text().splitlines()] == ["a", "b"]
    plain = check("bom.jsonl", cwd=tmp_path)
    assert plain.returncode == 1 and plain.stdout.startswith("bom.jsonl:1: COM001 record 'a' line 2:"), plain.stdout + plain.stderr
    fixed = check("--fix", "bom.jsonl", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    after = (tmp_path / "bom.jsonl").read_bytes()
    assert after.startswith(BOM) and after.split(b"\n")[1] == data.split(b"\n")[1]
    assert json.loads(after[len(BOM):].split(b"\n")[0])["text"] == BODY


def test_repeated_jsonl_ids_are_reported_naming_the_first_use(tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "x", "text": BODY}) + "\n" + json.dumps({"id": "y", "text": BODY2}) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "z", "text": "Other text."}) + "\n" + json.dumps({"id": "x", "text": BODY}) + "\n", encoding="utf-8")
    proc = check("a.jsonl", "b.jsonl", cwd=tmp_path)
    assert proc.returncode == 2
    assert errors(proc.stderr) == ["error: b.jsonl:2: id 'x' already used at a.jsonl:1, skipped"]
    assert "DUP001" not in proc.stdout, "the skipped record is not compared with itself"


def test_a_problem_found_walking_a_folder_is_reported_and_the_rest_checked(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "good.txt").write_text(ARTICLE, encoding="utf-8")
    with open(os.fsencode(tmp_path / "corpus") + b"/caf\xe9.txt", "wb") as handle:
        handle.write(ARTICLE.encode())
    proc = check("corpus", cwd=tmp_path)
    assert proc.returncode == 2
    assert len(errors(proc.stderr)) == 1 and "not valid UTF-8" in proc.stderr
    assert "corpus/good.txt:5: COM001" in proc.stdout


def test_same_file_names_in_two_folders_are_two_articles(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    (tmp_path / "a" / "x.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "b" / "x.txt").write_text(f"{BODY2}\n\nSomething else entirely, with other words in it.\n", encoding="utf-8")
    (tmp_path / "b" / "copy.txt").write_text(ARTICLE, encoding="utf-8")
    proc = check("--select", "DUP", "a", "b", cwd=tmp_path)
    assert proc.stdout == "b/copy.txt:1: DUP001 duplicates a/x.txt:1 (similarity 1.00); remove one of the copies [no automatic fix]\n"


def test_a_json_integer_of_5000_digits_is_exit_2_not_a_traceback(tmp_path):
    # Python's json refuses an integer of more than 4,300 digits (a ValueError, once a traceback and exit 1).
    (tmp_path / "big.jsonl").write_text('{"id": ' + "1" * 5000 + ', "text": "x"}\n', encoding="utf-8")
    proc = check("big.jsonl", cwd=tmp_path)
    assert proc.returncode == 2, "exit 1 would read as findings"
    assert len(errors(proc.stderr)) == 1 and "digits" in proc.stderr


def test_a_failure_of_check_itself_is_exit_2_with_one_line(tmp_path, monkeypatch):
    import cleaner.check

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(cleaner.check.Cleaner, "strip", broken)
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    proc = check("--fix", "a.txt", cwd=tmp_path)
    assert proc.returncode == 2, "exit 1 would read as findings"
    assert errors(proc.stderr) == ["error: cleaner failed: RuntimeError: boom (please report this)"]
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == ARTICLE


def test_interrupt_is_130(tmp_path, monkeypatch):
    import cleaner.check

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cleaner.check, "check_paths", interrupted)
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    proc = check("a.txt", cwd=tmp_path)
    assert proc.returncode == 130 and errors(proc.stderr) == ["error: interrupted; files already fixed stay fixed; the others are unchanged"]


# ------------------------------------------------------------------ properties (hypothesis)

BOILERPLATE = sorted({example for rule in RULEBOOK for example in rule.must_match if "\n" not in example})[:80]
SENTENCES = [BODY, BODY2, "Short line", "A list item", "Photo: Reuters", "caf\u00e9 na\u00efve \u2013 \u201cquoted\u201d text."]
PIECE = st.one_of(
    st.sampled_from(BOILERPLATE),
    st.sampled_from(SENTENCES),
    st.just(""),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30),
)
LINE = st.tuples(PIECE, st.sampled_from(["", " ", "   ", "\t", "\u00a0"])).map("".join)
BREAK = st.sampled_from(["\n", "\n", "\r\n", "\r", "\u2028", "\x85", "\n\n"])
ARTICLES = st.lists(st.tuples(LINE, BREAK), min_size=1, max_size=12).map(lambda parts: "".join(a + b for a, b in parts))
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fix(path: Path):
    return check_paths([str(path)], CONFIG, RULEBOOK, fix=True)


@PROPERTY
@given(text=ARTICLES, bom=st.booleans())
def test_property_fix_once_equals_fix_twice(text, bom):
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "a.txt"
        target.write_bytes((BOM if bom else b"") + text.encode("utf-8"))
        first = _fix(target)
        event("fixed" if first.fixed else "nothing to fix")
        once = target.read_bytes()
        second = _fix(target)
        assert target.read_bytes() == once
        assert second.fixed == {}, "the second --fix changes nothing"
        assert [e.problem for e in second.errors] == [e.problem for e in first.errors], "--fix made no new error"
        assert once.startswith(BOM) == bom


RECORD = st.fixed_dictionaries(
    {"text": ARTICLES, "title": st.text(max_size=10)},
    optional={"n": st.integers(-10, 10), "tags": st.lists(st.sampled_from(["a", "\u2028", "\x85"]), max_size=3)},
)
STYLE = st.sampled_from([{}, {"separators": (",", ":")}, {"ensure_ascii": False}, {"indent": None, "sort_keys": True}])


@PROPERTY
@given(records=st.lists(st.tuples(RECORD, STYLE, st.sampled_from([b"\n", b"\r\n"])), min_size=1, max_size=8),
       garbage=st.booleans(), gz=st.booleans())
def test_property_jsonl_fix_changes_only_the_records_it_fixes(records, garbage, gz):
    lines = []
    for n, (record, style, ending) in enumerate(records):
        lines.append(json.dumps({"id": f"r{n}", **record}, **style).encode("utf-8") + ending)
    if garbage:
        lines.insert(len(lines) // 2, b"{not json}\n")
    data = b"".join(lines)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / ("f.jsonl.gz" if gz else "f.jsonl")
        target.write_bytes(gzip.compress(data) if gz else data)
        report = check_paths([str(target)], CONFIG, RULEBOOK)
        fixable = {f.record for f in report.findings if f.fixable}
        event("every record fixed" if len(fixable) == len(records) else "some records fixed" if fixable else "no record fixed")
        _fix(target)
        after = target.read_bytes()
        after = gzip.decompress(after) if gz else after
        after_lines = after.split(b"\n")
        assert len(after_lines) == len(data.split(b"\n"))
        for raw, new in zip(data.split(b"\n"), after_lines):
            if raw.startswith(b"{not json}") or raw == b"":
                assert new == raw
                continue
            before_record, after_record = json.loads(raw), json.loads(new)
            if before_record["id"] not in fixable:
                assert new == raw, "a record that is not fixed is kept byte for byte"
            else:
                assert {k: v for k, v in after_record.items() if k != "text"} == {k: v for k, v in before_record.items() if k != "text"}
                assert new.endswith(b"\r") == raw.endswith(b"\r")
        fixed_once = target.read_bytes()
        assert _fix(target).fixed == {} and target.read_bytes() == fixed_once, "the second --fix changes nothing"
