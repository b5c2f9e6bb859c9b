"""Configuration: [tool.cleaner] in pyproject.toml or cleaner.toml, found upward; CLI options win.

Each scenario gets its own project folder; all scenarios run side by side from one module fixture.
"""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest

from conftest import SEED_A, SEED_B, SEEDS_DIR, assert_clean_stderr, by_id, read_jsonl
from conftest import invoke as run_cli

PREV = "Previous articleChallenges to Gaza Ceasefire Are Arising Quickly"
CREDIT = "Photo Credit: Marine Corps Sgt. Branden Bourque"
DEEPER = ("sub", "deeper")


def make_project(base):
    """base/proj with seeds/ inside and a deep working folder proj/sub/deeper."""
    proj = base / "proj"
    shutil.copytree(SEEDS_DIR, proj / "seeds")
    proj.joinpath(*DEEPER).mkdir(parents=True)
    return proj


def rules_fired(proc) -> dict[str, list[str]]:
    assert proc.returncode == 0, proc.stderr
    return {r["id"]: [x["rule"] for x in r["removed"]] for r in read_jsonl(proc.stdout)}


def job(files: dict[str, str], *args, cwd=(), outside: dict[str, str] | None = None):
    """Write ``files`` (relative to proj) and ``outside`` (relative to base), run the CLI in proj/cwd."""
    def run(base):
        proj = make_project(base)
        for name, text in files.items():
            (proj / name).write_text(text, encoding="utf-8")
        for name, text in (outside or {}).items():
            (base / name).parent.mkdir(parents=True, exist_ok=True)
            (base / name).write_text(text, encoding="utf-8")
        args_ = [str(a).replace("{base}", str(base)) for a in args]
        return SimpleNamespace(proj=proj, proc=run_cli(*args_, cwd=proj.joinpath(*cwd)))
    return run


UNKNOWN_KEYS = {
    "bogus": ("pyproject.toml", '[tool.cleaner]\nignore = ["NAV"]\nbogus = 1\n'),
    "selekt": ("pyproject.toml", '[tool.cleaner.strip]\nselekt = ["NAV"]\n'),
    "threshhold": ("cleaner.toml", 'ignore = ["NAV"]\n\n[duplicates]\nthreshhold = 0.5\n'),
}

JOBS = {
    "pyproject_upward": job({"pyproject.toml": '[project]\nname = "corpus"\n\n[tool.cleaner]\nignore = ["NAV"]\n'},
                            "run", "../../seeds", "-q", cwd=DEEPER),
    "cleaner_toml_upward": job({"cleaner.toml": 'ignore = ["NAV"]\n', "sub/pyproject.toml": '[project]\nname = "unrelated"\n'},
                               "run", "../../seeds", "-q", cwd=DEEPER),
    "defaults": job({}, "run", "seeds", "-q"),
    "config_select": job({"cleaner.toml": 'select = ["CRD"]\n'}, "run", "seeds", "-q"),
    "cli_select_over_select": job({"cleaner.toml": 'select = ["CRD"]\n'}, "run", "seeds", "-q", "--select", "NAV"),
    "cli_select_over_ignore": job({"cleaner.toml": 'ignore = ["NAV"]\n'}, "run", "seeds", "-q", "--select", "NAV"),
    "cli_ignore_adds": job({"cleaner.toml": 'ignore = ["NAV"]\n'}, "run", "seeds", "-q", "--ignore", "CRD,COM"),
    "explicit_config": job({"cleaner.toml": 'ignore = ["NAV"]\n'}, "run", "seeds", "-q", "--config", "{base}/other/cleaner.toml",
                           outside={"other/cleaner.toml": '[strip]\nignore = ["BYL"]\n'}),
    "explicit_other_name": job({}, "run", "seeds", "-q", "--config", "{base}/elsewhere.toml",
                               outside={"elsewhere.toml": '[strip]\nignore = ["BYL"]\n'}),
    "check": job({"cleaner.toml": 'ignore = ["NAV", "COM"]\n'}, "check", "seeds"),
    "invalid_toml": job({"cleaner.toml": 'ignore = ["NAV"\n'}, "run", "seeds"),
    **{f"unknown_run:{key}": job({name: text}, "run", "../../seeds", "-o", "out.jsonl", cwd=DEEPER)
       for key, (name, text) in UNKNOWN_KEYS.items()},
    "unknown_check": job({UNKNOWN_KEYS["bogus"][0]: UNKNOWN_KEYS["bogus"][1]}, "check", "../../seeds", cwd=DEEPER),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    bases = {name: tmp_path_factory.mktemp(name.replace(":", "_")) for name in JOBS}
    return {name: j(bases[name]) for name, j in JOBS.items()}  # in-process: each run takes milliseconds


def test_pyproject_tool_cleaner_found_upward(runs):
    proc = runs["pyproject_upward"].proc
    fired = rules_fired(proc)
    assert fired[SEED_A] == ["CRD001", "CRD001", "BYL001"], "navigation lines kept, the rest removed"
    records = by_id(read_jsonl(proc.stdout))
    assert PREV in records[SEED_A]["text"].split("\n")
    assert CREDIT not in records[SEED_A]["text"]
    assert "Leave a Comment" not in records[SEED_B]["text"]


def test_cleaner_toml_found_past_a_pyproject_without_tool_cleaner(runs):
    assert rules_fired(runs["cleaner_toml_upward"].proc)[SEED_A] == ["CRD001", "CRD001", "BYL001"]


def test_no_config_means_defaults(runs):
    assert rules_fired(runs["defaults"].proc)[SEED_A] == ["CRD001", "CRD001", "NAV001", "NAV001", "BYL001"]


def test_command_line_select_wins_over_config_select(runs):
    assert rules_fired(runs["config_select"].proc)[SEED_A] == ["CRD001", "CRD001"]
    fired = rules_fired(runs["cli_select_over_select"].proc)
    assert fired[SEED_A] == ["NAV001", "NAV001"]
    assert fired[SEED_B] == []


def test_command_line_select_wins_over_config_ignore(runs):
    assert rules_fired(runs["cli_select_over_ignore"].proc)[SEED_A] == ["NAV001", "NAV001"]


def test_command_line_ignore_adds_to_config_ignore(runs):
    fired = rules_fired(runs["cli_ignore_adds"].proc)
    assert fired[SEED_A] == ["BYL001"]
    assert fired[SEED_B] == []


def test_explicit_config_option(runs):
    # proj/cleaner.toml (ignore NAV) is not used: --config wins
    assert rules_fired(runs["explicit_config"].proc)[SEED_A] == ["CRD001", "CRD001", "NAV001", "NAV001"]


def test_explicit_config_file_with_another_name(runs):
    assert rules_fired(runs["explicit_other_name"].proc)[SEED_A] == ["CRD001", "CRD001", "NAV001", "NAV001"]


def test_check_honours_the_config(runs):
    proc = runs["check"].proc
    assert proc.returncode == 1
    codes = [line.split(": ")[1].split()[0] for line in proc.stdout.splitlines()]
    assert codes == ["CRD001", "CRD001", "BYL001"]


@pytest.mark.parametrize("key", sorted(UNKNOWN_KEYS))
def test_unknown_config_key_is_refused(runs, key):
    r = runs[f"unknown_run:{key}"]
    config = r.proj / UNKNOWN_KEYS[key][0]
    assert r.proc.returncode == 2, r.proc.stderr
    assert_clean_stderr(r.proc.stderr)
    assert str(config) in r.proc.stderr
    assert f"unknown key {key!r}" in r.proc.stderr
    assert not r.proj.joinpath(*DEEPER, "out.jsonl").exists()


def test_unknown_config_key_is_refused_by_check(runs):
    r = runs["unknown_check"]
    assert r.proc.returncode == 2
    assert_clean_stderr(r.proc.stderr)
    assert str(r.proj / "pyproject.toml") in r.proc.stderr and "unknown key 'bogus'" in r.proc.stderr


def test_invalid_toml_config_is_refused(runs):
    r = runs["invalid_toml"]
    assert r.proc.returncode == 2
    assert_clean_stderr(r.proc.stderr)
    assert str(r.proj / "cleaner.toml") in r.proc.stderr
