#!/usr/bin/env python3
"""`make sanitize`: builds the op library with AddressSanitizer + UndefinedBehaviorSanitizer into
build/sanitize/ (the in-place build is left alone) and runs pytest on it. Python itself is not instrumented,
so the ASan runtime is preloaded; leak checking is off (the interpreter's own allocations would drown it);
any ASan report or UB finding aborts the run, so a clean exit means none.

    python scripts/sanitize.py [pytest arguments, default: tests]
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "sanitize")


def main() -> int:
    env = dict(os.environ, XEON_KERNELS_SANITIZE="1")
    subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--build-lib", os.path.join(BUILD, "lib"),
                    "--build-temp", os.path.join(BUILD, "tmp")], cwd=ROOT, env=env, check=True)
    lib = os.path.join(BUILD, "lib", "xeon_kernels", "_C.abi3.so")
    # the ASan runtime first, and libstdc++ with it: ASan's __cxa_throw interceptor must find the real one
    # when it starts (python itself does not link libstdc++), or the first C++ exception aborts
    preload = ":".join(subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True, text=True,
                                      check=True).stdout.strip() for name in ("libasan.so", "libstdc++.so"))
    env = dict(os.environ, XEON_KERNELS_LIBRARY=lib, LD_PRELOAD=preload,
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    tests = sys.argv[1:] or ["tests"]
    print(f"sanitize: {lib} (ASan + UBSan), pytest {' '.join(tests)}", flush=True)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=ROOT,
                          env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
