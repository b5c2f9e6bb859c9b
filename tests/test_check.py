"""`cleaner check`: findings as `path:line: CODE message`, --fix, --diff, output formats, DUP001.

Every test works on its own copy of the seeds (check --fix rewrites files in place).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess

import pytest

from conftest import (
    SEED_A,
    SEED_B,
    SEED_BOILERPLATE,
    UNRELATED_TXT,
    assert_clean_stderr,
    seed_line_number,
    seed_text,
)

FINDING = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+): (?P<code>[A-Z]{2,5}\d{3}) (?P<message>.+)$")
CLEAN = "clean_article.txt"
OLD = 1_000_000_000  # an mtime far in the past, so that any rewrite is visible


def expected_findings(folder: str = "seeds") -> list[tuple[str, int, str]]:
    """(path, line, code or code prefix) of every boilerplate line of both seeds, sorted."""
    out = []
    for name, lines in SEED_BOILERPLATE.items():
        for text, code in lines:
            out.append((f"{folder}/{name}", seed_line_number(name, text), code))
    return sorted(out)


def parse_findings(stdout: str) -> list[tuple[str, int, str]]:
    found = []
    for line in stdout.splitlines():
        match = FINDING.match(line)
        assert match, f"not a `path:line: CODE message` line: {line!r}"
        found.append((match["path"], int(match["line"]), match["code"]))
    return found


def assert_codes_match(found, expected):
    assert len(found) == len(expected), (found, expected)
    for (path, line, code), (e_path, e_line, e_code) in zip(found, expected):
        assert (path, line) == (e_path, e_line), (found, expected)
        assert code.startswith(e_code), (path, line, code, e_code)


@pytest.fixture
def work(tmp_path, seeds_copy):
    """tmp_path holding seeds/ (the two seeds and one article without findings), mtimes set to OLD."""
    shutil.copy(UNRELATED_TXT, seeds_copy / CLEAN)
    for f in seeds_copy.iterdir():
        os.utime(f, ns=(OLD * 10**9, OLD * 10**9))
    return tmp_path


def snapshot(folder):
    return {f.name: (f.read_bytes(), f.stat().st_mtime_ns, stat.S_IMODE(f.stat().st_mode)) for f in sorted(folder.iterdir())}


def test_check_reports_every_boilerplate_line(work, cli):
    before = snapshot(work / "seeds")
    proc = cli("check", "seeds", cwd=work)
    assert proc.returncode == 1, proc.stderr
    assert_clean_stderr(proc.stderr)
    assert_codes_match(parse_findings(proc.stdout), expected_findings())
    assert "Photo Credit: Marine Corps Sgt. Branden Bourque" in proc.stdout
    assert "fixable with --fix" in proc.stdout
    assert "checked 3 file(s)" in proc.stderr
    assert snapshot(work / "seeds") == before, "check without --fix writes nothing"


def test_fix_removes_boilerplate_and_keeps_everything_else(work, cli):
    seeds = work / "seeds"
    clean_before = (seeds / CLEAN).read_bytes(), (seeds / CLEAN).stat().st_mtime_ns
    proc = cli("check", "--fix", "seeds", cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_clean_stderr(proc.stderr)
    assert proc.stdout == ""
    assert "fixed 2 file(s)" in proc.stderr
    for name, boiler in SEED_BOILERPLATE.items():
        original = seed_text(name).split("\n")
        fixed = (seeds / name).read_text(encoding="utf-8")
        drop = {text for text, _ in boiler}
        for text in drop:
            assert text not in fixed.split("\n")
        # every other line is kept, exactly and in order
        assert [l for l in fixed.split("\n") if l.strip()] == [l for l in original if l.strip() and l.strip() not in drop]
    # the file without findings is untouched: same bytes, same mtime
    assert ((seeds / CLEAN).read_bytes(), (seeds / CLEAN).stat().st_mtime_ns) == clean_before

    # a second --fix changes nothing and finds nothing
    after_first = snapshot(seeds)
    again = cli("check", "--fix", "seeds", cwd=work)
    assert again.returncode == 0, again.stdout + again.stderr
    assert snapshot(seeds) == after_first
    # and a plain check is now clean
    plain = cli("check", "seeds", cwd=work)
    assert plain.returncode == 0 and plain.stdout == ""
    assert "no findings" in plain.stderr


def test_fix_keeps_blank_line_layout(work, cli):
    seeds = work / "seeds"
    cli("check", "--fix", "seeds", cwd=work)
    fixed = (seeds / SEED_A).read_text(encoding="utf-8")
    assert fixed.startswith("The US early Monday morning"), "leading credit and caption gone, no leading blank lines left"
    assert "\n\nPentagon spokesman John Kirby" in fixed
    assert fixed.rstrip("\n").endswith("[Iranian-backed terrorism].’”")


def test_exit_non_zero_on_fix(work, cli):
    proc = cli("check", "--fix", "--exit-non-zero-on-fix", "seeds", cwd=work)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Leave a Comment" not in (work / "seeds" / SEED_B).read_text(encoding="utf-8")
    again = cli("check", "--fix", "--exit-non-zero-on-fix", "seeds", cwd=work)
    assert again.returncode == 0, "nothing left to fix"


def test_fix_preserves_crlf_and_permissions(work, cli):
    target = work / "seeds" / SEED_A
    target.write_bytes(seed_text(SEED_A).replace("\n", "\r\n").encode("utf-8"))
    target.chmod(0o640)
    proc = cli("check", "--fix", "seeds", cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = target.read_bytes()
    assert b"\r\n" in data
    assert re.search(rb"(?<!\r)\n", data) is None, "every newline is still CRLF"
    assert b"Photo Credit" not in data and b"Previous article" not in data
    assert b"The US early Monday morning" in data
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_diff_shows_patch_and_writes_nothing(work, cli):
    # Files ending with a newline here; the seeds as shipped (no final newline) are tested below.
    for name in (SEED_A, SEED_B):
        path = work / "seeds" / name
        path.write_text(seed_text(name) + "\n", encoding="utf-8")
        os.utime(path, ns=(OLD * 10**9, OLD * 10**9))
    before = snapshot(work / "seeds")
    proc = cli("check", "--diff", "seeds", cwd=work)
    assert proc.returncode == 1
    assert_clean_stderr(proc.stderr)
    out = proc.stdout
    assert f"--- a/seeds/{SEED_A}" in out and f"+++ b/seeds/{SEED_A}" in out
    assert f"--- a/seeds/{SEED_B}" in out and f"+++ b/seeds/{SEED_B}" in out
    assert re.search(r"^@@ -\d+(,\d+)? \+\d+(,\d+)? @@", out, re.M)
    removed = {l[1:] for l in out.splitlines() if l.startswith("-") and not l.startswith("---")}
    for name, boiler in SEED_BOILERPLATE.items():
        for text, _ in boiler:
            assert text in removed
    added = [l for l in out.splitlines() if l.startswith("+") and not l.startswith("+++")]
    assert all(not l[1:].strip() for l in added), f"the fix only removes lines: {added}"
    assert CLEAN not in out
    assert snapshot(work / "seeds") == before


@pytest.mark.xfail(
    strict=True,
    reason="check.py _diff: difflib output for a file without a final newline glues the last '-' line "
    "to the next '+' line (no '\\ No newline at end of file' marker), so the patch is corrupt",
)
def test_diff_of_file_without_final_newline_is_a_valid_patch(work, cli):
    assert not seed_text(SEED_A).endswith("\n")
    proc = cli("check", "--diff", "--quiet", "seeds", cwd=work)
    assert proc.returncode == 1
    diff = proc.stdout[: proc.stdout.index(f"seeds/{SEED_A}:1: ")]  # the findings follow the patch
    for line in diff.splitlines():
        assert line[:1] in (" ", "-", "+", "@", "\\"), f"not a unified-diff line: {line[:80]!r}"
    assert "-David writes news at" in diff.splitlines()
    if shutil.which("patch"):
        applied = subprocess.run(["patch", "-p1", "--dry-run"], input=diff.encode(), cwd=work, capture_output=True)
        assert applied.returncode == 0, applied.stdout.decode() + applied.stderr.decode()


def test_json_output(work, cli):
    proc = cli("check", "--output-format", "json", "seeds", cwd=work)
    assert proc.returncode == 1
    findings = json.loads(proc.stdout)
    assert isinstance(findings, list)
    for f in findings:
        assert {"code", "path", "line", "message"} <= set(f)
    got = sorted((f["path"], f["line"], f["code"]) for f in findings)
    assert_codes_match(got, expected_findings())


def test_github_output(work, cli):
    proc = cli("check", "--output-format", "github", "seeds", cwd=work)
    assert proc.returncode == 1
    pattern = re.compile(r"^::error file=(?P<path>[^,]+),line=(?P<line>\d+),title=(?P<code>[A-Z]{2,5}\d{3})[^:]*::.+$")
    got = []
    for line in proc.stdout.splitlines():
        match = pattern.match(line)
        assert match, line
        got.append((match["path"], int(match["line"]), match["code"]))
    assert_codes_match(sorted(got), expected_findings())


def test_unknown_output_format_is_a_usage_error(work, cli):
    proc = cli("check", "--output-format", "sarif-ish", "seeds", cwd=work)
    assert proc.returncode == 2
    assert "--output-format" in proc.stderr
    assert_clean_stderr(proc.stderr)


def test_duplicate_file_reported_with_dup001(work, cli):
    seeds = work / "seeds"
    shutil.copy(seeds / SEED_A, seeds / "zz_copy.txt")
    proc = cli("check", "--select", "DUP", "seeds", cwd=work)
    assert proc.returncode == 1
    found = parse_findings(proc.stdout)
    assert found == [("seeds/zz_copy.txt", 1, "DUP001")]
    assert f"duplicates seeds/{SEED_A}:1" in proc.stdout
    # DUP001 is not fixable: --fix fixes the boilerplate but the duplicate stays reported
    fixed = cli("check", "--fix", "seeds", cwd=work)
    assert fixed.returncode == 1
    assert parse_findings(fixed.stdout) == [("seeds/zz_copy.txt", 1, "DUP001")]
    assert "no automatic fix" in fixed.stdout
