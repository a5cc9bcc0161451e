import contextlib
import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import xeon_kernels as xk  # noqa: E402

# Unit roundoff (half an ulp at 1.0) of each output dtype: round-to-nearest to that dtype moves a value by
# at most UNIT_ROUNDOFF[dtype] * |value| (plus the subnormal spacing near zero, SUBNORMAL_STEP).
UNIT_ROUNDOFF = {torch.float32: 2.0**-24, torch.bfloat16: 2.0**-8, torch.float16: 2.0**-11}
SUBNORMAL_STEP = {torch.float32: 2.0**-149, torch.bfloat16: 2.0**-133, torch.float16: 2.0**-24}
FP32_U = 2.0**-24
DTYPES = [torch.float32, torch.bfloat16, torch.float16]

# Every path this machine runs: the emulated paths and ref everywhere, avx512 / amx where the CPU has them.
PATHS = xk._paths.supported_paths()


@contextlib.contextmanager
def forced_path(name):
    previous = xk._paths._forced
    xk.set_path(name)
    try:
        yield
    finally:
        xk._paths._forced = previous


@pytest.fixture(params=PATHS)
def path(request):
    with forced_path(request.param):
        yield request.param


def linear_on(path_name, x, packed, bias=None):
    with forced_path(path_name):
        return xk.linear(x, packed, bias)


def make_input(shape, dtype, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g) * scale).to(dtype)
