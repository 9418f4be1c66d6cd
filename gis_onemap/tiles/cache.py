"""Tile cache: an in-memory LRU (cachetools) and an optional folder, keyed by data version."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cachetools import LRUCache

log = logging.getLogger("gis_onemap.tiles")


@dataclass(frozen=True)
class TileKey:
    """Everything a cached tile depends on.

    ``scope`` names the layers (a collection id, or ``all``/a selection), ``version`` the data
    version of those layers (bumped by every write, see migration 0003), ``variant`` a digest
    of the filter parameters and ``ext`` the format. A new version gives new keys, so a stale
    tile is never looked up again.
    """

    scope: str
    version: str
    z: int
    x: int
    y: int
    variant: str
    ext: str

    def etag(self, encoding: str = "") -> str:
        """A strong ETag for this tile in this content encoding (no need to render it first).

        >>> TileKey("shelters", "7", 1, 0, 0, "-", "mvt").etag() == TileKey(
        ...     "shelters", "8", 1, 0, 0, "-", "mvt").etag()
        False
        """
        raw = f"{self.scope}|{self.version}|{self.z}|{self.x}|{self.y}|{self.variant}|{self.ext}"
        digest = hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()
        return f'"{digest}{"-" + encoding if encoding else ""}"'

    def relative_path(self) -> Path:
        """Where the tile lives under the cache folder: ``scope/version/z/x/y.variant.ext``."""
        return Path(self.scope, self.version, str(self.z), str(self.x)) / (
            f"{self.y}.{self.variant}.{self.ext}"
        )


class TileCache:
    """Thread-safe LRU of encoded tiles in memory, backed by an optional folder on disk.

    The disk layer keeps one version folder per scope: writing a newer version removes the
    older ones (their tiles could never be served again anyway).
    """

    def __init__(self, max_tiles: int, directory: Path | None = None) -> None:
        self._memory: LRUCache[TileKey, bytes] = LRUCache(maxsize=max(1, max_tiles))
        self._lock = threading.Lock()
        self.directory = directory
        self._pruned: dict[str, str] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: TileKey) -> bytes | None:
        """The cached bytes of ``key`` (memory first, then disk), or ``None``."""
        with self._lock:
            data = self._memory.get(key)
            if data is not None:
                self.hits += 1
                return data
        if self.directory is not None:
            try:
                data = (self.directory / key.relative_path()).read_bytes()
            except OSError:
                data = None
            if data is not None:
                with self._lock:
                    self._memory[key] = data
                    self.hits += 1
                return data
        with self._lock:
            self.misses += 1
        return None

    def put(self, key: TileKey, data: bytes) -> None:
        """Keep ``data`` for ``key`` in memory and, when configured, on disk."""
        with self._lock:
            self._memory[key] = data
        if self.directory is not None:
            self._write(key, data)

    def clear(self) -> None:
        """Forget every tile in memory and on disk (a cold start, e.g. for benchmarks)."""
        with self._lock:
            self._memory.clear()
            self.hits = self.misses = 0
        if self.directory is not None and self.directory.exists():
            for child in self.directory.iterdir():
                shutil.rmtree(child, ignore_errors=True)
        self._pruned.clear()

    def __len__(self) -> int:
        """The number of tiles held in memory."""
        return len(self._memory)

    def _write(self, key: TileKey, data: bytes) -> None:
        assert self.directory is not None
        path = self.directory / key.relative_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)  # atomic: a reader never sees half a tile
        except OSError:
            log.warning("could not write tile %s to the disk cache", path, exc_info=True)
            return
        if self._pruned.get(key.scope) != key.version:
            self._pruned[key.scope] = key.version
            self._prune(key.scope, key.version)

    def _prune(self, scope: str, keep: str) -> None:
        """Remove the folders of older versions of ``scope``."""
        assert self.directory is not None
        scope_dir = self.directory / scope
        for child in scope_dir.iterdir():
            if child.name != keep and child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
