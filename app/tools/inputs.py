"""Files the commands read: opened with one plain line saying why not, never a traceback."""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Iterator
from typing import BinaryIO

from tqdm import tqdm

# A trace at least this large gets a progress bar (on a terminal): about a second of replay.
PROGRESS_MIN_BYTES = 8 * 1024 * 1024


class InputFileError(Exception):
    """A file a command needs is missing, a directory or unreadable (exit code 2)."""


def open_input(path: str, what: str) -> BinaryIO:
    """`path` opened for reading in binary mode ("-": standard input)."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")  # the caller closes it
    except FileNotFoundError:
        raise InputFileError(f"{what} {path}: not found") from None
    except IsADirectoryError:
        raise InputFileError(f"{what} {path}: is a directory, not a file") from None
    except PermissionError:
        raise InputFileError(f"{what} {path}: permission denied") from None
    except OSError as exc:
        raise InputFileError(f"{what} {path}: cannot read ({exc.strerror})") from None


def check_readable(path: str, what: str) -> None:
    """Raise InputFileError unless `path` is a file this process can read."""
    open_input(path, what).close()


def with_progress(file: BinaryIO, label: str) -> Iterator[bytes]:
    """The file's lines, with a progress bar (bytes read, rate, time left) on stderr when it
    is a terminal and the file is large or a pipe: no bar in logs or for a small trace."""
    size = _size(file)
    if not sys.stderr.isatty() or (size is not None and size < PROGRESS_MIN_BYTES):
        yield from file
        return
    with tqdm(total=size, unit="B", unit_scale=True, desc=label, file=sys.stderr,
              leave=False, dynamic_ncols=True) as bar:
        pending = 0
        for line in file:
            pending += len(line)
            if pending >= 1 << 20:  # a bar update per MiB, not per line
                bar.update(pending)
                pending = 0
            yield line
        bar.update(pending)


def _size(file: BinaryIO) -> int | None:
    """A regular file's size; None for a pipe or a terminal."""
    try:
        status = os.fstat(file.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None
