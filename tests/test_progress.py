"""Progress on a terminal: `cleaner run` in a real pseudo-terminal shows each phase with a total and
an ETA (rich, on standard error); nothing when standard error is not a terminal, or with `-q`.
And the library side: the phases a pipeline announces (:mod:`cleaner.progress`)."""

from __future__ import annotations

import fcntl
import json
import os
import random
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from cleaner.pipeline import Pipeline
from cleaner.progress import InputMeter, Progress, read_measured
from cleaner.readers import read_paths
from conftest import SEEDS_DIR, cli_env

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: A reading line: the phase, bytes read of the input's total, and an ETA with a time.
READING_LINE = re.compile(r"reading and normalising .*?[\d.]+ (?:B|kB|MB)/[\d.]+ MB .*?ETA \d+:\d\d:\d\d")


def write_corpus(path: Path, articles: int) -> None:
    """``articles`` JSONL records of made-up words on 20 sites, each with a share line and a rights line."""
    rng = random.Random(11)
    words = [f"w{n}" for n in range(3000)] + "the of and to in a is that for on with as by at from".split() * 20
    with path.open("w", encoding="utf-8") as out:
        for i in range(articles):
            site = f"site{i % 20}.example"
            paras = [" ".join(rng.choice(words) for _ in range(rng.randint(20, 60))) + "." for _ in range(8)]
            text = "\n\n".join(["Share this article", *paras, f"Copyright {site} 2024. All rights reserved."])
            out.write(json.dumps({"id": f"a{i}", "site": site, "title": f"Title {i}", "date": f"2024-03-{i % 28 + 1:02d}", "text": text}) + "\n")


def in_terminal(args: list[str], cwd: Path, *, until=None, timeout: float = 240) -> tuple[str, float | None, int | None]:
    """Run cleaner with standard error on a pty (120 columns); the text it drew (ANSI codes taken
    out), the seconds until ``until(text)`` first held (then the process is stopped), and the exit code."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**cli_env(), "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    raw, seen = b"", None
    try:
        while time.monotonic() - started < timeout:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the other end closed: the process has ended
                    break
                if not chunk:
                    break
                raw += chunk
                if until is not None and seen is None and until(ANSI.sub("", raw.decode("utf-8", "replace"))):
                    seen = time.monotonic() - started
                    proc.kill()
                    break
            elif proc.poll() is not None:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        os.close(master)
    return ANSI.sub("", raw.decode("utf-8", "replace")), seen, code


def test_a_long_run_shows_progress_with_a_total_and_an_eta_within_seconds(tmp_path):
    write_corpus(tmp_path / "corpus.jsonl", 3000)  # 5.6 MB; about 10 s on one unloaded core
    text, seen, _ = in_terminal(["run", "corpus.jsonl", "-o", "out.jsonl"], tmp_path, until=READING_LINE.search)
    assert seen is not None, f"no progress line with a total and an ETA; the terminal showed:\n{text[-3000:]}"
    assert seen < 15, f"the progress line came after {seen:.1f}s"
    line = READING_LINE.search(text).group(0)
    assert "5.6 MB" in line, line
    assert re.search(r"reading and normalising .*?[\d,]+ articles", text), text[-500:]
    assert not (tmp_path / "out.jsonl").exists(), "stopped before the end: nothing written"


def test_every_phase_is_named_on_the_terminal_with_its_count(tmp_path):
    write_corpus(tmp_path / "corpus.jsonl", 300)
    text, _, code = in_terminal(["run", "corpus.jsonl", "-o", "out.jsonl"], tmp_path)
    assert code == 0, text[-2000:]
    # rich redraws the whole display each time: the last frame is the last six finished lines
    final = [line.strip() for line in re.split(r"[\r\n]+", text) if line.strip().startswith("✓")][-6:]
    names = [re.match(r"✓ ([a-z ]+?)\s{2,}|✓ ([a-z ]+?) ━", line) for line in final]
    assert [next(g for g in m.groups() if g).strip() for m in names] == [
        "reading and normalising", "learning", "stripping and fingerprints", "grouping duplicates", "grouping stories", "writing"], final
    assert "300 articles" in final[0] and re.search(r"([\d.]+ kB)/\1", final[0]), final[0]
    for line in final[2], final[4], final[5]:
        assert "300/300 articles" in line and "100%" in line, line
    assert "300 articles read, 300 changed, 0 inputs skipped" in text


def test_quiet_on_a_terminal_draws_nothing(tmp_path):
    write_corpus(tmp_path / "corpus.jsonl", 50)
    text, _, code = in_terminal(["run", "-q", "corpus.jsonl", "-o", "out.jsonl"], tmp_path)
    assert code == 0 and text == ""


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    write_corpus(tmp_path / "corpus.jsonl", 300)
    proc = subprocess.run([sys.executable, "-m", "cleaner", "run", "corpus.jsonl", "-o", "out.jsonl"], cwd=tmp_path,
                          env=cli_env(), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "\x1b" not in proc.stderr and "ETA" not in proc.stderr
    assert proc.stderr.splitlines()[0] == "300 articles read, 300 changed, 0 inputs skipped"
    assert not any("reading" in line or "grouping" in line for line in proc.stderr.splitlines())


# ---------------------------------------------------------------------- the library


class Recorder(Progress):
    def __init__(self):
        super().__init__()
        self.events: list[tuple] = []

    def phase(self, name, total=None):
        super().phase(name, total)
        self.events.append(("phase", name, total))


def test_the_pipeline_announces_its_phases_in_sequence_with_totals(tmp_path):
    write_corpus(tmp_path / "corpus.jsonl", 40)
    progress = Recorder()
    docs = list(Pipeline(progress=progress).run(read_measured([str(tmp_path / "corpus.jsonl")], progress)))
    assert len(docs) == 40
    assert progress.events == [
        ("phase", "reading and normalising", None), ("phase", "learning", None), ("phase", "stripping and fingerprints", 40),
        ("phase", "grouping duplicates", None), ("phase", "grouping stories", 40), ("phase", "writing", 40)]
    assert [p.articles for p in progress.phases] == [40, 0, 40, 0, 40, 40]
    assert progress.finished and all(p.seconds is not None for p in progress.phases)
    size = (tmp_path / "corpus.jsonl").stat().st_size
    assert (progress.input_done, progress.input_total, progress.input_unit) == (size, size, "bytes")


def test_files_are_counted_as_files_and_reading_matches_read_paths(tmp_path):
    progress = Progress()
    measured = list(read_measured([str(SEEDS_DIR), str(tmp_path / "missing.txt")], progress))
    plain = list(read_paths([str(SEEDS_DIR), str(tmp_path / "missing.txt")]))
    assert [str(x) if not hasattr(x, "id") else x.id for x in measured] == [str(x) if not hasattr(x, "id") else x.id for x in plain]
    assert progress.input_unit == "files" and progress.input_total == 3 and progress.input_done == 3


def test_standard_input_has_no_total():
    progress = Progress()
    meter = InputMeter(progress, [(None, "-", "<stdin>")], {})
    assert meter.total is None and progress.input_total is None
