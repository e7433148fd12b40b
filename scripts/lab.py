"""Prepare the folder that `make lab` opens: the reader edition of every chapter in lab/.

The chapters in notebooks/ are the instructor versions (hidden tests, stored wrong answers);
readers and students work on copies made by `book/_ext/editions.py` (hidden tests removed,
solutions collapsed so one tries first), with the book's MyST markup (citations, the reference
list, notes, dropdowns) written as plain Markdown, which JupyterLab renders as it is. A copy is written when it is missing, and replaced when
the chapter changed *and* the reader has not edited the copy; a copy the reader has edited is
never overwritten (the fresh version then goes beside it as NN_title.new.ipynb).

    python scripts/lab.py [--folder DIR]
"""
import argparse
import hashlib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "book" / "_ext"))
from editions import load_bibliography, plain_markdown, reader_notebook  # noqa: E402

STATE = ".recsys_lite_lab.json"     # the hash of each copy as it was last written


def _text(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def prepare(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    state_path = folder / STATE
    state = json.loads(state_path.read_text()) if state_path.is_file() else {}
    notes = []
    bibliography = load_bibliography(REPO / "book" / "references.bib")
    for source in sorted((REPO / "notebooks").glob("*.ipynb")):
        fresh = _text(plain_markdown(reader_notebook(json.loads(source.read_text(encoding="utf-8"))), bibliography))
        copy = folder / source.name
        if copy.is_file():
            current = copy.read_text(encoding="utf-8")
            if current == fresh:
                continue
            if _sha(current) != state.get(source.name):      # the reader changed it: keep theirs
                (folder / f"{source.stem}.new.ipynb").write_text(fresh, encoding="utf-8")
                notes.append(f"{copy.name} has your changes; the chapter's new version is {source.stem}.new.ipynb")
                continue
        copy.write_text(fresh, encoding="utf-8")
        state[source.name] = _sha(fresh)
    state_path.write_text(json.dumps(state, indent=1))
    return notes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/lab.py")
    parser.add_argument("--folder", type=Path, default=REPO / "lab")
    args = parser.parse_args(argv)
    for note in prepare(args.folder):
        print(note)
    print(f"the chapters are in {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
