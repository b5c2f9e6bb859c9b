"""A temporary on-disk queue of documents, so corpus-level passes keep signatures, not texts."""

from __future__ import annotations

import pickle
import tempfile
from typing import Iterator

from .documents import Document


class Spool:
    """Write documents once (``add``), read them back in order as often as needed (``__iter__``)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="cleaner-spool-")
        self._count = 0

    def add(self, doc: Document) -> None:
        pickle.dump(doc, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._count += 1

    def __iter__(self) -> Iterator[Document]:
        self._file.flush()
        self._file.seek(0)
        for _ in range(self._count):
            yield pickle.load(self._file)
        self._file.seek(0, 2)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "Spool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
