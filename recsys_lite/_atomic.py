"""Write a file so that readers see the old version or the new one, never half of one."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomic(path, write: Callable) -> Path:
    """Call ``write(f)`` on a binary file beside ``path``, then rename it into place in one step.
    On any failure the temporary file is removed and an existing ``path`` stays as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o644)    # mkstemp makes the file private; ours are for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
