"""File names for articles under ``-o DIR/``: a unique, valid relative path for each id (:class:`TreeNames`)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path, PurePosixPath
from typing import Iterator

#: Characters a file name gets as ``%XX`` (hex code point): control characters and lone surrogates.
_UNSAFE_IN_NAMES = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_KEPT_SUFFIXES = (".txt", ".md")


def _escape(component: str) -> str:
    return _UNSAFE_IN_NAMES.sub(lambda m: f"%{ord(m.group()):02X}", component)


def _digest(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


def _fit(base: str, tail: str, limit: int) -> str:
    """``base + tail`` cut (at a character boundary of ``base``) to at most ``limit`` UTF-8 bytes."""
    room = limit - len(tail.encode("utf-8"))
    return base.encode("utf-8")[: max(room, 0)].decode("utf-8", "ignore") + tail


class TreeNames:
    """Unique, valid relative file paths for article ids, assigned in the order the ids come.

    An id's path is its own (``/`` separates folders) with ``.txt`` added unless it ends in
    ``.txt`` or ``.md``; control characters and lone surrogates become ``%XX``; a name longer than
    ``name_max`` bytes is shortened and gets ``-`` and 8 hex digits of a hash of the id. When that
    path is taken (by an earlier article, or as a folder of earlier articles), the later article
    gets the hash suffix (``story-1a2b3c4d.txt``); a folder that an earlier article's file is in
    the way of gets one likewise (a hash of the folder's id path). No two articles ever share a
    path, and the same ids in the same order always get the same paths. An id that is empty,
    absolute or has a ``..`` part is refused (``ValueError``): it would leave the output folder.
    """

    def __init__(self, name_max: int = 255):
        self.name_max = name_max
        self.files: set[str] = set()
        self.folders: dict[tuple[str, ...], str] = {(): ""}
        self.folder_paths: set[str] = {""}

    def path(self, doc_id: str) -> str:
        """The next free path for ``doc_id`` (posix, relative); calling again gives the next candidate."""
        parts = PurePosixPath(doc_id).parts
        if not doc_id or not parts or PurePosixPath(doc_id).is_absolute() or ".." in parts:
            raise ValueError(f"id {doc_id!r} is not a relative path inside the output folder")
        folder = self._folder(parts[:-1])
        name = _escape(parts[-1])
        suffix = PurePosixPath(name).suffix
        base, ext = (name[: -len(suffix)], suffix) if suffix.lower() in _KEPT_SUFFIXES else (name, ".txt")
        for candidate in self._candidates(base, ext, doc_id):
            rel = f"{folder}/{candidate}" if folder else candidate
            if rel not in self.files and rel not in self.folder_paths:
                self.files.add(rel)
                return rel

    def _folder(self, parts: tuple[str, ...]) -> str:
        if parts in self.folders:
            return self.folders[parts]
        parent = self._folder(parts[:-1])
        for candidate in self._candidates(_escape(parts[-1]), "", "/".join(parts)):
            rel = f"{parent}/{candidate}" if parent else candidate
            if rel not in self.files:
                break
        self.folders[parts] = rel
        self.folder_paths.add(rel)
        return rel

    def _candidates(self, base: str, ext: str, key: str) -> Iterator[str]:
        tag = _digest(key)
        natural = base + ext
        yield natural if len(natural.encode("utf-8")) <= self.name_max else _fit(base, f"-{tag}{ext}", self.name_max)
        n = 1
        while True:
            yield _fit(base, f"-{tag}{ext}" if n == 1 else f"-{tag}-{n}{ext}", self.name_max)
            n += 1


def name_max(path: Path) -> int:
    """The longest file name (bytes) the file system under ``path`` (or its nearest existing folder) allows."""
    for folder in (path, *path.parents):
        if folder.is_dir():
            try:
                return os.pathconf(folder, "PC_NAME_MAX")
            except (OSError, ValueError):
                break
    return 255
