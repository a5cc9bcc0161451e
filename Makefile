# Everything from a fresh clone: `make test` (set-up, build, test suite) and `make demo` (set-up, build,
# microbenchmark table for this machine). Set-up goes into .venv with the pinned requirements.txt.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS := $(VENV)/.deps-installed

.PHONY: all build wheel test demo bench-e2e clean

all: build

$(PY):
	$(PYTHON) -m venv $(VENV)

$(DEPS): requirements.txt | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# In-place build of xeon_kernels/_C.abi3.so (incremental, ninja).
build: $(DEPS)
	$(PY) setup.py -q build_ext --inplace

# The abi3 wheel (one binary for every torch >= 2.10 and Python >= 3.10) in dist/.
wheel: $(DEPS)
	$(PY) -m pip wheel -q --no-build-isolation --no-deps -w dist .

test: build
	$(PY) -m pytest -q tests

demo: build
	$(PY) benchmarks/bench_linear.py

clean:
	rm -rf build dist *.egg-info xeon_kernels/_C*.so
