"""The book's execution cache (`_build/.jupyter_cache`), kept honest.

jupyter-book re-executes a notebook only when the notebook's code changed. The chapters import
`recsys_lite`, so a change to the library must re-execute them too, and a chapter whose record
for the results page is missing or stale must run again to write it.

* `python scripts/book_cache.py` (run by `make book` before it builds): removes the cache if the
  library changed since it was filled, or if a chapter has no current record.
* `store_execution` (used by `make test`, which executes every chapter anyway): puts a chapter's
  execution into the cache exactly as the book build would, so the build need not run it again.
"""
import shutil
import sys
from pathlib import Path

from recsys_lite.results import chapter_status, library_fingerprint

BUILD = Path(__file__).resolve().parents[1] / "_build"
CACHE, STAMP = BUILD / ".jupyter_cache", BUILD / ".jupyter_cache.library"


def prepare() -> str | None:
    """Empty the cache if it was filled with another library; stamp it with this one. Returns the
    reason it was emptied, if it was."""
    library = library_fingerprint()
    reason = None
    if CACHE.exists() and (not STAMP.is_file() or STAMP.read_text() != library):
        reason = "the library changed since the cached executions"
        shutil.rmtree(CACHE)
    BUILD.mkdir(exist_ok=True)
    STAMP.write_text(library)
    return reason


def store_execution(notebook_path, executed, seconds: float) -> None:
    """Cache an executed notebook (a NotebookNode with outputs) as the book build would have.

    The cache finds a notebook by a hash of its code cells *with their metadata*; an executor may
    add metadata of its own (timings), so the outputs are copied onto the notebook as it is on
    disk, and that is what is stored."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    prepare()
    stored = nbformat.read(notebook_path, as_version=4)
    if len(stored.cells) != len(executed.cells):
        raise ValueError(f"{notebook_path} changed while it was executed; nothing was cached.")
    for cell, ran in zip(stored.cells, executed.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = ran.outputs, ran.execution_count
    get_cache(str(CACHE)).cache_notebook_bundle(
        CacheBundleIn(stored, str(Path(notebook_path).resolve()), data={"execution_seconds": seconds}),
        check_validity=False, overwrite=True)


def main() -> int:
    reason = prepare()
    if reason is None and CACHE.exists():
        status = chapter_status()
        stale = list(status.loc[status["status"] != "current", "chapter"])
        if stale:
            reason = f"no current results record for {', '.join(stale)}"
            shutil.rmtree(CACHE)
    if reason:
        print(f"book: removed the execution cache ({reason}); every chapter runs again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
