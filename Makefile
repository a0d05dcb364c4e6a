# The two commands of the README: `make lab` and `make test`. Each sets itself up on a
# fresh machine: a virtual environment in .venv, made on first use and reused after.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: lab test test-fast bench data strip peers clean-venv chromium test-browser test-launch

$(STAMP): pyproject.toml scripts/install_torch.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	sh scripts/install_torch.sh $(PY)
	$(PY) -m pip install -q -e ".[lab,test]"
	$(PY) -m ipykernel install --sys-prefix --name musynth-lab --display-name "Python (musynth-lab)" >/dev/null
	touch $(STAMP)

# LAB_ARGS passes options through, e.g. `make lab LAB_ARGS=--no-browser`.
LAB_ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) $(LAB_ARGS) notebooks/00_start_here.ipynb

test: $(STAMP)
	$(PY) -m pytest musynth_lab tests

test-fast: $(STAMP)
	$(PY) -m pytest musynth_lab tests -m "not notebook and not browser"

# The browser suite (tests/browser, also part of `make test`) drives the system Chromium;
# `make chromium` installs Debian's package when it is missing and apt-get can (root).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	    else echo "make chromium: no Chromium and no root apt-get here; the browser tests will be skipped"; fi; }

test-browser: $(STAMP) chromium
	$(PY) -m pytest tests/browser

# Colab-like and Binder-like launch simulations (fresh venvs; minutes each, see DEVELOPING.md).
test-launch:
	bash scripts/launch_colab.sh
	bash scripts/launch_binder.sh

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# The peers (librosa, torchsynth, nnAudio) come from the workspace's shared script.
peers:
	@test -f ../shared/tools/peers-venv.sh || { echo "make peers needs ../shared/tools/peers-venv.sh"; exit 1; }
	bash ../shared/tools/peers-venv.sh .peers-venv

data: $(STAMP)
	$(PY) -m pip install -q -e ".[data]"
	$(PY) scripts/build_data.py

strip: $(STAMP)
	$(PY) scripts/strip_notebooks.py notebooks/*.ipynb

clean-venv:
	rm -rf $(VENV)

# The book: executed notebooks + glossary + API reference as static HTML in build/book/html
# (offline; MathJax from npm). BOOK_NOTEBOOKS=00,03 builds a subset. See scripts/build_book.py.
.PHONY: book test-book
book: $(STAMP)
	$(PY) -m pip install -q -e ".[lab,test,book]"
	PYTHONPATH=$(CURDIR) $(PY) scripts/build_book.py

# Builds the book and reads every page in headless Chromium (system Chromium via Playwright).
test-book: $(STAMP)
	$(PY) -m pip install -q -e ".[lab,test,book]"
	PYTHONPATH=$(CURDIR) $(PY) -m pytest tests/book -m book -s
