"""A lock that the processes of one host take in turn over an index file on its local disk (the
text index, the nearest-neighbour index): an flock, which the kernel releases if its holder dies,
so a killed worker never leaves a stale lock behind."""

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def host_lock(lock_file: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold `lock_file`'s lock for the block. With wait=False, yields False at once instead of
    waiting when another process holds it (and True when this one took it)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
