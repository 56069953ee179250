# The two commands a new user needs: `make book` and `make test`. Both set up .venv first.
# TORCH_INDEX=<index url> installs torch from that index first (e.g. PyTorch's CPU-only index).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SETUP_STAMP := $(VENV)/.setup-done
NOTEBOOKS := $(filter-out notebooks/_%,$(wildcard notebooks/*.ipynb))

.PHONY: help setup browser book book-student test lint unit nbval browser-test student-book-test execute replicate lab student student-branch pin bench bench-check clean

help:
	@echo "make book     build the HTML book into _build/html (sets up .venv first)"
	@echo "make test     lint, unit tests, nbval, book build and browser test"
	@echo "make execute  re-run every notebook in place, storing outputs and widget state"
	@echo "make replicate  re-run every notebook on new seeds (NNLIB_REPLICATION=1, 2); every finding must hold"
	@echo "make lab      open JupyterLab on the notebooks"
	@echo "make student  write student versions of the notebooks into student/"
	@echo "make book-student  build the student edition of the book into _build/student-html"
	@echo "make student-branch  commit the student notebooks to the branch STUDENT_BRANCH (default student-edition)"
	@echo "make pin REF=<tag>  pin a semester: every Colab cell and launch button installs from <tag>"
	@echo "make bench    run the benchmarks in bench/"
	@echo "make bench-check  short benchmarks that fail on a speed regression (bench/check.py)"

# jsonschema (through jupyter-events' format-nongpl extra) pulls in rfc3987-syntax, which builds
# 38 Lark grammars at import: 1.3 s of CPU in every process that loads nbformat (each nbgrader
# call, each test worker, each book build). jsonschema skips the IRI format without it, and
# nothing here validates IRIs; `pip check` stays clean.
# --no-compile: pip byte-compiles every module it installs (half the set-up's time, most of it for
# modules never imported); Python compiles and caches each module on its first import instead.
$(SETUP_STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(if $(TORCH_INDEX),$(PY) -m pip install --quiet --no-compile --index-url $(TORCH_INDEX) "$$(grep '^torch==' requirements.txt)")
	$(PY) -m pip install --quiet --no-compile -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip uninstall --quiet --yes rfc3987-syntax
	touch $@

setup: $(SETUP_STAMP)

browser:
	@bash .ci/install_browser.sh

book: setup
	rm -rf _build/html _build/.doctrees
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

book-student: setup
	$(PY) .ci/build_student_book.py

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

unit: setup
	$(PY) -m pytest tests -n 2 --dist loadscope -m "not browser and not student_book" --durations=15

# nbval checks outputs executed natively under another BLAS path (MKL_CBWR, MKL_ENABLE_INSTRUCTIONS),
# so digits that depend on one CPU's arithmetic fail here as they would on a second machine.
# NNLIB_CHECK_FIGURES=1: every figure a notebook shows is checked as it is shown
# (nncourse.plotting.check): text too small to read in the book, overlapping labels or an
# untitled panel fail the cell that shows it.
# Two notebooks at a time, each kernel on one thread (OMP_NUM_THREADS=1): on two cores that takes
# about half the time of one notebook after the other on two threads each, with the same outputs.
nbval: setup
	TQDM_DISABLE=1 NNLIB_CHECK_FIGURES=1 MKL_CBWR=COMPATIBLE MKL_ENABLE_INSTRUCTIONS=AVX2 OMP_NUM_THREADS=1 \
		$(PY) -m pytest --nbval $$($(PY) .ci/slowest_first.py $(NOTEBOOKS)) -n 2 --dist loadfile \
		--nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=300 -p no:cacheprovider

# The marked tests live in one file each; naming it spares the collection of every test module.
# Two Chromium instances: a page's time is mostly waiting (typesetting, quiet network, each move of
# a control), which two workers overlap.
browser-test: setup
	$(PY) -m pytest tests/test_browser.py -m browser -n 2

student-book-test: setup
	$(PY) -m pytest tests/test_student_book.py -m student_book

test: setup browser lint unit bench-check nbval book browser-test book-student student-book-test

execute: setup
	$(PY) .ci/execute_notebooks.py $(NOTEBOOKS)
	$(PY) .ci/collapse_evidence.py $(NOTEBOOKS)
	$(PY) .ci/instructors_table.py

# Every seed shifted (NNLIB_REPLICATION=1, then 2), copies executed, nothing written or compared:
# fails on any error or failed claim. REPLICATE_ARGS="--second-blas" adds nbval's other BLAS path.
replicate: setup
	$(PY) .ci/replicate.py --jobs 2 $(REPLICATE_ARGS) $(NOTEBOOKS)

lab: setup
	$(PY) -m pip install --quiet jupyterlab
	$(VENV)/bin/jupyter lab notebooks

student: setup
	$(PY) .ci/make_student.py --out student $(NOTEBOOKS)

# The student notebooks on their own branch (for the student edition's launch buttons), committed
# with a temporary index: the working tree and the current branch are left as they are.
STUDENT_BRANCH ?= student-edition
student-branch: setup
	$(PY) .ci/make_student.py --out student --branch $(STUDENT_BRANCH) $(NOTEBOOKS)

pin: setup
	@test -n "$(REF)" || (echo "usage: make pin REF=<tag or branch>"; exit 1)
	$(PY) .ci/pin_semester.py $(REF)

bench: setup
	@for script in $(filter-out bench/_% bench/check.py,$(wildcard bench/*.py)); do echo "== $$script"; $(PY) $$script || exit 1; done

bench-check: setup
	$(PY) bench/check.py

clean:
	rm -rf _build student
