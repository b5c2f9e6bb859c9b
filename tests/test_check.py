"""`cleaner check`: findings as `path:line: CODE message`, --fix, --diff, output formats, DUP001.

Every scenario works on its own copy of the seeds (check --fix rewrites files in place); the
scenarios' CLI runs are started side by side by one module fixture and the tests assert on them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from types import SimpleNamespace

import pytest

from conftest import (
    SEED_A,
    SEED_B,
    SEED_BOILERPLATE,
    SEEDS_DIR,
    UNRELATED_TXT,
    assert_clean_stderr,
    invoke as run_cli,
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


def make_work(base):
    """base holding seeds/ (the two seeds and one article without findings), mtimes set to OLD."""
    seeds = base / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    shutil.copy(UNRELATED_TXT, seeds / CLEAN)
    for f in seeds.iterdir():
        os.utime(f, ns=(OLD * 10**9, OLD * 10**9))
    return base


def snapshot(folder):
    return {f.name: (f.read_bytes(), f.stat().st_mtime_ns, stat.S_IMODE(f.stat().st_mode)) for f in sorted(folder.iterdir())}


def job_plain(work):
    before = snapshot(work / "seeds")
    proc = run_cli("check", "seeds", cwd=work)
    return SimpleNamespace(proc=proc, before=before, after=snapshot(work / "seeds"))


def job_fix(work):
    seeds = work / "seeds"
    before = snapshot(seeds)
    first = run_cli("check", "--fix", "seeds", cwd=work)
    after_first = snapshot(seeds)
    texts = {name: (seeds / name).read_text(encoding="utf-8") for name in SEED_BOILERPLATE}
    again = run_cli("check", "--fix", "seeds", cwd=work)
    plain = run_cli("check", "seeds", cwd=work)
    return SimpleNamespace(first=first, again=again, plain=plain, before=before, after_first=after_first,
                           after_again=snapshot(seeds), texts=texts)


def job_exit_non_zero(work):
    first = run_cli("check", "--fix", "--exit-non-zero-on-fix", "seeds", cwd=work)
    text = (work / "seeds" / SEED_B).read_text(encoding="utf-8")
    again = run_cli("check", "--fix", "--exit-non-zero-on-fix", "seeds", cwd=work)
    return SimpleNamespace(first=first, again=again, text=text)


def job_crlf(work):
    target = work / "seeds" / SEED_A
    target.write_bytes(seed_text(SEED_A).replace("\n", "\r\n").encode("utf-8"))
    target.chmod(0o640)
    proc = run_cli("check", "--fix", "seeds", cwd=work)
    return SimpleNamespace(proc=proc, data=target.read_bytes(), mode=stat.S_IMODE(target.stat().st_mode))


def job_diff(work):
    # Files ending with a newline here; the seeds as shipped (no final newline) are job_diff_raw.
    for name in (SEED_A, SEED_B):
        path = work / "seeds" / name
        path.write_text(seed_text(name) + "\n", encoding="utf-8")
        os.utime(path, ns=(OLD * 10**9, OLD * 10**9))
    before = snapshot(work / "seeds")
    proc = run_cli("check", "--diff", "seeds", cwd=work)
    return SimpleNamespace(proc=proc, before=before, after=snapshot(work / "seeds"))


def job_diff_raw(work):
    return SimpleNamespace(proc=run_cli("check", "--diff", "--quiet", "seeds", cwd=work), work=work)


def job_format(fmt):
    return lambda work: run_cli("check", "--output-format", fmt, "seeds", cwd=work)


def job_dup(work):
    seeds = work / "seeds"
    shutil.copy(seeds / SEED_A, seeds / "zz_copy.txt")
    selected = run_cli("check", "--select", "DUP", "seeds", cwd=work)
    fixed = run_cli("check", "--fix", "seeds", cwd=work)
    return SimpleNamespace(selected=selected, fixed=fixed)


JOBS = {
    "plain": job_plain,
    "fix": job_fix,
    "exit_non_zero": job_exit_non_zero,
    "crlf": job_crlf,
    "diff": job_diff,
    "diff_raw": job_diff_raw,
    "json": job_format("json"),
    "github": job_format("github"),
    "bad_format": job_format("sarif-ish"),
    "dup": job_dup,
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    bases = {name: tmp_path_factory.mktemp(f"check_{name}") for name in JOBS}
    return {name: job(make_work(bases[name])) for name, job in JOBS.items()}  # in-process: each run takes milliseconds


def test_check_reports_every_boilerplate_line(runs):
    r = runs["plain"]
    proc = r.proc
    assert proc.returncode == 1, proc.stderr
    assert_clean_stderr(proc.stderr)
    assert_codes_match(parse_findings(proc.stdout), expected_findings())
    assert "Photo Credit: Marine Corps Sgt. Branden Bourque" in proc.stdout
    assert "fixable with --fix" in proc.stdout
    assert "checked 3 file(s)" in proc.stderr
    assert r.after == r.before, "check without --fix writes nothing"


def test_fix_removes_boilerplate_and_keeps_everything_else(runs):
    r = runs["fix"]
    assert r.first.returncode == 0, r.first.stdout + r.first.stderr
    assert_clean_stderr(r.first.stderr)
    assert r.first.stdout == ""
    assert "fixed 2 file(s)" in r.first.stderr
    for name, boiler in SEED_BOILERPLATE.items():
        original = seed_text(name).split("\n")
        fixed = r.texts[name]
        drop = {text for text, _ in boiler}
        for text in drop:
            assert text not in fixed.split("\n")
        # every other line is kept, exactly and in order
        assert [l for l in fixed.split("\n") if l.strip()] == [l for l in original if l.strip() and l.strip() not in drop]


def test_fix_leaves_files_without_findings_untouched(runs):
    r = runs["fix"]
    assert r.after_first[CLEAN] == r.before[CLEAN], "same bytes, same mtime, same mode"


def test_second_fix_changes_nothing(runs):
    r = runs["fix"]
    assert r.again.returncode == 0, r.again.stdout + r.again.stderr
    assert r.after_again == r.after_first, "byte-identical, not even rewritten (mtimes kept)"
    assert r.plain.returncode == 0 and r.plain.stdout == ""
    assert "no findings" in r.plain.stderr


def test_fix_keeps_blank_line_layout(runs):
    fixed = runs["fix"].texts[SEED_A]
    assert fixed.startswith("The US early Monday morning"), "leading credit and caption gone, no leading blank lines left"
    assert "\n\nPentagon spokesman John Kirby" in fixed
    assert fixed.rstrip("\n").endswith("[Iranian-backed terrorism].’”")


def test_exit_non_zero_on_fix(runs):
    r = runs["exit_non_zero"]
    assert r.first.returncode == 1, r.first.stdout + r.first.stderr
    assert "Leave a Comment" not in r.text
    assert r.again.returncode == 0, "nothing left to fix"


def test_fix_preserves_crlf_and_permissions(runs):
    r = runs["crlf"]
    assert r.proc.returncode == 0, r.proc.stdout + r.proc.stderr
    assert b"\r\n" in r.data
    assert re.search(rb"(?<!\r)\n", r.data) is None, "every newline is still CRLF"
    assert b"Photo Credit" not in r.data and b"Previous article" not in r.data
    assert b"The US early Monday morning" in r.data
    assert r.mode == 0o640


def test_diff_shows_patch_and_writes_nothing(runs):
    r = runs["diff"]
    proc = r.proc
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
    assert r.after == r.before


def test_diff_of_file_without_final_newline_is_a_valid_patch(runs):
    assert not seed_text(SEED_A).endswith("\n")
    r = runs["diff_raw"]
    proc = r.proc
    assert proc.returncode == 1
    diff = proc.stdout[: proc.stdout.index(f"seeds/{SEED_A}:1: ")]  # the findings follow the patch
    for line in diff.splitlines():
        assert line[:1] in (" ", "-", "+", "@", "\\"), f"not a unified-diff line: {line[:80]!r}"
    assert "-David writes news at" in diff.splitlines()
    if shutil.which("patch"):
        applied = subprocess.run(["patch", "-p1", "--dry-run"], input=diff.encode(), cwd=r.work, capture_output=True)
        assert applied.returncode == 0, applied.stdout.decode() + applied.stderr.decode()


def test_json_output(runs):
    proc = runs["json"]
    assert proc.returncode == 1
    findings = json.loads(proc.stdout)
    assert isinstance(findings, list)
    for f in findings:
        assert {"code", "path", "line", "message"} <= set(f)
    got = sorted((f["path"], f["line"], f["code"]) for f in findings)
    assert_codes_match(got, expected_findings())


def test_github_output(runs):
    proc = runs["github"]
    assert proc.returncode == 1
    pattern = re.compile(r"^::error file=(?P<path>[^,]+),line=(?P<line>\d+),title=(?P<code>[A-Z]{2,5}\d{3})[^:]*::.+$")
    got = []
    for line in proc.stdout.splitlines():
        match = pattern.match(line)
        assert match, line
        got.append((match["path"], int(match["line"]), match["code"]))
    assert_codes_match(sorted(got), expected_findings())


def test_unknown_output_format_is_a_usage_error(runs):
    proc = runs["bad_format"]
    assert proc.returncode == 2
    assert "--output-format" in proc.stderr
    assert_clean_stderr(proc.stderr)


def test_duplicate_file_reported_with_dup001(runs):
    r = runs["dup"]
    assert r.selected.returncode == 1
    assert parse_findings(r.selected.stdout) == [("seeds/zz_copy.txt", 1, "DUP001")]
    assert f"duplicates seeds/{SEED_A}:1" in r.selected.stdout
    # DUP001 is not fixable: --fix fixes the boilerplate but the duplicate stays reported
    assert r.fixed.returncode == 1
    assert parse_findings(r.fixed.stdout) == [("seeds/zz_copy.txt", 1, "DUP001")]
    assert "no automatic fix" in r.fixed.stdout


def test_fix_cuts_a_consent_wall_off_the_title_line_and_keeps_the_title(tmp_path):
    """A ``cut`` rule (CON001) takes the end of a line: check reports it on that line, --fix writes
    the line's start (its indentation kept) and the file's other lines as they were."""
    body = "The minister said on Thursday that the new rail line would open in March, two years later than planned."
    wall = "We use cookies to improve your experience and to show you relevant ads. Accept all cookies to continue."
    article = tmp_path / "a.txt"
    article.write_text(f"  Rail line delayed again {wall}\n\n{body}\n", encoding="utf-8")
    found = run_cli("check", "a.txt", "--output-format", "json", cwd=tmp_path)
    assert found.returncode == 1, found.stderr
    [finding] = json.loads(found.stdout)
    assert (finding["line"], finding["code"]) == (1, "CON001") and "We use cookies" in finding["message"]
    fixed = run_cli("check", "a.txt", "--fix", cwd=tmp_path)
    assert fixed.returncode == 0 and "fixed 1 file(s)" in fixed.stderr, fixed.stderr
    assert article.read_text(encoding="utf-8") == f"  Rail line delayed again\n\n{body}\n"
    again = run_cli("check", "a.txt", cwd=tmp_path)
    assert again.returncode == 0, again.stdout
