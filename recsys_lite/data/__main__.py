"""`python -m recsys_lite.data fetch [--source PATH] [--data-dir DIR] [--force]`.

Fetches and verifies MovieLens-100K (see `recsys_lite.data.movielens`); does nothing when the
cached copy already verifies. Exits 1 with the reason on any failure.
"""
import argparse
import sys

from . import movielens
from .movielens import DataError, fetch_movielens_100k, read_folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recsys_lite.data")
    parser.add_argument("command", choices=["fetch"])
    parser.add_argument("--source", help="GroupLens ml-100k.zip or its folder, instead of the registry")
    parser.add_argument("--data-dir", help="where to cache the data (default: the book's data/ folder)")
    parser.add_argument("--force", action="store_true", help="fetch again even if the cache verifies")
    args = parser.parse_args(argv)
    try:
        folder = fetch_movielens_100k(args.data_dir, source=args.source, force=args.force)
        data = read_folder(folder, verify=False)   # fetch_movielens_100k has just verified it
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"MovieLens-100K verified in {folder}: {data!r}")
    if not movielens._knowledge_problems(folder):
        print(f"its knowledge graph (ml-100k.kg, ml-100k.link) verified in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
