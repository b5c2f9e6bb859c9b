"""The pre-commit hooks, end to end: the real ``pre-commit`` installs the hook from a tagged clone.

Setup: the project's files as they are in the work tree (what ``git ls-files`` lists, plus files not yet
added, so the test exercises the working tree, and a fresh CI clone too) are committed to a throwaway git
repository and tagged with the README's ``rev:``. A corpus repository uses the README's recommended
``.pre-commit-config.yaml`` with ``repo:`` pointing at that clone; ``pre-commit install --install-hooks``
makes a virtualenv and pip-installs cleaner and its dependencies there (``language: python``), exactly as
for a user. That install is the slow part (about 20 s, mostly unpacking scipy and numpy), so it is done
once per test session: ``PRE_COMMIT_HOME`` is one folder for the session and both corpus repositories
pin the same clone and tag. ``HOME`` is left alone so pip reuses the user's wheel cache; git reads no
user or system configuration (``GIT_CONFIG_GLOBAL``, ``GIT_CONFIG_NOSYSTEM``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, invoke, paragraphs
from tests.test_index import article, near_copy, write

MANIFEST = ROOT / ".pre-commit-hooks.yaml"
README = ROOT / "README.md"
NOTICE = "note: no corpus index at .cleaner/index.sqlite: the checked files are compared only with each other; build one with `cleaner index build PATH...`"
FINDING = re.compile(r"^(\S+):\d+: ([A-Z]{2,5}\d{3}) ", re.M)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def sh(args: list[str], cwd: Path, env: dict, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def readme_config() -> dict:
    """The one ``.pre-commit-config.yaml`` the README's "As a pre-commit hook" section recommends."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### As a pre-commit hook\n", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) == 1, f"the section should recommend exactly one configuration, it has {len(blocks)}"
    return yaml.safe_load(blocks[0])


def findings(output: str) -> list[tuple[str, str]]:
    """(path, code) of every finding line in a hook's output, in order."""
    return FINDING.findall(output)


@pytest.fixture(scope="session")
def git_env(tmp_path_factory) -> dict:
    """Environment for git and pre-commit: no user git configuration, one PRE_COMMIT_HOME per session."""
    home = tmp_path_factory.mktemp("pre-commit")
    (home / "gitconfig").write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}  # e.g. GIT_DIR when run from a hook
    env.update(
        GIT_CONFIG_GLOBAL=str(home / "gitconfig"), GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.com",
        PRE_COMMIT_HOME=str(home / "cache"),
    )
    return env


@pytest.fixture(scope="session")
def hooks_clone(tmp_path_factory, git_env) -> Path:
    """A git repository of the project's work-tree files, tagged with the README's ``rev:``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, env=git_env, capture_output=True)
    if listed.returncode != 0:
        pytest.skip("the project is not a git checkout: the hook test clones its files")
    repo = tmp_path_factory.mktemp("hooks")
    for name in listed.stdout.decode("utf-8").split("\0"):
        if name and (ROOT / name).is_file():  # a file deleted but not yet staged is left out, as git would
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    sh(["git", "init", "-q"], repo, git_env)
    sh(["git", "add", "-A"], repo, git_env)
    sh(["git", "commit", "-q", "-m", "release"], repo, git_env)
    sh(["git", "tag", readme_config()["repos"][0]["rev"]], repo, git_env)
    return repo


def corpus_repo(path: Path, hooks: Path, env: dict, articles: int = 30) -> Path:
    """A committed corpus (corpus/c000.txt ...) with the README's config and ``pre-commit install``."""
    for n in range(articles):
        write(path / "corpus" / f"c{n:03d}.txt", article(n))
    write(path / ".gitignore", ".cleaner/\n")
    config = readme_config()
    config["repos"][0]["repo"] = str(hooks)
    write(path / ".pre-commit-config.yaml", yaml.safe_dump(config, sort_keys=False))
    sh(["git", "init", "-q"], path, env)
    sh(["git", "add", "."], path, env)
    sh(["git", "commit", "-q", "-m", "corpus"], path, env)
    sh([sys.executable, "-m", "pre_commit", "install", "--install-hooks"], path, env, timeout=1200)
    return path


def html_page(seed: int, extra: str) -> str:
    """An HTML article (a page cleaner reports but does not fix) with one extra paragraph at the end."""
    paras = "".join(f"<p>{p}</p>" for p in article(seed).split("\n\n"))
    return f"<html><head><title>Page {seed}</title></head><body><article>{paras}{extra}</article></body></html>\n"


def commit(repo: Path, env: dict) -> tuple[int, str]:
    done = sh(["git", "commit", "-m", "new articles"], repo, env, check=False, timeout=600)
    return done.returncode, done.stdout + done.stderr


def test_commit_reports_each_finding_once_then_goes_through_after_the_fixes(tmp_path, git_env, hooks_clone):
    repo = corpus_repo(tmp_path / "corpus-repo", hooks_clone, git_env)
    built = invoke("index", "build", "corpus", cwd=repo)
    assert built.returncode == 0 and (repo / ".cleaner" / "index.sqlite").is_file(), built.stderr

    write(repo / "new" / "clean.txt", article(100))
    write(repo / "new" / "boiler.txt", article(101) + "\nLeave a Comment\n")  # fixable: the hook fixes it
    write(repo / "new" / "page.html", html_page(102, "<p>Leave a Comment</p>"))  # reported, not fixable
    write(repo / "new" / "dup.txt", near_copy(article(7)))  # a copy of a committed article
    sh(["git", "add", "new"], repo, git_env)
    code, out = commit(repo, git_env)
    assert code != 0, out
    assert "cleaner" in out and "Failed" in out and "files were modified by this hook" in out, out
    # each finding exactly once: one hook reports what it could not fix, nothing is checked twice
    assert findings(out) == [("new/dup.txt", "DUP001"), ("new/page.html", "COM001")], out
    assert "new/dup.txt:1: DUP001 duplicates indexed article corpus/c007.txt:1" in out
    # the line is that of the page's extracted text (trafilatura decides how many lines come before it)
    assert re.search(r"new/page\.html:\d+: COM001 boilerplate \(comment-form-label\): 'Leave a Comment' \[no automatic fix\]", out), out
    assert "fixed 1 file(s)" in out and "no corpus index" not in out, out
    fixed = (repo / "new" / "boiler.txt").read_text(encoding="utf-8")
    assert paragraphs(fixed) == paragraphs(article(101)), fixed
    assert sh(["git", "rev-list", "--count", "HEAD"], repo, git_env).stdout.strip() == "1"

    # the user stages the fix, removes the copy and the page's boilerplate paragraph
    write(repo / "new" / "page.html", html_page(102, ""))
    sh(["git", "rm", "-q", "-f", "new/dup.txt"], repo, git_env)
    sh(["git", "add", "new"], repo, git_env)
    code, out = commit(repo, git_env)
    assert code == 0, out
    assert re.search(r"^cleaner\.+Passed$", out, re.M), out
    assert sh(["git", "ls-files", "new"], repo, git_env).stdout.split() == ["new/boiler.txt", "new/clean.txt", "new/page.html"]


def test_commit_without_an_index_says_so_once(tmp_path, git_env, hooks_clone):
    repo = corpus_repo(tmp_path / "corpus-repo", hooks_clone, git_env, articles=5)
    write(repo / "new" / "copy.txt", near_copy(article(2)))  # a copy of corpus/c002.txt: not found without an index
    write(repo / "new" / "page.html", html_page(103, "<p>Leave a Comment</p>"))  # a finding, so pre-commit shows the output
    sh(["git", "add", "new"], repo, git_env)
    code, out = commit(repo, git_env)
    assert code != 0, out
    assert findings(out) == [("new/page.html", "COM001")], out
    assert out.count(NOTICE) == 1 and out.count("note:") == 1, out


@pytest.mark.parametrize(
    ("args", "noted"),
    [((), True), (("--fix", "--exit-non-zero-on-fix"), True), (("--no-index",), False), (("-q",), False)],
    ids=["check", "fix", "no-index", "quiet"],
)
def test_check_notes_a_missing_index_once_without_failing(tmp_path, args, noted):
    write(tmp_path / "a.txt", article(1))
    write(tmp_path / "b.txt", article(2))
    done = invoke("check", *args, "a.txt", "b.txt", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert done.stderr.count(NOTICE) == (1 if noted else 0), done.stderr
    assert ("note:" in done.stderr) == noted


def test_check_with_an_index_has_no_notice(tmp_path):
    write(tmp_path / "corpus" / "c.txt", article(1))
    assert invoke("index", "build", "corpus", cwd=tmp_path).returncode == 0
    write(tmp_path / "new.txt", near_copy(article(1)))
    done = invoke("check", "new.txt", cwd=tmp_path)
    assert done.returncode == 1 and "new.txt:1: DUP001 duplicates indexed article corpus/c.txt:1" in done.stdout
    assert "note:" not in done.stderr, done.stderr


def test_manifest_offers_one_fixing_hook_and_one_report_only_hook():
    hooks = {h["id"]: h for h in yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))}
    assert set(hooks) == {"cleaner", "cleaner-check"}
    assert hooks["cleaner"]["entry"].split() == ["cleaner", "check", "--fix", "--exit-non-zero-on-fix"]
    assert hooks["cleaner-check"]["entry"].split() == ["cleaner", "check"]
    for hook in hooks.values():
        assert hook["language"] == "python"  # pre-commit installs cleaner itself: nothing needed on PATH
        assert hook["require_serial"]  # duplicates are found across files: all staged files in one process
        assert hook["files"] == r"\.(txt|md|html?|html?\.gz|jsonl|jsonl\.gz)$"


def test_readme_recommends_one_hook_at_the_release_tag():
    from cleaner import __version__

    (repo,) = readme_config()["repos"]
    assert [h["id"] for h in repo["hooks"]] == ["cleaner"]  # the fixing hook alone: each finding reported once
    assert repo["rev"] == f"v{__version__}"  # releases are tagged v + the package version
