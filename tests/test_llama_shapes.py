"""The Llama-3.1-8B projection shapes (K, N), every scheme, every path against the ref path."""
import pytest
import torch

import xeon_kernels as xk
from conftest import PATHS, assert_a16_close_to_reference, bf16_tiles_used, linear_on, make_input

LLAMA_SHAPES = [(4096, 6144), (4096, 4096), (4096, 28672), (14336, 4096)]
SCHEMES = [("da8w8", None), ("a16w8", None), ("da8w4", 128), ("a16w4", 128)]


@pytest.mark.parametrize("K,N", LLAMA_SHAPES)
def test_llama_shapes_every_path(K, N):
    # M = 3 keeps the emulated AMX path and the scalar reference within seconds at these sizes.
    w = make_input((N, K), torch.bfloat16, 20, 0.02)
    x = make_input((3, K), torch.bfloat16, 21)
    for scheme, group in SCHEMES:
        p = xk.pack_weight(w, scheme, group)
        ref = linear_on("ref", x, p)
        for name in PATHS:
            y = linear_on(name, x, p)
            if bf16_tiles_used(name, scheme, x.dtype, 3, K):
                assert_a16_close_to_reference(y, x, w, p, None, bf16_weights=True)
            else:
                torch.testing.assert_close(y, ref, rtol=0, atol=0, msg=lambda m: f"{scheme} {name}: {m}")
        if scheme == "da8w8":  # and the reference built from torchao's primitives, exactly
            torch.testing.assert_close(ref, xk.reference_linear(x, w, scheme), rtol=0, atol=0)
