"""LocalEngine's worker processes (cleaner/workers.py): order, errors, a worker that dies, ^C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import cli_env

from cleaner.documents import Document
from cleaner.engine import LocalEngine


def _tagged(doc: Document) -> Document:
    doc.text = f"{doc.text} [{os.getpid()}]"
    return doc


def _fails_on_7(doc: Document) -> Document:
    if doc.id == "7":
        raise ValueError("step failed on 7")
    return doc


def _dies_on_7(doc: Document) -> Document:
    if doc.id == "7":
        os.kill(os.getpid(), signal.SIGKILL)
    return doc


def _docs(n: int):
    return (Document(id=str(i), text=f"text {i}") for i in range(n))


def test_order_is_kept_and_both_workers_work():
    out = list(LocalEngine(2, batch=3).map([_tagged], _docs(100)))
    assert [d.id for d in out] == [str(i) for i in range(100)]
    assert all(d.text.startswith(f"text {d.id} [") for d in out)
    assert len({d.text.rsplit("[", 1)[1] for d in out}) == 2 and os.getpid() not in {int(d.text.rsplit("[", 1)[1][:-1]) for d in out}


def test_an_exception_in_a_step_is_raised_in_the_consumer_after_the_batches_before_it():
    seen = []
    with pytest.raises(ValueError, match="step failed on 7"):
        for doc in LocalEngine(2, batch=2).map([_fails_on_7], _docs(50)):
            seen.append(doc.id)
    assert seen == [str(i) for i in range(6)]  # batches 0-2; batch 3 (6, 7) failed


def test_an_exception_reading_the_input_is_raised_in_the_consumer():
    def docs():
        yield from _docs(10)
        raise OSError("input went away")

    with pytest.raises(OSError, match="input went away"):
        list(LocalEngine(2, batch=4).map([_tagged], docs()))


def test_a_worker_that_dies_is_an_error_not_a_run_that_waits_for_ever():
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"worker process ended unexpectedly \(exit code -9\)"):
        list(LocalEngine(2, batch=2).map([_dies_on_7], _docs(50)))
    assert time.monotonic() - started < 30


def test_ctrl_c_on_the_process_group_of_a_jobs_2_run_prints_one_message(tmp_path):
    """^C reaches every process of the group; the workers leave it to the parent."""
    body = "The council met on Tuesday to discuss the new budget for the city schools and roads. " * 8
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"id": f"r{n}", "text": f"Item {n}. {body}"}) + "\n" for n in range(3000)))
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "run", "in.jsonl", "-o", "out.jsonl", "-j", "2", "-q"],
                            cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()) < 2:
        assert proc.poll() is None and time.monotonic() < deadline, "the run ended before its workers could be seen"
        time.sleep(0.02)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.decode() == "error: interrupted; no output file written\n"
    assert not (tmp_path / "out.jsonl").exists()
