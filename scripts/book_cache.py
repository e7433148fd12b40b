"""Run before `make book`: make sure the execution cache cannot serve a chapter the current code
would not produce.

jupyter-book re-executes a notebook only when the notebook's code changed. The chapters import
`recsys_lite`, so a change to the library must re-execute them too, and a chapter whose record
for the results page is missing or stale must run again to write it. In either case the cache
(`_build/.jupyter_cache`) is removed, and the library's fingerprint is kept beside it.
"""
import shutil
import sys
from pathlib import Path

from recsys_lite.results import chapter_status, library_fingerprint

BUILD = Path(__file__).resolve().parents[1] / "_build"
CACHE, STAMP = BUILD / ".jupyter_cache", BUILD / ".jupyter_cache.library"


def main() -> int:
    library = library_fingerprint()
    stale = chapter_status()
    stale = list(stale.loc[stale["status"] != "current", "chapter"])
    reason = None
    if not STAMP.is_file() or STAMP.read_text() != library:
        reason = "the library changed since the cached executions"
    elif stale:
        reason = f"no current results record for {', '.join(stale)}"
    if reason and CACHE.exists():
        print(f"book: removing the execution cache ({reason}); every chapter runs again")
        shutil.rmtree(CACHE)
    BUILD.mkdir(exist_ok=True)
    STAMP.write_text(library)
    return 0


if __name__ == "__main__":
    sys.exit(main())
