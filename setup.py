"""Builds xeon_kernels._C: a stable-ABI op library (abi3 wheel, one binary for torch >= 2.10).

Each ISA's kernels live in their own translation unit (csrc/kernels/isa_*.cpp), which selects its
instruction set with `#pragma GCC target` after including the library headers; the whole build uses
no -march flag, and the path is chosen at run time from CPUID (csrc/common/cpu_features.cpp).
"""
import glob
import os

from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CppExtension



def compile_flags():
    """csrc/compile_flags.txt: the flags CMakeLists.txt uses too."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "csrc", "compile_flags.txt")) as f:
        return [line.strip() for line in f if line.strip() and not line.lstrip().startswith("#")]


sources = sorted(glob.glob("csrc/**/*.cpp", recursive=True))
extra_compile_args = compile_flags()
extra_link_args = ["-Wl,--no-as-needed", "-ltorch_cpu", "-Wl,--no-undefined"]
if os.environ.get("XEON_KERNELS_DEBUG"):
    extra_compile_args += ["-O0", "-g"]
# scripts/sanitize.py: AddressSanitizer + UndefinedBehaviorSanitizer, every UB finding fatal
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer"]
if os.environ.get("XEON_KERNELS_SANITIZE"):
    extra_compile_args += SANITIZE + ["-O1", "-g"]
    extra_link_args = SANITIZE + [a for a in extra_link_args if a != "-Wl,--no-undefined"]

# Metadata lives in pyproject.toml ([project]); this file adds the compiled op library.
setup(
    ext_modules=[
        CppExtension(
            "xeon_kernels._C",
            sources,
            include_dirs=[os.path.abspath("csrc")],
            extra_compile_args=extra_compile_args,
            extra_link_args=extra_link_args,
            py_limited_api=True,
        )
    ],
    cmdclass={"build_ext": BuildExtension.with_options(use_ninja=True)},
    options={"bdist_wheel": {"py_limited_api": "cp310"}},
)
