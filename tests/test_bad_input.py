"""Bad input: every broken file is reported on stderr (file and line), never as a traceback.

Documented behaviour (cli.py): unreadable inputs are skipped and reported, the good inputs of
the batch are still written and the exit code is 1; with ``--strict`` the run stops with exit 2
and no output file is written. Invalid user rule files are refused with exit 2.

All scenarios run side by side from one module fixture (``runs``), each in its own folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import SEED_A, SEEDS_DIR, UNRELATED_TXT, assert_clean_stderr, by_id, invoke, read_jsonl, run_cli

BROKEN_HTML = (
    '<html><head><title>Broken page</title></head><body>'
    '<p>The first paragraph of the broken page survives the truncated markup around it.'
    '<p>Second paragraph with <b>bold text</b> and an unclosed <i>italic run'
    '<div class="trunc'
)

# name -> (bytes, expected stderr message pattern)
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "bad_utf8.txt": (
        b"Line one is fine.\nLine two is fine too.\nCaf\xe9 au lait breaks UTF-8 here.\n",
        r"batch/bad_utf8\.txt:3: invalid UTF-8",
    ),
    "binary.txt": (b"GIF89a\x01\x00\x00\x00\xff\xfe binary junk", r"batch/binary\.txt:1: binary file"),
    "empty.txt": (b"", r"batch/empty\.txt: empty file"),
    "malformed.jsonl": (
        b'{"id": "j1", "text": "The first record of the file is perfectly fine."}\n'
        b'{"id": "j2", "text": "this line is cut off\n'
        b'{"id": "j3", "text": "The third record is fine again."}\n',
        r"batch/malformed\.jsonl:2: malformed JSON",
    ),
}
GOOD_IDS = ["a_good.txt", "b_seed.txt", "j1", "j3"]


def make_batch(folder):
    folder.mkdir()
    shutil.copy(UNRELATED_TXT, folder / "a_good.txt")
    shutil.copy(SEEDS_DIR / SEED_A, folder / "b_seed.txt")
    for name, (data, _) in BAD_FILES.items():
        (folder / name).write_bytes(data)
    (folder / "broken.html").write_text(BROKEN_HTML, encoding="utf-8")
    return folder


RULE_HEAD = '[pack]\nname = "mine"\ndescription = "user rules"\n\n[[rules]]\ncode = "USR001"\nname = "my-rule"\n'
GOOD_RULE_BODY = 'description = "Removes my line."\npattern = "^my boilerplate$"\nmust_match = ["my boilerplate"]\nmust_not_match = ["my boilerplate is long"]\n'
BAD_RULES = {
    "unknown_key": (RULE_HEAD + GOOD_RULE_BODY + 'colour = "red"\n', "unknown key 'colour'"),
    "missing_field": (RULE_HEAD + 'description = "No pattern."\nmust_match = ["a"]\nmust_not_match = ["b"]\n', "missing required key 'pattern'"),
    "invalid_regex": (RULE_HEAD + GOOD_RULE_BODY.replace("^my boilerplate$", "(unclosed"), "invalid pattern '(unclosed'"),
    "cut_with_next": (RULE_HEAD + GOOD_RULE_BODY + 'action = "cut"\nwith_next = 1\n', 'action = "cut" removes the end of one line: it takes no with_next'),
}


def job_batch(base):
    make_batch(base / "batch")
    return SimpleNamespace(work=base, proc=invoke("run", "batch", "-o", "out.jsonl", cwd=base))


def job_strict(name):
    def job(base):
        make_batch(base / "batch")
        # The good file comes first: its record must not reach a partial output file either.
        proc = invoke("run", "batch/a_good.txt", f"batch/{name}", "--strict", "-o", "out.jsonl", cwd=base)
        return SimpleNamespace(work=base, proc=proc)
    return job


def job_strict_once(base):
    make_batch(base / "batch")
    return invoke("run", "batch/binary.txt", "--strict", "-q", cwd=base)


def job_stdin(base):
    data = b'{"id": "s1", "text": "Fine record from standard input."}\nnot json at all\n{"id": "s3"}\n'
    return invoke("run", "-", cwd=base, input=data)


def job_check(base):
    make_batch(base / "batch")
    return invoke("check", "batch", cwd=base)


def job_bad_rule(kind):
    def job(base):
        (base / "my_rules.toml").write_text(BAD_RULES[kind][0], encoding="utf-8")
        shutil.copytree(SEEDS_DIR, base / "seeds")
        proc = invoke("run", "seeds", "--rules", "my_rules.toml", "-o", "out.jsonl", cwd=base)
        return SimpleNamespace(work=base, proc=proc)
    return job


def job_bad_rule_other_commands(base):
    (base / "my_rules.toml").write_text(BAD_RULES["invalid_regex"][0], encoding="utf-8")
    shutil.copytree(SEEDS_DIR, base / "seeds")
    return [invoke(*args, "--rules", "my_rules.toml", cwd=base) for args in (("rules", "test"), ("check", "seeds"))]


def job_not_toml(base):
    (base / "broken.toml").write_text('[pack\nname = "x"\n', encoding="utf-8")
    return invoke("rules", "list", "--rules", "broken.toml", cwd=base)


def job_missing_fields(base):
    records = [
        {"id": "ok", "text": "A perfectly ordinary record with some text in it."},
        {"id": "no-text"},
        {"text": "A record without an id."},
        ["not", "an", "object"],
    ]
    (base / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return invoke("clean", "in.jsonl", cwd=base)


JOBS = {
    "batch": job_batch,
    **{f"strict:{name}": job_strict(name) for name in BAD_FILES},
    "strict_once": job_strict_once,
    "stdin": job_stdin,
    "check": job_check,
    **{f"rule:{kind}": job_bad_rule(kind) for kind in BAD_RULES},
    "rule_other_commands": job_bad_rule_other_commands,
    "not_toml": job_not_toml,
    "missing_fields": job_missing_fields,
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    bases = {name: tmp_path_factory.mktemp(name.replace(":", "_").replace(".", "_")) for name in JOBS}
    return {name: job(bases[name]) for name, job in JOBS.items()}  # in-process: each run takes milliseconds


def test_batch_exits_1_without_traceback(runs):
    proc = runs["batch"].proc
    assert proc.returncode == 1, proc.stderr
    assert_clean_stderr(proc.stderr)
    assert "4 inputs skipped" in proc.stderr


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_each_bad_input_is_named_with_its_line(runs, name):
    proc = runs["batch"].proc
    pattern = BAD_FILES[name][1]
    lines = [l for l in proc.stderr.splitlines() if re.search(pattern, l)]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")


def test_good_inputs_of_the_batch_are_still_written(runs):
    work = runs["batch"].work
    records = read_jsonl(work / "out.jsonl")
    ids = [r["id"] for r in records]
    for good in GOOD_IDS:
        assert good in ids
    assert not {"bad_utf8.txt", "binary.txt", "empty.txt", "j2"} & set(ids)
    seed = by_id(records)["b_seed.txt"]
    assert "Photo Credit" not in seed["text"] and len(seed["removed"]) == 5, "good inputs are still cleaned"
    assert by_id(records)["j1"]["text"] == "The first record of the file is perfectly fine."


def test_broken_html_is_still_parsed(runs):
    r = runs["batch"]
    record = by_id(read_jsonl(r.work / "out.jsonl")).get("broken.html")
    assert record is not None, f"broken HTML neither parsed nor reported: {r.proc.stderr}"
    assert record["title"] == "Broken page"
    lines = record["text"].split("\n")
    assert lines[0] == "The first paragraph of the broken page survives the truncated markup around it."
    assert lines[1].startswith("Second paragraph with bold text and an unclosed italic run")


def test_broken_html_leaves_no_markup_in_text(runs):
    record = by_id(read_jsonl(runs["batch"].work / "out.jsonl"))["broken.html"]
    assert "<" not in record["text"], record["text"]


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_strict_stops_with_exit_2_and_writes_no_output(runs, name):
    r = runs[f"strict:{name}"]
    proc = r.proc
    assert proc.returncode == 2, proc.stderr
    assert_clean_stderr(proc.stderr)
    assert re.search(BAD_FILES[name][1], proc.stderr), proc.stderr
    assert "--strict" in proc.stderr
    assert not (r.work / "out.jsonl").exists()
    assert not [p for p in r.work.iterdir() if p.name.startswith(".out.jsonl")], "no temporary file left behind"


def test_strict_reports_the_error_once(runs):
    proc = runs["strict_once"]
    assert proc.returncode == 2
    assert proc.stderr.count("binary.txt") == 1, proc.stderr


def test_malformed_jsonl_on_stdin_names_the_line(runs):
    proc = runs["stdin"]
    assert proc.returncode == 1
    assert_clean_stderr(proc.stderr)
    assert "<stdin>:2: malformed JSON" in proc.stderr
    assert "<stdin>:3: missing required field 'text'" in proc.stderr
    assert [r["id"] for r in read_jsonl(proc.stdout)] == ["s1"]


def test_check_with_unreadable_input_exits_2_but_checks_the_rest(runs):
    proc = runs["check"]
    assert proc.returncode == 2
    assert_clean_stderr(proc.stderr)
    for name in ("bad_utf8.txt", "binary.txt", "empty.txt"):
        assert re.search(BAD_FILES[name][1], proc.stderr), proc.stderr
    assert "batch/b_seed.txt:1: CRD001" in proc.stdout


@pytest.mark.parametrize("kind", sorted(BAD_RULES))
def test_bad_user_rule_file_is_refused(runs, kind):
    r = runs[f"rule:{kind}"]
    proc = r.proc
    assert proc.returncode == 2
    assert_clean_stderr(proc.stderr)
    message = proc.stderr.strip()
    assert "my_rules.toml" in message
    assert "USR001" in message
    assert BAD_RULES[kind][1] in message
    assert not (r.work / "out.jsonl").exists()


def test_bad_user_rule_file_is_refused_by_rules_test_and_check(runs):
    for proc in runs["rule_other_commands"]:
        assert proc.returncode == 2, (proc.args, proc.stdout, proc.stderr)
        assert_clean_stderr(proc.stderr)
        assert "my_rules.toml: rule USR001: " + BAD_RULES["invalid_regex"][1] in proc.stderr


def test_rule_file_that_is_not_toml(runs):
    proc = runs["not_toml"]
    assert proc.returncode == 2
    assert_clean_stderr(proc.stderr)
    assert "broken.toml: not valid TOML" in proc.stderr
    assert "line 1" in proc.stderr


def test_records_missing_required_fields(runs):
    proc = runs["missing_fields"]
    assert proc.returncode == 1
    assert_clean_stderr(proc.stderr)
    assert "in.jsonl:2: missing required field 'text'" in proc.stderr
    assert "in.jsonl:4: expected a JSON object" in proc.stderr
    # a record without an id is no error: it gets a stable id derived from its file and line
    assert "in.jsonl:3" not in proc.stderr
    assert [r["id"] for r in read_jsonl(proc.stdout)] == ["ok", "in.jsonl:3"]


# ---------------------------------------------------------------- hostile HTML

HOSTILE_PAGES = {
    # html.parser rescans the rest of the page for each of these: minutes before the time budget.
    "b_comment_bomb.html": "<p>A paragraph before four hundred kilobytes of comment openers.</p>" + "<!--" * 100_000,
    "c_tag_bomb.html": "<p>A paragraph before a hundred thousand unclosed tags.</p>" + "<a " * 100_000,
    # Deep, but every tag closes: parsed (or, on a machine too slow for that, reported).
    "d_nested.html": "<html><body>" + "<div>" * 100_000 + "Deep text at the bottom." + "</div>" * 100_000 + "</body></html>",
    # One unclosed comment at the end (a truncated page): the rest is comment, the paragraph is kept.
    "e_unclosed_comment.html": "<p>The paragraph before the cut.</p><!--" + "x" * 400_000,
}
TOO_COMPLEX = "HTML page too complex: parsing took more than 5 s (deeply nested or unclosed markup), skipped"


def make_hostile_pages(folder):
    folder.mkdir()
    shutil.copy(UNRELATED_TXT, folder / "a_good.txt")
    for name, markup in HOSTILE_PAGES.items():
        (folder / name).write_text(markup, encoding="utf-8")
    shutil.copy(SEEDS_DIR / SEED_A, folder / "z_good.txt")


def test_hostile_html_is_bounded_and_reported(tmp_path):
    make_hostile_pages(tmp_path / "pages")
    started = time.monotonic()
    proc = run_cli("run", "pages", "-o", "out.jsonl", cwd=tmp_path, timeout=120)
    elapsed = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr
    assert_clean_stderr(proc.stderr)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert f"error: pages/b_comment_bomb.html: {TOO_COMPLEX}" in errors
    assert f"error: pages/c_tag_bomb.html: {TOO_COMPLEX}" in errors
    records = by_id(read_jsonl(tmp_path / "out.jsonl"))
    assert {"a_good.txt", "z_good.txt"} <= set(records)
    assert records["e_unclosed_comment.html"]["text"] == "The paragraph before the cut."
    nested = records.get("d_nested.html")
    assert (nested or {}).get("text") == "Deep text at the bottom." or f"error: pages/d_nested.html: {TOO_COMPLEX}" in errors, proc.stderr
    assert len(errors) == 2 + (nested is None)
    assert elapsed < 90, f"each page is bounded: {elapsed:.0f} s"


def test_hostile_html_under_strict_stops_without_output(tmp_path):
    make_hostile_pages(tmp_path / "pages")
    proc = run_cli("run", "pages/a_good.txt", "pages/b_comment_bomb.html", "--strict", "-o", "out.jsonl", cwd=tmp_path, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert_clean_stderr(proc.stderr)
    assert f"pages/b_comment_bomb.html: {TOO_COMPLEX}" in proc.stderr and "--strict" in proc.stderr
    assert not (tmp_path / "out.jsonl").exists()


# ---------------------------------------------------------------- folders the user cannot read


def invoke_as_nobody(*args, cwd) -> tuple[int, str, str]:
    """The CLI run in-process by a forked child that gave up root, so that permissions apply.

    Python itself lives where user nobody cannot read, so the child cannot start a new
    interpreter, nor import a module the parent has not: run the command once as root first.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            result = invoke(*args, cwd=cwd)
            payload = [result.returncode, result.stdout, result.stderr]
        except BaseException as exc:  # noqa: BLE001 - reported to the parent as the result
            payload = [99, "", repr(exc)]
        with os.fdopen(write_end, "w", encoding="utf-8") as handle:
            json.dump(payload, handle)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as handle:
        data = handle.read()
    os.waitpid(pid, 0)
    return tuple(json.loads(data))


@pytest.fixture
def shared_dir():
    """A folder user nobody can enter and write (pytest's own temporary folders are root's only)."""
    folder = tempfile.mkdtemp(prefix="cleaner-perm-")
    os.chmod(folder, 0o777)
    yield Path(folder)
    for parent, names, _ in os.walk(folder):  # give back what a test took away, so that it can go
        for name in names:
            os.chmod(os.path.join(parent, name), 0o700)
    shutil.rmtree(folder)


@pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(os, "getuid"), reason="needs fork and POSIX permissions")
def test_a_folder_that_cannot_be_read_is_reported(shared_dir):
    work = shared_dir
    corpus = work / "corpus"
    (corpus / "locked").mkdir(parents=True)
    shutil.copy(UNRELATED_TXT, corpus / "a_good.txt")
    shutil.copy(SEEDS_DIR / SEED_A, corpus / "locked" / "hidden_from_nobody.txt")
    shutil.copy(SEEDS_DIR / SEED_A, corpus / "z_good.txt")
    for folder in (corpus, work):
        os.chmod(folder, 0o777)
    os.chmod(corpus / "locked", 0o700)
    as_root = os.getuid() == 0
    if as_root:
        invoke("run", "corpus", "-o", "as_root.jsonl", cwd=work)  # imports all the child needs
        assert len(read_jsonl(work / "as_root.jsonl")) == 3, "root reads the locked folder"
    else:  # an ordinary user: take the permission away from ourselves
        os.chmod(corpus / "locked", 0o000)

    def run(*args):
        if as_root:
            return invoke_as_nobody(*args, cwd=work)
        result = invoke(*args, cwd=work)
        return result.returncode, result.stdout, result.stderr

    code, _, stderr = run("run", "corpus", "-o", "out.jsonl")
    assert code == 1, stderr
    assert "error: corpus/locked: cannot read folder: Permission denied, skipped" in stderr.splitlines()
    assert [r["id"] for r in read_jsonl(work / "out.jsonl")] == ["a_good.txt", "z_good.txt"]
    code, _, stderr = run("run", "corpus", "--strict", "-o", "strict.jsonl")
    assert code == 2 and "corpus/locked: cannot read folder" in stderr and "--strict" in stderr
    assert not (work / "strict.jsonl").exists()
