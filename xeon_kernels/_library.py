"""Loads the stable-ABI op library once (two loads of one namespace crash the process), and reads the
descriptions it exports as JSON (xeon::info, xeon::packed_spec): the library's paths, schemes, CPU features
and packed layouts are defined in C++ only."""
import functools
import glob
import json
import os

import torch

_loaded = False


def load() -> None:
    global _loaded
    if _loaded:
        return
    here = os.path.dirname(os.path.abspath(__file__))
    # XEON_KERNELS_LIBRARY: another build of the op library (scripts/sanitize.py points it at the sanitizer build)
    override = os.environ.get("XEON_KERNELS_LIBRARY")
    candidates = [override] if override else sorted(glob.glob(os.path.join(here, "_C*.so")))
    if not candidates:
        raise ImportError(
            f"xeon_kernels: the compiled op library (_C*.so) is missing from {here}; build it with "
            "`pip install --no-build-isolation .` or `make build`"
        )
    torch.ops.load_library(candidates[0])
    _loaded = True


def _json(t: torch.Tensor) -> dict:
    return json.loads(bytes(t.tolist()).decode())


def _real(op, *args):
    # These ops take no tensor and return a description: run them for real even inside a fake-tensor
    # context (a fake kernel or a torch.compile trace asking for a packed layout).
    from torch._subclasses.fake_tensor import unset_fake_temporarily
    with unset_fake_temporarily():
        return _json(op(*args))


@functools.lru_cache(maxsize=None)
def info(features: int = -1) -> dict:
    """xeon::info: features, paths (with support on this CPU or on the CPU a feature mask describes),
    schemes, int4 group sizes, limits and the stable-ABI target."""
    return _real(torch.ops.xeon.info, features)


@functools.lru_cache(maxsize=4096)
def packed_spec(scheme_id: int, n: int, k: int, group: int) -> dict:
    """xeon::packed_spec: the parts of a packed weight, {name: {"dtype": str, "shape": list}}."""
    return _real(torch.ops.xeon.packed_spec, scheme_id, n, k, group)["parts"]
