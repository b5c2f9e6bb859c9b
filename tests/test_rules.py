"""Rules: the `rules list/show/test` commands, every shipped rule's examples, and packaging."""

from __future__ import annotations

import ast
import json
import os
import pickle
import subprocess
import sys
import threading
import time
import zipfile

import pytest

from cleaner import codes, learn, normalize, rulebook, templates
from cleaner.rulebook import Rulebook, builtin_rules_dir
from conftest import ROOT, assert_clean_stderr, cli_env, read_jsonl, run_cli

SHIPPED = Rulebook.load()
SHIPPED_RULES = {rule.code: rule for rule in SHIPPED}

USER_PACK = '''[pack]
name = "mine"
description = "A user's own rules."

[[rules]]
code = "USR001"
name = "house-promo"
description = "Our house promo line."
pattern = '^read the daily example every morning$'
must_match = ["Read the Daily Example every morning"]
must_not_match = ["Read the report every morning, officials said."]
'''

FAILING_PACK = USER_PACK + '''
[[rules]]
code = "USR002"
name = "wrong-example"
description = "A rule whose must_match example does not match its own pattern."
pattern = '^subscribe to the example$'
must_match = ["Subscribe to The Example today"]
must_not_match = ["The example was clear."]
'''


# --- every shipped rule's examples, one test per rule -------------------------------------------

def test_shipped_packs_load_with_rules():
    assert builtin_rules_dir().is_dir()
    assert len(SHIPPED) >= 20
    for code in ("NAV001", "CRD001", "BYL001", "COM001", "COM002", "SHR002", "SHR003"):
        assert code in SHIPPED_RULES


@pytest.mark.parametrize("code", sorted(SHIPPED_RULES))
def test_rule_examples(code):
    rule = SHIPPED_RULES[code]
    assert rule.must_match and rule.must_not_match, "every rule documents both kinds of example"
    assert rule.description.strip()
    for example in rule.must_match:
        assert rule.takes(example.strip()), f"{code} should match {example!r}"
    for example in rule.must_not_match:
        assert not rule.takes(example.strip()), f"{code} should not match {example!r}"


# --- the CLI ------------------------------------------------------------------------------------

def test_rules_list_shows_every_code(tmp_path, cli):
    proc = cli("rules", "list", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listed = [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]
    assert set(SHIPPED_RULES) <= set(listed)
    assert "DUP001" in listed, "built-in codes are listed too"
    nav = next(line for line in proc.stdout.splitlines() if line.startswith("NAV001"))
    assert "previous-next-article" in nav and "navigation" in nav


def test_rules_show_prints_description_and_examples(tmp_path, cli):
    proc = cli("rules", "show", "NAV001", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rule = SHIPPED_RULES["NAV001"]
    assert proc.stdout.startswith("NAV001 previous-next-article")
    assert rule.description in proc.stdout
    assert "must match:" in proc.stdout and "must not match:" in proc.stdout
    for example in rule.must_match + rule.must_not_match:
        assert f"  {example}" in proc.stdout


def test_rules_show_unknown_code(tmp_path, cli):
    proc = cli("rules", "show", "XYZ999", cwd=tmp_path)
    assert proc.returncode == 2
    assert_clean_stderr(proc.stderr)
    assert "XYZ999" in proc.stderr and "rules list" in proc.stderr


def test_rules_test_passes_on_shipped_packs(tmp_path, cli):
    proc = cli("rules", "test", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    examples = sum(len(r.must_match) + len(r.must_not_match) for r in SHIPPED)
    assert proc.stdout.strip() == f"{len(SHIPPED)} rules, {examples} examples: all passed"


def test_rules_test_runs_user_rule_files(tmp_path, cli):
    (tmp_path / "mine.toml").write_text(USER_PACK, encoding="utf-8")
    proc = cli("rules", "test", "--rules", "mine.toml", "--no-builtin", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "1 rules, 2 examples: all passed"
    both = cli("rules", "test", "--rules", "mine.toml", cwd=tmp_path)
    assert both.returncode == 0
    assert both.stdout.startswith(f"{len(SHIPPED) + 1} rules")


def test_rules_test_fails_on_a_bad_user_example(tmp_path, cli):
    (tmp_path / "mine.toml").write_text(FAILING_PACK, encoding="utf-8")
    proc = cli("rules", "test", "--rules", "mine.toml", cwd=tmp_path)
    assert proc.returncode == 1
    assert_clean_stderr(proc.stderr)
    fails = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1, proc.stdout
    assert "mine.toml: USR002: example should match but does not: 'Subscribe to The Example today'" in fails[0]
    assert "1 failed" in proc.stdout


def test_user_rules_remove_lines_in_run(tmp_path, cli):
    (tmp_path / "mine.toml").write_text(USER_PACK, encoding="utf-8")
    (tmp_path / "a.txt").write_text(
        "The council approved the new budget on Tuesday after a long debate about school funding.\n\n"
        "Read the Daily Example every morning\n",
        encoding="utf-8",
    )
    proc = cli("clean", "a.txt", "--rules", "mine.toml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["removed"] == [{"line": 3, "rule": "USR001", "text": "Read the Daily Example every morning"}]


# --- the code registry --------------------------------------------------------------------------

def test_rules_list_reads_the_code_registry(tmp_path, cli_inproc):
    proc = cli_inproc("rules", "list", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines() if line.strip()}
    assert rows == {c.code: c.name for c in codes.all_codes(SHIPPED)}
    assert {c.code for c in codes.BUILTIN} == {*normalize.CODES, learn.CODE, templates.CODE, "DUP001", "CHK001", "STY001"}


def test_rules_show_says_whether_a_built_in_code_is_fixable(tmp_path, cli_inproc):
    shown = {code: cli_inproc("rules", "show", code, cwd=tmp_path).stdout for code in ("NRM002", "DUP001", "STY001")}
    assert shown["NRM002"].startswith("NRM002 html-entity  (built-in; fixable with --fix)\n\nHTML entities would be unescaped")
    assert shown["DUP001"].startswith("DUP001 duplicate-article  (built-in; no automatic fix)")
    assert shown["STY001"].startswith("STY001 joins-story  (built-in; informational)")


def test_built_in_codes_are_defined_once_in_the_registry():
    """codes.py imports no module that produces codes (they import it), and theirs come from it."""
    tree = ast.parse((ROOT / "cleaner" / "codes.py").read_text(encoding="utf-8"))
    local = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level]
    assert local == ["errors"]
    assert normalize.CODES == {c.code: (c.name, c.summary) for c in codes.BUILTIN if c.code.startswith("NRM")}
    assert codes.INFORMATIONAL == {"STY001"}
    assert [c.code for c in codes.BUILTIN if not c.fixable] == ["DUP001", "CHK001", "STY001"]
    assert codes.builtin(learn.CODE).name == "repeated-site-line"


# --- bounded matching: a pattern that backtracks catastrophically cannot hang a run ---------------

SLOW_PACK = r"""[pack]
name = "slow"
description = "Patterns with nested repeats."

[[rules]]
code = "USR001"
name = "words-only"
description = "A line of words only, written with a nested repeat."
pattern = '^(\w+\s?)+$'
must_match = ["Read our house line"]
must_not_match = ["Hello, world."]

[[rules]]
code = "USR002"
name = "runs-of-a"
description = "Runs of a."
pattern = '(a+)+$'
must_match = ["aaa"]
must_not_match = ["bbb"]
"""
SENTENCES = [
    "The council approved the new budget on Tuesday after a long debate about school funding.",
    "Teachers said the money would pay for smaller classes and new books in every school district.",
    "The mayor thanked the members of the council for their work on the budget over many months.",
]
RUN_OF_A = "a" * 40 + "!"


def test_catastrophic_user_patterns_cannot_hang_run(tmp_path):
    """A real process: the bound is a CPU-time timer signal. Before it, this run did not end."""
    (tmp_path / "slow.toml").write_text(SLOW_PACK, encoding="utf-8")
    (tmp_path / "a.txt").write_text("\n\n".join(SENTENCES + [RUN_OF_A, "Read our house line"]) + "\n", encoding="utf-8")
    started = time.monotonic()
    proc = run_cli("run", "a.txt", "--rules", "slow.toml", "-q", cwd=tmp_path, timeout=120)
    assert time.monotonic() - started < 60
    assert proc.returncode == 0, proc.stderr
    assert_clean_stderr(proc.stderr)
    record = json.loads(proc.stdout)
    assert record["text"].split("\n") == SENTENCES + [RUN_OF_A], "the lines it ran out on count as not matching"
    assert record["removed"] == [{"line": 9, "rule": "USR001", "text": "Read our house line"}]
    warnings = proc.stderr.splitlines()
    assert len(warnings) == 2, "one warning per rule, however many lines it runs out on"
    assert warnings[0].startswith(f"warning: rule USR001 ({tmp_path / 'slow.toml'}): pattern ran out of its 50 ms budget on the line 'The council approved")
    assert warnings[1].startswith(f"warning: rule USR002 ({tmp_path / 'slow.toml'}): pattern ran out of its 50 ms budget on the line '{RUN_OF_A}'")


def test_catastrophic_patterns_are_bounded_in_worker_processes(tmp_path):
    (tmp_path / "slow.toml").write_text(SLOW_PACK, encoding="utf-8")
    for n, sentence in enumerate(SENTENCES):
        (tmp_path / f"{n}.txt").write_text(f"{sentence}\n\n{RUN_OF_A}\n", encoding="utf-8")
    proc = run_cli("clean", ".", "--rules", "slow.toml", "--jobs", "2", "--no-learn", "-q", cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert [r["text"] for r in read_jsonl(proc.stdout)] == [f"{s}\n{RUN_OF_A}" for s in SENTENCES]
    assert {line.split()[2] for line in proc.stderr.splitlines()} == {"USR001", "USR002"}


def test_rules_test_fails_a_catastrophic_pattern(tmp_path):
    """Its own examples pass; the probe lines show the backtracking, and the process exits normally."""
    (tmp_path / "slow.toml").write_text(SLOW_PACK, encoding="utf-8")
    proc = run_cli("rules", "test", "--rules", "slow.toml", "--no-builtin", cwd=tmp_path, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    fails = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert [line.split(": ")[1] for line in fails] == ["USR001", "USR002"]
    assert all("pattern ran out of its 50 ms budget on" in line and "backtracks catastrophically" in line for line in fails)
    assert proc.stdout.splitlines()[-1] == "2 rules, 4 examples: 2 failed"


def test_matching_is_bounded_in_the_main_thread_and_in_other_threads(capsys):
    """In-process: the main thread's searches are stopped by the watchdog, another thread's by a timeout."""
    pack = rulebook.parse_rule(
        {"code": "USR003", "name": "a-or-aa", "description": "Alternatives that overlap.", "pattern": "(a|aa)+$", "must_match": ["aa"], "must_not_match": ["b"]},
        "inline.toml",
        "inline",
    )
    line = "a" * 50 + "!"
    started = time.process_time()
    assert pack.matches(line) is False
    assert pack.matches("aaa") is True
    results = []
    worker = threading.Thread(target=lambda: results.append((pack.matches(line), pack.matches("aaa"))))
    worker.start()
    worker.join(30)
    assert results == [(False, True)]
    assert time.process_time() - started < 10
    assert capsys.readouterr().err.count("warning: rule USR003 (inline.toml): pattern ran out of its 50 ms budget") == 1


def test_rules_survive_pickling_for_worker_processes():
    for rule in SHIPPED:
        copy = pickle.loads(pickle.dumps(rule))
        assert copy == rule and copy.regex.pattern == rule.pattern and copy.regex.flags == rule.regex.flags
        assert all(copy.takes(e.strip()) for e in rule.must_match)
        assert not any(copy.takes(e.strip()) for e in rule.must_not_match)


# --- packaging ----------------------------------------------------------------------------------

def test_wheel_contains_the_rules_and_installed_package_uses_them(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = wheels.glob("cleaner-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "cleaner/rules/navigation.toml" in names
    shipped = sorted(p.name for p in (ROOT / "rules").glob("*.toml"))
    assert sorted(n.split("/")[-1] for n in names if n.startswith("cleaner/rules/") and n.endswith(".toml")) == shipped

    # Installed without the checkout on the path, the package finds its packs inside itself.
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        capture_output=True, text=True, timeout=600,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    env = cli_env()
    env["PYTHONPATH"] = str(site)
    show = subprocess.run([sys.executable, "-m", "cleaner", "rules", "show", "NAV001"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert show.returncode == 0, show.stderr
    assert str(site / "cleaner" / "rules" / "navigation.toml") in show.stdout.splitlines()[0]
    test = subprocess.run([sys.executable, "-m", "cleaner", "rules", "test"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert test.returncode == 0 and "all passed" in test.stdout
    assert os.path.isdir(site / "cleaner" / "rules")
