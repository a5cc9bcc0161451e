"""Loads the stable-ABI op library once (two loads of one namespace crash the process)."""
import glob
import os

import torch

_loaded = False


def load() -> None:
    global _loaded
    if _loaded:
        return
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = sorted(glob.glob(os.path.join(here, "_C*.so")))
    if not candidates:
        raise ImportError(
            f"xeon_kernels: the compiled op library (_C*.so) is missing from {here}; build it with "
            "`pip install --no-build-isolation .` or `make build`"
        )
    torch.ops.load_library(candidates[0])
    _loaded = True
