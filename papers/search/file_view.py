"""A process's view of an index file that other processes replace (papers.search.text_index,
papers.search.vector_index): opened again when the file changed, told by a stat() per read,
so workers that rewrite an index need no message to every web process.

Writers replace files whole (written beside, then renamed), so a changed file has a new
inode; its mtime and size catch a file rewritten in place. A file that cannot be read is
logged and read as None (the caller falls back to the database) until it changes again.
"""

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

Stamp = tuple[str, int, int, int]


def stamp(path: Path) -> Stamp | None:
    """What identifies this version of the file (symbolic links followed); None when absent."""
    try:
        status = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (str(path), status.st_ino, status.st_mtime_ns, status.st_size)


class FileView:
    """`open_view(path, previous)` gives the value to serve for the file; `previous` is the
    value of the file's earlier version (or None), for openers that can refresh it in place."""

    def __init__(self, open_view: Callable[[Path, Any], Any], *, what: str) -> None:
        self._open_view = open_view
        self._what = what
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None
        self._value: Any = None

    def get(self, path: Path) -> Any:
        current = stamp(path)
        with self._lock:
            if current != self._stamp:
                self._value = self._open(path, self._value) if current is not None else None
                self._stamp = current
            return self._value

    def _open(self, path: Path, previous: Any) -> Any:
        try:
            return self._open_view(path, previous)
        except Exception:  # damaged or half-copied by hand: serve without it until it changes
            logger.warning("Cannot read the %s %s; searching without it", self._what, path, exc_info=True)
            return None

    def forget(self) -> None:
        """Drop the view (tests: a new file at the same path within one mtime tick)."""
        with self._lock:
            self._stamp, self._value = None, None
