"""The pipeline a user writes in an afternoon, kept as the baseline of ``benchmarks/speed.py``.

    python -m benchmarks.hand_pipeline IN.jsonl OUT.jsonl

It uses the libraries as their documentation shows for batches: ``ftfy.fix_text`` on each text,
a list of boilerplate regexes applied line by line, datasketch ``MinHash`` (128 permutations) fed
with ``update_batch`` over word 5-grams, and a ``MinHashLSH`` (threshold 0.8) queried before each
insert; an article whose query finds an earlier one is written with ``duplicate_of``. It does less
than ``cleaner run`` (no per-site learning, no verification, no stories), which is the point: it is
what cleaner has to beat.
"""

from __future__ import annotations

import json
import re
import sys

import ftfy
from datasketch import MinHash, MinHashLSH

BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^\s*(share|tweet|email|print)( this)?( article| story)?\s*$",
        r"^\s*(follow us|like us) on (twitter|facebook|instagram)",
        r"^\s*sign up (for|to) (our|the) newsletter",
        r"^\s*subscribe( now| today)?\b",
        r"^\s*advertisement\s*$",
        r"^\s*(read more|related|see also|more on this)\b.{0,80}$",
        r"^\s*(copyright|©|\(c\))\s*\d{4}",
        r"all rights reserved\.?\s*$",
        r"^\s*(photo|image|picture)s?( credit)?:",
        r"^\s*click here\b",
        r"^\s*(updated|published|posted):?\s+\w+ \d{1,2},? \d{4}",
        r"^\s*by [A-Z][a-z]+ [A-Z][a-z]+\s*$",
        r"^\s*this (article|story) (was|has been) (updated|corrected)",
        r"^\s*we use cookies\b",
        r"^\s*(comments?|\d+ comments?)\s*$",
    )
]
WORD = re.compile(r"\w+")


def clean(text: str) -> str:
    text = ftfy.fix_text(text)
    kept = [line for line in text.splitlines() if not any(p.search(line) for p in BOILERPLATE)]
    return "\n".join(kept).strip()


def shingles(text: str, n: int = 5) -> list[bytes]:
    words = WORD.findall(text.lower())
    if len(words) < n:
        return [" ".join(words).encode("utf-8")]
    return [" ".join(words[i : i + n]).encode("utf-8") for i in range(len(words) - n + 1)]


def main(argv: list[str] | None = None) -> int:
    source, target = (argv if argv is not None else sys.argv[1:])[:2]
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    with open(source, encoding="utf-8") as read, open(target, "w", encoding="utf-8") as write:
        for line in read:
            record = json.loads(line)
            record["text"] = clean(record["text"])
            signature = MinHash(num_perm=128)
            signature.update_batch(shingles(record["text"]))
            found = lsh.query(signature)
            if found:
                record["duplicate_of"] = min(found)
            else:
                lsh.insert(record["id"], signature)
            write.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
