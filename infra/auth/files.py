"""Files that hold secrets (a login token, a new user's first credentials): mode 0600.

The file is created readable and writable by its owner only; an existing file is replaced
atomically (written beside it, then renamed), so there is never a moment when the secret sits in
a file others can read. A token file readable by others is refused when read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from domain.errors import SocaiError

SECRET_FILE_MODE = 0o600


def write_secret_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SECRET_FILE_MODE)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_secret_file(path: Path) -> str:
    """The file's text, refused when others may read or write it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SocaiError(
            f"{path} may be read or changed by others (mode {mode:04o})",
            hint=f"chmod 600 {path}, or log in again to write a new one",
        )
    return path.read_text().strip()
