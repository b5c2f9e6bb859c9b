"""Configuration: [tool.cleaner] in pyproject.toml or cleaner.toml, found upward; CLI options win."""

from __future__ import annotations

import pytest

from conftest import SEED_A, SEED_B, assert_clean_stderr, by_id, read_jsonl

PREV = "Previous articleChallenges to Gaza Ceasefire Are Arising Quickly"
CREDIT = "Photo Credit: Marine Corps Sgt. Branden Bourque"


@pytest.fixture
def project(tmp_path, seeds_copy):
    """tmp_path/proj with seeds/ inside and a deep working folder proj/sub/deeper."""
    proj = tmp_path / "proj"
    proj.mkdir()
    seeds_copy.rename(proj / "seeds")
    deeper = proj / "sub" / "deeper"
    deeper.mkdir(parents=True)
    return proj


def rules_fired(proc) -> dict[str, list[str]]:
    assert proc.returncode == 0, proc.stderr
    return {r["id"]: [x["rule"] for x in r["removed"]] for r in read_jsonl(proc.stdout)}


def test_pyproject_tool_cleaner_found_upward(project, cli):
    (project / "pyproject.toml").write_text('[project]\nname = "corpus"\n\n[tool.cleaner]\nignore = ["NAV"]\n', encoding="utf-8")
    proc = cli("run", "../../seeds", "-q", cwd=project / "sub" / "deeper")
    fired = rules_fired(proc)
    assert fired[SEED_A] == ["CRD001", "CRD001", "BYL001"], "navigation lines kept, the rest removed"
    records = by_id(read_jsonl(proc.stdout))
    assert PREV in records[SEED_A]["text"].split("\n")
    assert CREDIT not in records[SEED_A]["text"]
    assert "Leave a Comment" not in records[SEED_B]["text"]


def test_cleaner_toml_found_past_a_pyproject_without_tool_cleaner(project, cli):
    (project / "cleaner.toml").write_text('ignore = ["NAV"]\n', encoding="utf-8")
    (project / "sub" / "pyproject.toml").write_text('[project]\nname = "unrelated"\n', encoding="utf-8")
    fired = rules_fired(cli("run", "../../seeds", "-q", cwd=project / "sub" / "deeper"))
    assert "NAV001" not in fired[SEED_A]
    assert fired[SEED_A] == ["CRD001", "CRD001", "BYL001"]


def test_no_config_means_defaults(project, cli):
    fired = rules_fired(cli("run", "seeds", "-q", cwd=project))
    assert fired[SEED_A] == ["CRD001", "CRD001", "NAV001", "NAV001", "BYL001"]


def test_command_line_select_wins_over_config_select(project, cli):
    (project / "cleaner.toml").write_text('select = ["CRD"]\n', encoding="utf-8")
    assert rules_fired(cli("run", "seeds", "-q", cwd=project))[SEED_A] == ["CRD001", "CRD001"]
    fired = rules_fired(cli("run", "seeds", "-q", "--select", "NAV", cwd=project))
    assert fired[SEED_A] == ["NAV001", "NAV001"]
    assert fired[SEED_B] == []


@pytest.mark.xfail(
    strict=True,
    reason="cli.py build_config: --select on the command line keeps the config file's ignore list, "
    "so `ignore = [\"NAV\"]` in the config silently defeats `--select NAV`",
)
def test_command_line_select_wins_over_config_ignore(project, cli):
    (project / "cleaner.toml").write_text('ignore = ["NAV"]\n', encoding="utf-8")
    fired = rules_fired(cli("run", "seeds", "-q", "--select", "NAV", cwd=project))
    assert fired[SEED_A] == ["NAV001", "NAV001"]


def test_command_line_ignore_adds_to_config_ignore(project, cli):
    (project / "cleaner.toml").write_text('ignore = ["NAV"]\n', encoding="utf-8")
    fired = rules_fired(cli("run", "seeds", "-q", "--ignore", "CRD,COM", cwd=project))
    assert fired[SEED_A] == ["BYL001"]
    assert fired[SEED_B] == []


def test_explicit_config_option(project, cli, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "cleaner.toml").write_text('[strip]\nignore = ["BYL"]\n', encoding="utf-8")
    (project / "cleaner.toml").write_text('ignore = ["NAV"]\n', encoding="utf-8")  # not used: --config wins
    fired = rules_fired(cli("run", "seeds", "-q", "--config", other / "cleaner.toml", cwd=project))
    assert fired[SEED_A] == ["CRD001", "CRD001", "NAV001", "NAV001"]


@pytest.mark.xfail(
    strict=True,
    reason="config.py load_config: a --config file not named cleaner.toml is read as a pyproject "
    "([tool.cleaner] only), so its settings are silently ignored",
)
def test_explicit_config_file_with_another_name(project, cli, tmp_path):
    (tmp_path / "elsewhere.toml").write_text('[strip]\nignore = ["BYL"]\n', encoding="utf-8")
    fired = rules_fired(cli("run", "seeds", "-q", "--config", tmp_path / "elsewhere.toml", cwd=project))
    assert fired[SEED_A] == ["CRD001", "CRD001", "NAV001", "NAV001"]


def test_check_honours_the_config(project, cli):
    (project / "cleaner.toml").write_text('ignore = ["NAV", "COM"]\n', encoding="utf-8")
    proc = cli("check", "seeds", cwd=project)
    assert proc.returncode == 1
    codes = [line.split(": ")[1].split()[0] for line in proc.stdout.splitlines()]
    assert codes == ["CRD001", "CRD001", "BYL001"]


@pytest.mark.parametrize(
    "filename, content, key",
    [
        ("pyproject.toml", '[tool.cleaner]\nignore = ["NAV"]\nbogus = 1\n', "bogus"),
        ("pyproject.toml", '[tool.cleaner.strip]\nselekt = ["NAV"]\n', "selekt"),
        ("cleaner.toml", 'ignore = ["NAV"]\n\n[duplicates]\nthreshhold = 0.5\n', "threshhold"),
    ],
)
def test_unknown_config_key_is_refused(project, cli, filename, content, key):
    config = project / filename
    config.write_text(content, encoding="utf-8")
    for args in (("run", "../../seeds", "-o", "out.jsonl"), ("check", "../../seeds")):
        proc = cli(*args, cwd=project / "sub" / "deeper")
        assert proc.returncode == 2, (args, proc.stderr)
        assert_clean_stderr(proc.stderr)
        assert str(config) in proc.stderr
        assert f"unknown key {key!r}" in proc.stderr
    assert not (project / "sub" / "deeper" / "out.jsonl").exists()


def test_invalid_toml_config_is_refused(project, cli):
    (project / "cleaner.toml").write_text('ignore = ["NAV"\n', encoding="utf-8")
    proc = cli("run", "seeds", cwd=project)
    assert proc.returncode == 2
    assert_clean_stderr(proc.stderr)
    assert str(project / "cleaner.toml") in proc.stderr
