"""Builds xeon_kernels._C: a stable-ABI op library (abi3 wheel, one binary for torch >= 2.10).

Each ISA's kernels live in their own translation unit (csrc/kernels/isa_*.cpp), which selects its
instruction set with `#pragma GCC target` after including the library headers; the whole build uses
no -march flag, and the path is chosen at run time from CPUID (csrc/common/cpu_features.cpp).
"""
import glob
import os

from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CppExtension

# torch 2.10: the oldest stable ABI with parallel_for and typed data pointers (../shared/stable-abi.md).
TORCH_TARGET_VERSION = "0x020a000000000000"

sources = sorted(glob.glob("csrc/**/*.cpp", recursive=True))
extra_compile_args = [
    "-O3",
    "-std=c++20",
    "-DTORCH_STABLE_ONLY",
    f"-DTORCH_TARGET_VERSION={TORCH_TARGET_VERSION}",
    # One rounding per operation everywhere: the paths' epilogues then agree bit for bit.
    "-ffp-contract=off",
    "-fvisibility=hidden",
    "-Wall",
    "-Wno-unused-function",
    # gcc 12 flags the intentionally undefined upper lanes inside its own AVX-512 intrinsics.
    "-Wno-maybe-uninitialized",
]
if os.environ.get("XEON_KERNELS_DEBUG"):
    extra_compile_args += ["-O0", "-g"]

setup(
    name="xeon_kernels",
    version="0.1.0",
    packages=["xeon_kernels"],
    ext_modules=[
        CppExtension(
            "xeon_kernels._C",
            sources,
            include_dirs=[os.path.abspath("csrc")],
            extra_compile_args=extra_compile_args,
            extra_link_args=["-Wl,--no-as-needed", "-ltorch_cpu", "-Wl,--no-undefined"],
            py_limited_api=True,
        )
    ],
    cmdclass={"build_ext": BuildExtension.with_options(use_ninja=True)},
    options={"bdist_wheel": {"py_limited_api": "cp310"}},
    python_requires=">=3.10",
    install_requires=["torch>=2.10"],
)
