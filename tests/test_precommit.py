"""The pre-commit hooks, end to end: a real git repository, the real ``pre-commit`` and the project's manifest.

Choice of setup: the manifest's hooks are ``language: system`` (they run the ``cleaner`` that built the
corpus index), so the test puts a ``cleaner`` shim on ``PATH`` that runs this checkout with the test's
Python. The corpus repository's ``.pre-commit-config.yaml`` points at a throwaway git repository holding a
copy of the project's ``.pre-commit-hooks.yaml`` (committed there, so ``repo:``/``rev:`` resolve offline
whatever the state of the project's own work tree); ``pre-commit install`` then makes ``git commit`` run
the hook, and ``pre-commit try-repo`` runs ``cleaner-fix`` from the same manifest. ``PRE_COMMIT_HOME``
is in the test's temporary folder; nothing touches the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_index import article, near_copy, write

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / ".pre-commit-hooks.yaml"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def sh(args: list[str], cwd: Path, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture
def env(tmp_path):
    pytest.importorskip("pre_commit")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "cleaner"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m cleaner "$@"\n')
    shim.chmod(0o755)
    return dict(
        os.environ,
        PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.com",
        GIT_CONFIG_NOSYSTEM="1", HOME=str(tmp_path),
    )


def hooks_repo(tmp_path: Path, env: dict) -> tuple[Path, str]:
    repo = tmp_path / "hooks"
    repo.mkdir()
    shutil.copy(MANIFEST, repo / ".pre-commit-hooks.yaml")
    sh(["git", "init", "-q"], repo, env)
    sh(["git", "add", ".pre-commit-hooks.yaml"], repo, env)
    sh(["git", "commit", "-q", "-m", "hooks"], repo, env)
    return repo, sh(["git", "rev-parse", "HEAD"], repo, env).stdout.strip()


def test_commit_is_refused_then_accepted_after_fix_and_removing_the_duplicate(tmp_path, env):
    hooks, rev = hooks_repo(tmp_path, env)
    repo = tmp_path / "corpus-repo"
    for n in range(30):
        write(repo / "corpus" / f"c{n:03d}.txt", article(n))
    write(repo / ".gitignore", ".cleaner/\n")
    write(repo / ".pre-commit-config.yaml", f"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n  - id: cleaner-check\n")
    sh(["git", "init", "-q"], repo, env)
    sh(["git", "add", "."], repo, env)
    sh(["git", "commit", "-q", "-m", "corpus"], repo, env)
    sh([sys.executable, "-m", "pre_commit", "install"], repo, env)
    built = sh(["cleaner", "index", "build", "corpus"], repo, env)
    assert (repo / ".cleaner" / "index.sqlite").is_file(), built.stderr

    write(repo / "new" / "clean.txt", article(100))
    write(repo / "new" / "boiler.txt", article(101) + "\nLeave a Comment\n")
    write(repo / "new" / "dup.txt", near_copy(article(7)))
    sh(["git", "add", "new"], repo, env)
    refused = sh(["git", "commit", "-m", "new articles"], repo, env, check=False)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert "cleaner check" in out and "Failed" in out
    assert "new/boiler.txt:9: COM001 boilerplate (comment-form-label): 'Leave a Comment' [fixable with --fix]" in out
    assert "new/dup.txt:1: DUP001 duplicates indexed article corpus/c007.txt:1" in out and "[no automatic fix]" in out
    assert "new/clean.txt" not in out
    assert sh(["git", "rev-list", "--count", "HEAD"], repo, env).stdout.strip() == "1"

    # cleaner-fix, from the same manifest: rewrites the file and fails because it changed it
    fixed = sh([sys.executable, "-m", "pre_commit", "try-repo", str(hooks), "cleaner-fix", "--ref", rev, "--files", "new/boiler.txt"], repo, env, check=False)
    assert fixed.returncode == 1 and "files were modified by this hook" in fixed.stdout, fixed.stdout + fixed.stderr
    assert "Leave a Comment" not in (repo / "new" / "boiler.txt").read_text(encoding="utf-8")
    sh(["git", "rm", "-q", "-f", "new/dup.txt"], repo, env)
    sh(["git", "add", "new"], repo, env)
    accepted = sh(["git", "commit", "-m", "new articles"], repo, env, check=False)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "cleaner check" in accepted.stderr and "Passed" in accepted.stderr
    assert sh(["git", "ls-files", "new"], repo, env).stdout.split() == ["new/boiler.txt", "new/clean.txt"]


def test_manifest_hooks_see_all_staged_files_at_once():
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))}
    assert set(hooks) == {"cleaner-check", "cleaner-fix"}
    assert all(h["require_serial"] for h in hooks.values())  # duplicates are found across files
    assert hooks["cleaner-fix"]["entry"].split()[1:] == ["check", "--fix", "--exit-non-zero-on-fix"]
