"""Rules: the `rules list/show/test` commands, every shipped rule's examples, and packaging."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

from cleaner.rulebook import Rulebook, builtin_rules_dir
from conftest import ROOT, assert_clean_stderr, cli_env

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
        assert rule.matches(example.strip()), f"{code} should match {example!r}"
    for example in rule.must_not_match:
        assert not rule.matches(example.strip()), f"{code} should not match {example!r}"


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
