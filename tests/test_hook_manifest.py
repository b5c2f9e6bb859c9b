"""The pre-commit manifest hands the hooks every file kind ``cleaner check`` reads, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from cleaner.sources import HTML_SUFFIXES, JSONL_SUFFIXES, TEXT_SUFFIXES

MANIFEST = Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml"


def test_every_hook_matches_the_files_check_reads():
    hooks = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert {h["id"] for h in hooks} == {"cleaner", "cleaner-check"}
    for hook in hooks:
        pattern = re.compile(hook["files"])
        for suffix in TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES:
            assert pattern.search(f"corpus/2024/article{suffix}"), (hook["id"], suffix)
        for other in ("notes.txt.bak", "page.html.orig", "data.csv", "data.parquet", "image.png", "a.jsonl.gz.tmp"):
            assert not pattern.search(f"corpus/{other}"), (hook["id"], other)
