"""Settings are checked where they load: type and range of every key, and codes in select/ignore.

A bad value in a configuration file is refused (exit 2) with the file, the key, the value and what is
allowed, before any article is read; a ``select``/``ignore`` code that matches no known code is refused
with the closest codes suggested. All runs are in-process (``invoke``), each in its own folder.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

import pytest

from cleaner.config import Config, DuplicateConfig, NormalizeConfig, StripConfig, config_from_table
from cleaner.errors import ConfigError
from conftest import SEEDS_DIR, invoke, read_jsonl

ARTICLE = "The council approved the new budget on Tuesday after a long debate about school funding.\n\nLeave a Comment\n"

# cleaner.toml text -> what the error says after "error: <file>: "
BAD_SETTINGS = {
    "jobs_string": ('jobs = "2"\n', 'jobs = "2": must be an integer >= 1'),
    "jobs_zero": ("jobs = 0\n", "jobs = 0: must be an integer >= 1"),
    "jobs_table": ("[jobs]\nn = 2\n", "jobs = {n = 2}: must be an integer >= 1"),
    "learn_maybe": ('learn = "maybe"\n', 'learn = "maybe": must be true, false or "auto"'),
    "learn_seven": ("learn = 7\n", 'learn = 7: must be true, false or "auto"'),
    "strip_learn_one": ("[strip]\nlearn = 1\n", '[strip] learn = 1: must be true, false or "auto"'),
    "threshold": ("[duplicates]\nthreshold = 1.5\n", "[duplicates] threshold = 1.5: must be a number in (0, 1]"),
    "threshold_zero": ("[duplicates]\nthreshold = 0\n", "[duplicates] threshold = 0: must be a number in (0, 1]"),
    "num_perm": ("[duplicates]\nnum-perm = 8\n", "[duplicates] num-perm = 8: must be an integer >= 16"),
    "shingle": ("[duplicates]\nshingle = 0\n", "[duplicates] shingle = 0: must be an integer >= 1"),
    "min_share": ("[strip]\nlearn_min_share = 2.0\n", "[strip] learn_min_share = 2.0: must be a number in [0, 1]"),
    "min_articles": ("[strip]\nlearn_min_articles = 1\n", "[strip] learn_min_articles = 1: must be an integer >= 2"),
    "shapes": ('[strip]\nshapes = ["SHP001"]\n', "[strip] unknown key 'shapes' (known: builtin_rules, ignore, learn, learn_min_articles, learn_min_share, rules, select, templates)"),
    "select_string": ('select = "NAV"\n', 'select = "NAV": must be a list of strings'),
    "rules_numbers": ("rules = [1]\n", "rules = [1]: must be a list of strings"),
    "bool_string": ('[normalize]\nfix_encoding = "yes"\n', '[normalize] fix_encoding = "yes": must be true or false'),
    "normalization": (
        '[normalize]\nnormalization = "NFX"\n',
        '[normalize] normalization = "NFX": must be "NFC", "NFD", "NFKC", "NFKD" or false (keep the form)',
    ),
    "id_field": ("id_field = 3\n", "id_field = 3: must be a string"),
    "section_value": ("strip = 5\n", "strip = 5: must be a table ([strip])"),
    "story_type": ('[stories]\nwindow_days = "x"\n', '[stories] window_days = "x": must be a number >= 0'),
    "story_threshold": ("[stories]\nthreshold = 2\n", "[stories] threshold = 2: must be a number in (0, 1]"),
    "story_wordlist": ('[stories]\nwordlist = "huge"\n', '[stories] wordlist = "huge": must be "small", "large" or "best"'),
    "story_bands": ("[stories]\nnum_perm = 30\n", "[stories]: story num_perm (30) must be a multiple of bands (32)"),
}


def project(tmp_path, config: str, name: str = "cleaner.toml"):
    (tmp_path / name).write_text(config, encoding="utf-8")
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    return tmp_path / name


@pytest.mark.parametrize("case", sorted(BAD_SETTINGS))
def test_bad_setting_is_refused_before_any_article_is_read(tmp_path, case):
    text, message = BAD_SETTINGS[case]
    path = project(tmp_path, text)
    # missing.txt would be reported (and a.txt cleaned) if the settings were read after the articles
    proc = invoke("run", "a.txt", "missing.txt", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"error: {path}: {message}\n"
    assert not (tmp_path / "out.jsonl").exists()


def test_bad_setting_in_pyproject_names_that_file(tmp_path):
    path = project(tmp_path, '[project]\nname = "corpus"\n\n[tool.cleaner.duplicates]\nthreshold = 1.5\n', "pyproject.toml")
    proc = invoke("dedup", "a.txt", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"error: {path}: [duplicates] threshold = 1.5: must be a number in (0, 1]\n"


def test_tool_cleaner_that_is_not_a_table(tmp_path):
    path = project(tmp_path, "[tool]\ncleaner = 5\n", "pyproject.toml")
    proc = invoke("run", "a.txt", "--config", path, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"error: {path}: tool.cleaner = 5: must be a table ([tool.cleaner])\n"


@pytest.mark.parametrize("command", ["clean", "check"])
def test_bad_setting_stops_every_command(tmp_path, command):
    path = project(tmp_path, "jobs = 0\n")
    proc = invoke(command, "a.txt", cwd=tmp_path)
    assert proc.returncode == 2
    assert f"error: {path}: jobs = 0: must be an integer >= 1\n" in proc.stderr
    assert proc.stdout == ""


def test_allowed_values_are_accepted_and_used(tmp_path):
    """An integer where a number is asked for, learn = "auto", and normalization = false (keep the form)."""
    decomposed = "Cafe\u0301 owners approved the new budget on Tuesday after a long debate about school funding."
    (tmp_path / "a.txt").write_text(decomposed + "\n", encoding="utf-8")
    (tmp_path / "cleaner.toml").write_text(
        'learn = "auto"\njobs = 1\n\n[duplicates]\nthreshold = 1\n\n[normalize]\nnormalization = false\n', encoding="utf-8"
    )
    kept = invoke("run", "a.txt", cwd=tmp_path)
    assert kept.returncode == 0, kept.stderr
    assert read_jsonl(kept.stdout)[0]["text"] == decomposed
    (tmp_path / "cleaner.toml").write_text("[duplicates]\nthreshold = 1\n", encoding="utf-8")
    default = invoke("run", "a.txt", cwd=tmp_path)
    assert read_jsonl(default.stdout)[0]["text"] == unicodedata.normalize("NFC", decomposed)


def test_library_settings_are_checked_too():
    with pytest.raises(ConfigError, match=r"^\[duplicates\] threshold = 1\.5: must be a number in \(0, 1\]$"):
        DuplicateConfig(threshold=1.5)
    with pytest.raises(ConfigError, match=r'^jobs = "2": must be an integer >= 1$'):
        Config(jobs="2")
    with pytest.raises(ConfigError, match=r'^\[normalize\] normalization = "nfc"'):
        NormalizeConfig(normalization="nfc")
    strip = StripConfig(select=["NAV"], learn_min_share=1)
    assert strip.select == ("NAV",) and strip.learn_min_share == 1.0 and isinstance(strip.learn_min_share, float)
    with pytest.raises(ConfigError, match=r"^corpus\.toml: \[strip\] learn = 7: "):
        config_from_table({"strip": {"learn": 7}}, "corpus.toml")


def every_setting():
    """(section or "", key, settings class) for every key of every section, and the top-level keys."""
    config = Config()
    for f in dataclasses.fields(Config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            yield from ((f.name, g.name, type(value)) for g in dataclasses.fields(value))
        else:
            yield "", f.name, Config


@pytest.mark.parametrize("section,key,cls", list(every_setting()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_setting_refuses_a_table_for_its_value(section, key, cls):
    """A table (``[jobs]``) where a value belongs is refused for every key, present and future."""
    table = {section: {key: {"x": 1}}} if section else {key: {"x": 1}}
    label = f"[{section}] {key}" if section else key
    with pytest.raises(ConfigError, match=rf"^cleaner\.toml: {re.escape(label)} = \{{x = 1\}}: must be "):
        config_from_table(table, "cleaner.toml")


# --- select / ignore: codes that match nothing ---------------------------------------------------

NOTHING_MATCHES = "is not a known code or code prefix"


@pytest.mark.parametrize("command", ["run", "clean"])
def test_select_that_matches_nothing_is_refused(tmp_path, command):
    project(tmp_path, "")
    proc = invoke(command, "a.txt", "missing.txt", "--select", "NOPE", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: select: 'NOPE' {NOTHING_MATCHES}; codes start with ACC, ADS, BYL, CHK, COM, CON, CRD, DUP,")
    assert "missing.txt" not in proc.stderr, "refused before any article is read"
    assert not (tmp_path / "out.jsonl").exists()


def test_selection_typo_suggests_the_closest_codes(tmp_path):
    project(tmp_path, "")
    proc = invoke("run", "a.txt", "--select", "COM01", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: select: 'COM01' {NOTHING_MATCHES}; did you mean COM001")
    ignored = invoke("clean", "a.txt", "--ignore", "NAV,CRDD", cwd=tmp_path)
    assert ignored.returncode == 2
    assert ignored.stderr.startswith(f"error: ignore: 'CRDD' {NOTHING_MATCHES}; did you mean CRD")


def test_select_in_the_config_is_checked_for_dedup_and_check(tmp_path):
    project(tmp_path, 'select = ["NOPE"]\n')
    for command in ("dedup", "check"):
        proc = invoke(command, "a.txt", cwd=tmp_path)
        assert proc.returncode == 2, command
        assert f"error: select: 'NOPE' {NOTHING_MATCHES}" in proc.stderr
        assert proc.stdout == ""
    listed = invoke("rules", "list", cwd=tmp_path)
    assert listed.returncode == 0, "the list of codes stays at hand to fix the setting"
    assert "COM001" in listed.stdout


def test_check_refuses_an_unknown_ignore(tmp_path):
    project(tmp_path, "")
    proc = invoke("check", "a.txt", "--ignore", "XYZ", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: ignore: 'XYZ' {NOTHING_MATCHES}")


def test_known_prefixes_of_packs_and_built_in_codes_are_accepted(tmp_path):
    project(tmp_path, "")
    (tmp_path / "mine.toml").write_text(
        '[pack]\nname = "mine"\n\n[[rules]]\ncode = "USR001"\nname = "house-line"\ndescription = "Our line."\n'
        'pattern = "^our house line$"\nmust_match = ["Our house line"]\nmust_not_match = ["Our house line is long"]\n',
        encoding="utf-8",
    )
    (tmp_path / "a.txt").write_text(ARTICLE + "\nOur house line\n", encoding="utf-8")
    only_user = invoke("clean", "a.txt", "--rules", "mine.toml", "--select", "USR", cwd=tmp_path)
    assert only_user.returncode == 0, only_user.stderr
    assert [r["rule"] for r in read_jsonl(only_user.stdout)[0]["removed"]] == ["USR001"]
    built_in_only = invoke("clean", "a.txt", "--select", "NRM,DUP001", cwd=tmp_path)
    assert built_in_only.returncode == 0, built_in_only.stderr
    assert read_jsonl(built_in_only.stdout)[0]["removed"] == []
    seeds = invoke("check", SEEDS_DIR, "--select", "COM", "--no-index", cwd=tmp_path)
    assert seeds.returncode == 1, seeds.stderr
    assert {line.split(": ")[1].split()[0] for line in seeds.stdout.splitlines()} == {"COM001", "COM002"}
