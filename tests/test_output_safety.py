"""Output safety: special files written in place, clear write errors, SIGTERM cleanup, and ``-o DIR/``
mapping every id to its own valid file name with no partial tree on failure."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import ROOT, cli_env, invoke, read_jsonl

from cleaner.writers import TreeNames

BODY = "The council approved the new budget for the harbour after a long debate on Tuesday evening."


def jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def tag(key: str) -> str:
    """The documented hash suffix: 8 hex digits of BLAKE2b over the id."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=4).hexdigest()


def tree(root: Path) -> dict[str, str]:
    """The article files of an ``-o DIR/`` tree (the records' fields file, records.jsonl, left out)."""
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file() and p.relative_to(root).as_posix() != "records.jsonl"}


def leftovers(folder: Path) -> list[str]:
    """Hidden temporary files or folders a writer left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


# ------------------------------------------------------------------ -o FILE: special files


def test_o_to_a_character_device_writes_into_it_and_keeps_the_device(tmp_path):
    jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": BODY}])
    null = tmp_path / "null"
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a private /dev/null: the real one is shared
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a device node here ({exc})")
    proc = invoke("run", "in.jsonl", "-o", "null", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    st = null.lstat()
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3), "the device was replaced"
    assert leftovers(tmp_path) == []


def test_o_to_a_fifo_streams_into_the_pipe_and_keeps_it(tmp_path):
    jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": BODY}, {"id": "b", "text": "Leave a Comment\n" + BODY.replace("harbour", "school")}])
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader is there, so opening for writing does not block
    try:
        proc = invoke("run", "in.jsonl", "-o", "pipe", "-q", cwd=tmp_path)
        data = b""
        while chunk := os.read(reader, 65536):
            data += chunk
    finally:
        os.close(reader)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced by a regular file"
    records = read_jsonl(data.decode("utf-8"))
    assert [r["id"] for r in records] == ["a", "b"] and records[1]["removed"][0]["text"] == "Leave a Comment"
    assert leftovers(tmp_path) == []


def test_o_to_a_symlink_replaces_its_target_atomically_and_keeps_the_link(tmp_path):
    jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": BODY}])
    (tmp_path / "real.jsonl").write_text("old\n", encoding="utf-8")
    (tmp_path / "link.jsonl").symlink_to("real.jsonl")
    proc = invoke("run", "in.jsonl", "-o", "link.jsonl", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "link.jsonl").is_symlink()
    assert [r["id"] for r in read_jsonl(tmp_path / "real.jsonl")] == ["a"]


# ------------------------------------------------------------------ -o as another user


def _as_nobody(work: Path, *args: str) -> subprocess.CompletedProcess:
    """``cleaner ARGS`` in ``work`` as uid/gid 65534 (or as this user when it is not root).

    As root, the interpreter (which may live where uid 65534 cannot read) starts as root, runs
    the same command once into a scratch file so every module it needs is imported, then drops
    to uid 65534 and runs the command: every file operation of that run is the other user's.
    """
    if os.geteuid() != 0:
        code = "import sys; from cleaner.cli import app; app(sys.argv[1:], prog_name='cleaner')"
    else:
        code = (
            "import os, sys\n"
            "from cleaner.cli import app\n"
            "warm = sys.argv[1:]\n"
            "warm[warm.index('-o') + 1] = 'warm.jsonl'\n"
            "app(warm + ['-q'], prog_name='cleaner', standalone_mode=False)\n"
            "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
            "app(sys.argv[1:], prog_name='cleaner')\n"
        )
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=work, env=cli_env(), capture_output=True, timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


@pytest.fixture
def shared_dir():
    """A folder every user can write, with a world-readable input file (tmp_path is private to root)."""
    work = Path(tempfile.mkdtemp(prefix="cleaner-shared-"))
    os.chmod(work, 0o777)
    jsonl(work / "in.jsonl", [{"id": "a", "text": BODY}])
    os.chmod(work / "in.jsonl", 0o644)
    yield work
    shutil.rmtree(work, ignore_errors=True)


def test_o_dev_stdout_as_another_user_writes_to_standard_output(shared_dir):
    proc = _as_nobody(shared_dir, "run", "in.jsonl", "-o", "/dev/stdout")
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in read_jsonl(proc.stdout)] == ["a"]
    assert os.path.islink("/dev/stdout") or not os.path.isfile("/dev/stdout"), "/dev/stdout was replaced"


def test_o_into_a_read_only_folder_is_a_one_line_error(shared_dir):
    locked = shared_dir / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    proc = _as_nobody(shared_dir, "run", "in.jsonl", "-o", "locked/out.jsonl")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == "error: locked/out.jsonl: cannot write: Permission denied\n"
    assert list(locked.iterdir()) == []


# ------------------------------------------------------------------ SIGTERM


@pytest.mark.parametrize("output, jobs", [("out.jsonl", "1"), ("out.jsonl", "2"), ("out/", "1")])
def test_sigterm_mid_run_removes_the_temporary_output(tmp_path, output, jobs):
    words = BODY.split()
    records = [{"id": f"r{n}", "text": " ".join(words[n % 7 :] + words[: n % 7]) + f" Item {n}.\n" + BODY} for n in range(3000)]
    jsonl(tmp_path / "in.jsonl", records)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cleaner", "run", "in.jsonl", "-o", output, "-j", jobs, "-q"],
        cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not leftovers(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None and leftovers(tmp_path), "the run ended before it could be stopped"
    time.sleep(0.3)  # well inside the cleaning pass
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    err = err.decode()
    assert proc.returncode == 143, err
    assert err == "error: terminated; no output file written\n"
    assert leftovers(tmp_path) == [] and not (tmp_path / output).exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers ask Linux to stop them with their parent")
def test_sigkill_of_a_jobs_2_run_stops_its_workers_without_a_traceback(tmp_path):
    """A parent killed with SIGKILL cleans nothing up: its pool workers must stop with it, not go
    on and print a BrokenPipeError traceback each into the user's terminal."""
    words = BODY.split()
    records = [{"id": f"r{n}", "text": " ".join(words[n % 7 :] + words[: n % 7]) + f" Item {n}.\n" + BODY} for n in range(3000)]
    jsonl(tmp_path / "in.jsonl", records)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cleaner", "run", "in.jsonl", "-o", "out.jsonl", "-j", "2", "-q"],
        cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    workers: list[str] = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
        workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        time.sleep(0.02)
    assert len(workers) == 2 and proc.poll() is None, "the run ended before its workers could be seen"
    time.sleep(0.5)  # the workers are busy with batches
    proc.kill()
    _, err = proc.communicate(timeout=30)  # ends when the workers, which share its stderr, are gone
    assert proc.returncode == -signal.SIGKILL
    assert err.decode() == ""
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(pid) for pid in workers)
    assert not (tmp_path / "out.jsonl").exists()


def _running(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has stopped
    except FileNotFoundError:
        return False


# ------------------------------------------------------------------ -o DIR/: names


def test_ids_that_map_to_one_file_name_get_distinct_files(tmp_path):
    jsonl(tmp_path / "in.jsonl", [{"id": "story", "text": "First " + BODY}, {"id": "story.txt", "text": "Second " + BODY}])
    proc = invoke("clean", "in.jsonl", "-o", "out/", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert tree(tmp_path / "out") == {"story.txt": f"First {BODY}\n", f"story-{tag('story.txt')}.txt": f"Second {BODY}\n"}


@pytest.mark.parametrize("ids", [["x", "x.txt/y", "x.txt/z"], ["x.txt/y", "x", "x.txt/z"]])
def test_a_file_and_a_folder_of_one_name_both_get_written(tmp_path, ids):
    jsonl(tmp_path / "in.jsonl", [{"id": i, "text": f"{i} {BODY}"} for i in ids])
    proc = invoke("clean", "in.jsonl", "-o", "out/", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    if ids[0] == "x":  # the file came first: the folder gets the hash of its id path
        expected = {"x.txt": "x", f"x.txt-{tag('x.txt')}/y.txt": "x.txt/y", f"x.txt-{tag('x.txt')}/z.txt": "x.txt/z"}
    else:  # the folder came first: the file gets the hash of its id
        expected = {f"x-{tag('x')}.txt": "x", "x.txt/y.txt": "x.txt/y", "x.txt/z.txt": "x.txt/z"}
    assert tree(tmp_path / "out") == {name: f"{i} {BODY}\n" for name, i in expected.items()}


def test_a_name_too_long_for_the_file_system_is_shortened_with_a_hash(tmp_path):
    long_ascii, long_accents = "a" * 300, "é" * 200  # 300 bytes; 400 bytes in UTF-8
    jsonl(tmp_path / "in.jsonl", [{"id": long_ascii, "text": "A " + BODY}, {"id": f"d/{long_accents}.md", "text": "B " + BODY}])
    proc = invoke("clean", "in.jsonl", "-o", "out/", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    files = tree(tmp_path / "out")
    first = "a" * (255 - 13) + f"-{tag(long_ascii)}.txt"
    second = "é" * 121 + f"-{tag(f'd/{long_accents}.md')}.md"  # cut at a character boundary: 242 + 12 bytes
    assert files == {first: f"A {BODY}\n", f"d/{second}": f"B {BODY}\n"}
    assert max(len(Path(name).name.encode()) for name in files) <= 255


def test_characters_not_allowed_in_file_names_are_escaped(tmp_path):
    jsonl(tmp_path / "in.jsonl", [{"id": "a\nb", "text": "A " + BODY}, {"id": "tab\there/x\x01", "text": "B " + BODY}])
    proc = invoke("clean", "in.jsonl", "-o", "out/", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(tree(tmp_path / "out")) == ["a%0Ab.txt", "tab%09here/x%01.txt"]


def test_names_are_the_same_whatever_the_number_of_jobs(tmp_path):
    ids = ["story", "story.txt", "x", "x.txt/y", "a" * 300, "dup", "dup.txt", "dup.txt/q"] + [f"n{i}" for i in range(60)]
    jsonl(tmp_path / "in.jsonl", [{"id": i, "text": f"{n} {BODY}"} for n, i in enumerate(ids)])
    trees = {}
    for jobs in ("1", "2"):
        proc = invoke("clean", "in.jsonl", "-o", f"out{jobs}/", "-j", jobs, "-q", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        trees[jobs] = tree(tmp_path / f"out{jobs}")
    assert trees["1"] == trees["2"] and len(trees["1"]) == len(ids)
    assert sorted(trees["1"].values()) == sorted(f"{n} {BODY}\n" for n in range(len(ids)))


def test_tree_names_never_repeat_and_refuse_ids_leaving_the_folder():
    names = TreeNames(name_max=40)
    got = [names.path(i) for i in ["a", "a.txt", "a", "a.txt/b", "b" * 60, "b" * 60]]
    assert len(set(got)) == len(got) and all(len(Path(g).name.encode()) <= 40 for g in got)
    assert got[:2] == ["a.txt", f"a-{tag('a.txt')}.txt"] and got[2] == f"a-{tag('a')}.txt"
    assert got[3] == f"a.txt-{tag('a.txt')}/b.txt"
    again = TreeNames(name_max=40)
    assert [again.path(i) for i in ["a", "a.txt", "a", "a.txt/b", "b" * 60, "b" * 60]] == got
    for bad in ["", "/etc/passwd", "../up", "a/../../b"]:
        with pytest.raises(ValueError, match="not a relative path"):
            names.path(bad)


# ------------------------------------------------------------------ -o DIR/: no partial tree


def test_a_strict_stop_leaves_no_tree(tmp_path):
    good = [{"id": f"g{n}", "text": f"{n} {BODY}"} for n in range(5)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in good) + "{broken\n", encoding="utf-8")
    proc = invoke("clean", "in.jsonl", "-o", "new/", "--strict", "--no-learn", "-q", cwd=tmp_path)  # streamed: written before the stop
    assert proc.returncode == 2 and "stopped: --strict" in proc.stderr
    assert not (tmp_path / "new").exists() and leftovers(tmp_path) == []
    existing = tmp_path / "old"
    existing.mkdir()
    (existing / "g1.txt").write_text("previous\n", encoding="utf-8")
    proc = invoke("clean", "in.jsonl", "-o", "old/", "--strict", "--no-learn", "-q", cwd=tmp_path)
    assert proc.returncode == 2
    assert tree(existing) == {"g1.txt": "previous\n"} and leftovers(existing) == []


def test_into_an_existing_folder_same_names_are_replaced_and_other_files_kept(tmp_path):
    jsonl(tmp_path / "in.jsonl", [{"id": "g1", "text": BODY}, {"id": "sub/g2", "text": BODY}])
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "g1.txt").write_text("previous\n", encoding="utf-8")
    (out / "notes.md").write_text("mine\n", encoding="utf-8")
    proc = invoke("clean", "in.jsonl", "-o", "out", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert tree(out) == {"g1.txt": f"{BODY}\n", "notes.md": "mine\n", "sub/g2.txt": f"{BODY}\n"}
    assert leftovers(out) == []


def test_a_folder_in_the_way_is_an_error_and_nothing_is_moved(tmp_path):
    jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": BODY}, {"id": "b", "text": BODY}])
    out = tmp_path / "out"
    (out / "b.txt").mkdir(parents=True)  # a folder where the file b.txt must go
    proc = invoke("clean", "in.jsonl", "-o", "out/", "-q", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == "error: out/b.txt: cannot write: a folder of that name is in the way\n"
    assert sorted(p.name for p in out.iterdir()) == ["b.txt"] and not (out / "a.txt").exists()


def test_an_output_folder_that_cannot_be_created_is_a_one_line_error(tmp_path):
    jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": BODY}])
    (tmp_path / "file").write_text("x", encoding="utf-8")
    proc = invoke("clean", "in.jsonl", "-o", "file/out/", "-q", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == "error: file/out: cannot write: file is not a folder\n"


def test_a_sigterm_whose_exception_python_ignored_still_stops_the_commit(tmp_path):
    """Python drops an exception raised in a fork hook or a finaliser ("Exception ignored in..."):
    SIGTERM landing there must still keep the output from being renamed into place."""
    from cleaner.errors import Terminated, clear_termination, terminate
    from cleaner.writers import atomic_write

    target = tmp_path / "out.jsonl"
    try:
        try:
            terminate()  # as the handler does; the exception is then lost
        except Terminated:
            pass
        with pytest.raises(Terminated):
            with atomic_write(target) as handle:
                handle.write("{}\n")
        assert list(tmp_path.iterdir()) == []  # neither the output nor its temporary file
    finally:
        clear_termination()
    with atomic_write(target) as handle:
        handle.write("{}\n")
    assert target.read_text() == "{}\n"


def test_a_reader_that_goes_away_stops_the_run_quietly(tmp_path):
    """`cleaner clean big.jsonl | head`: exit 141 (as a process stopped by SIGPIPE), nothing on stderr."""
    big = tmp_path / "big.jsonl"
    with big.open("w", encoding="utf-8") as f:
        for n in range(3000):
            f.write(json.dumps({"id": f"a{n}", "text": "The council met on Tuesday. " * 40 + str(n)}) + "\n")
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "clean", str(big), "--no-learn", "-q"], cwd=tmp_path,
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.read(100)
    proc.stdout.close()  # as head does after its lines
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert b'"a0"' in first  # the records had started to flow
    assert err == ""


def test_a_sigterm_outside_a_commands_error_path_exits_143(monkeypatch, capsys):
    """SIGTERM just as a command starts or once it has finished escapes the command's own error
    path; typer reports any KeyboardInterrupt as a silent 130 (^C). The console script says 143."""
    import cleaner.cli as cli
    from cleaner.errors import Terminated, clear_termination, terminate

    def stopped_by_sigterm(**_):
        try:
            terminate()  # what the SIGTERM handler does
        except Terminated:
            raise SystemExit(130) from None  # typer: Exit(130) for a KeyboardInterrupt

    monkeypatch.setattr(cli, "app", stopped_by_sigterm)
    try:
        with pytest.raises(SystemExit) as exc:
            cli.entry()
    finally:
        clear_termination()
    assert exc.value.code == 143
    assert capsys.readouterr().err == "error: terminated\n"
