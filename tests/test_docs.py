"""Every command has help and a place in the README; the README's commands are the CI's."""

from __future__ import annotations

import re

import pytest
import typer.main

from cleaner.cli import app
from conftest import ROOT, invoke as run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands(group: typer.Typer, prefix: str = "") -> list[str]:
    click_group = typer.main.get_command(group)
    out = []
    for name, command in click_group.commands.items():
        if hasattr(command, "commands"):
            out += [f"{prefix}{name} {sub}" for sub in command.commands]
        else:
            out.append(prefix + name)
    return sorted(out)


ALL = commands(app)


def test_the_command_list_is_what_the_issue_asks_for():
    assert ALL == sorted(
        ["clean", "dedup", "run", "check", "rules list", "rules show", "rules test", "rules learn",
         "index build", "index update", "index stats", "report"]
    )


@pytest.mark.parametrize("command", ALL)
def test_every_command_has_help_and_is_documented(command, tmp_path):
    proc = run_cli(*command.split(), "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout
    group, _, verb = command.partition(" ")
    documented = f"cleaner {command}" in README or (verb and re.search(rf"cleaner {group} [^\n]*\b{verb}\b", README))
    assert documented, f"README does not document `cleaner {command}`"


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert f"```sh\n{ci}\n```" in README
