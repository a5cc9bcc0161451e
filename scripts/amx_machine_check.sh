#!/usr/bin/env bash
# One prepared run on the AMX machine (the device tool's machine: 16 vCPUs with AMX, Python 3.12,
# torch 2.11, no torchao, no package index). It installs the abi3 wheel built on the dev machines beside
# that machine's torch (the stable-ABI promise: one binary, another torch and Python), runs the kernel tests
# on the real paths (the emulated ones repeat what every dev machine runs), the microbenchmark, then the rest
# of the suite, and leaves logs and JSON in $OUT. Budget: under 9.5 minutes (kernel tests at most 2.5, benchmark
# at most 3.5, the tile blocking sweep at most 1.5, the rest at most 1.5); each step's log is written as it
# runs, and the benchmarks' JSON after every case, so a step cut short still returns what it did.
#
# Prepare on the dev machine, in the repository root:
#   echo /.whl/ >> .git/info/exclude && mkdir -p .whl
#   make wheel && cp dist/xeon_kernels-*.whl .whl/
#   .venv/bin/python -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d .whl torchao==0.18.0
# Then call the device tool's run with carry [".whl"] and the command `bash scripts/amx_machine_check.sh`.
set -uo pipefail
OUT=${OUT:-/tmp/amx_out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site
repo=$(pwd)
cd /tmp  # so that the installed wheel, not the source tree, is imported
{
  lscpu | grep -E 'Model name|^CPU\(s\)|Thread|Core|Socket|L1d|L2|L3'
  python3 -c "import torch, xeon_kernels as xk; print(torch.__version__, xk.__file__); print(xk.info())"
} 2>&1 | tee "$OUT/machine.txt"
tests=$repo/tests
export XEON_KERNELS_TEST_PATHS=ref,avx2,avx512,avx512_bf16,amx
kernel_tests="test_bad_input.py test_cpu_features.py test_driver_blocking.py test_fuzz.py test_int4_linear.py
  test_int8_linear.py test_llama_shapes.py test_ops_and_packing.py test_parallel.py test_paths.py test_reliability.py"
# -v: one line per test as it ends, so that a run cut at the timeout still names its failures
timeout 150 python3 -m pytest -v -p no:cacheprovider --tb=short \
    $(for f in $kernel_tests; do echo "$tests/$f"; done) > "$OUT/tests-kernels.txt" 2>&1
echo "tests exit: $?" >> "$OUT/tests-kernels.txt"
# the benchmarks from a copy: next to the source tree they would import its xeon_kernels (no _C there)
cp -r "$repo/benchmarks" /tmp/benchmarks
timeout 210 python3 /tmp/benchmarks/bench_linear.py --m 1 1024 --shapes 4096x4096 14336x4096 \
    --out "$OUT/bench-amx-$(date +%Y%m%d).json" 2>&1 | tee "$OUT/bench.txt"
# What held the tiles at 18-20% of their int8 peak (first run, one pass over all of K, 2 MiB per task): the
# K-chunk of the tile tasks (0 = that one pass; 512 = the default, chosen by arithmetic: README "AMX tile
# kernels") and 16 threads against 8 (if the 16 vCPUs are 8 cores, two hyperthreads share each core's tile
# unit and L2), M = 1024, in one process, interleaved.
timeout 90 python3 /tmp/benchmarks/tile_blocking_sweep.py --threads 16 8 --chunks 0 512 1024 2048 \
    --schemes da8w8 da8w4 a16w8 --rounds 2 --out "$OUT/amx-tile-blocking-$(date +%Y%m%d).json" 2>&1 \
    | tee "$OUT/sweep.txt"
timeout 90 python3 -m pytest -v -p no:cacheprovider --tb=short \
    $(for f in $kernel_tests; do echo "--ignore=$tests/$f"; done) "$tests" > "$OUT/tests-rest.txt" 2>&1
echo "tests exit: $?" >> "$OUT/tests-rest.txt"
