"""Reading a file a user points at, bounded: never a FIFO that blocks, never /dev/zero forever.

Every file the tool parses (nango.yaml, connections.yaml, .env, mocks, `--input @file`) is read
through `read_user_file`: it opens without blocking, refuses anything that is not a regular file
(FIFO, device, socket) and stops reading past a size limit. See DEVELOPERS.md "Security rules".
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_CONFIG_BYTES = 64 * 1024 * 1024  # nango.yaml, connections.yaml, .env (a 10 MB nango.yaml is huge)
MAX_DATA_BYTES = 512 * 1024 * 1024  # mocks files and --input files (recorded responses can be big)


class UnsafeFileError(OSError):
    """A file that cannot be read safely: not a regular file, or larger than the limit."""


def read_user_file(path: str | os.PathLike[str], limit: int = MAX_CONFIG_BYTES) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them.

    Raises FileNotFoundError/IsADirectoryError/PermissionError as open() does, and
    UnsafeFileError for a FIFO, a device or a socket, or a file over `limit` bytes.
    """
    path = Path(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "Is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a FIFO (named pipe)"
                if stat.S_ISFIFO(info.st_mode)
                else "a device"
                if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a socket"
                if stat.S_ISSOCK(info.st_mode)
                else "not a regular file"
            )
            raise UnsafeFileError(f"{path} is {kind}, not a regular file")
        if info.st_size > limit:
            raise UnsafeFileError(f"{path} is {_size(info.st_size)}; the limit is {_size(limit)}")
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:  # it grew while being read (or lies about its size, as /proc files do)
                raise UnsafeFileError(f"{path} is larger than the limit of {_size(limit)}")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n} bytes"
